"""No secret in a plan's repr, str or asdict: secrets stay sealed from the planner to the wire.

Registry passwords and config-file contents are secret by type; an environment variable value the
program marked secret is secret by path.  A plan holds all of them (it sends them), so each must
be a :class:`~eci_provider.spec.secret.Secret` until the wire encoder unseals it for signing.
"""

from __future__ import annotations

import base64
import dataclasses
import pickle

import pytest
from wire_calls import wire_calls

from eci_provider.planning import applied_record, plan
from eci_provider.spec import ContainerGroupSpec
from eci_provider.spec.secret import Secret

PASSWORD, NEW_PASSWORD = "Registry-Pass-old-91", "Registry-Pass-new-92"
CONFIG, NEW_CONFIG = "config-body-old-93", "config-body-new-94"
MARKED, NEW_MARKED = "marked-value-old-95", "marked-value-new-96"
MARKED_PATH = "containers[web].environment_vars[DB_PASSWORD].value"


def spec(password: str, config: str, marked: str, image: str = "nginx:1.25") -> ContainerGroupSpec:
    return ContainerGroupSpec.model_validate(
        {
            "name": "web",
            "image_registry_credentials": [{"server": "r.example.com", "user_name": "u", "password": password}],
            "volumes": [
                {
                    "name": "conf",
                    "type": "ConfigFileVolume",
                    "config_file_volume": {
                        "config_file_to_paths": [
                            {"path": "a.conf", "content": base64.b64encode(config.encode()).decode()}
                        ]
                    },
                }
            ],
            "containers": [
                {
                    "name": "web",
                    "image": image,
                    "environment_vars": [{"key": "DB_PASSWORD", "value": marked}],
                    "volume_mounts": [{"name": "conf", "mount_path": "/etc/app"}],
                }
            ],
        }
    )


def secrets_of(*values: str) -> list[str]:
    return [v for value in values for v in (value, base64.b64encode(value.encode()).decode())]


def test_repr_str_and_asdict_of_a_plan_show_no_secret() -> None:
    old = spec(PASSWORD, CONFIG, MARKED)
    new = spec(NEW_PASSWORD, NEW_CONFIG, NEW_MARKED, image="nginx:1.26")
    p = plan(new, old, "Running", applied=applied_record(old, "salt"), secret_paths=[MARKED_PATH])
    assert p.action == "update" and len(p.calls) == 2  # the credential alone, then the rest
    for text in (repr(p), str(p), repr(dataclasses.asdict(p)), repr(p.changes), repr(p.calls), str(p.to_dict())):
        for value in secrets_of(PASSWORD, NEW_PASSWORD, CONFIG, NEW_CONFIG, MARKED, NEW_MARKED):
            assert value not in text
    # They are all still there, sealed, for the request.
    sent = " ".join(v for call in wire_calls(p) for v in call.values())
    assert NEW_PASSWORD in sent and NEW_MARKED in sent and base64.b64encode(NEW_CONFIG.encode()).decode() in sent


def test_a_secret_change_keeps_both_sides_sealed() -> None:
    old, new = spec(PASSWORD, CONFIG, MARKED), spec(PASSWORD, CONFIG, NEW_MARKED)
    (change,) = plan(new, old, "Running", applied=applied_record(old, "s"), secret_paths=[MARKED_PATH]).changes
    assert change.secret and isinstance(change.old, Secret) and isinstance(change.new, Secret)
    assert MARKED not in repr(change) and NEW_MARKED not in repr(change)
    assert change.describe() == f"{MARKED_PATH}: [secret] → [secret]"


def test_a_secret_never_pickles_and_compares_by_value() -> None:
    assert Secret("a") == Secret("a") and Secret("a") != Secret("b") and Secret("a") != "a"
    assert str(Secret("a")) == "[secret]" and f"{Secret('a'):>10}" == "  [secret]"
    with pytest.raises(TypeError):
        pickle.dumps(Secret("a"))
