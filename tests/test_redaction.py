"""Redacted views: the shape of a secret-holding field, without its secrets."""

from __future__ import annotations

import copy
import json
from typing import Any

from eci_provider.planning.redaction import CHANGED, SECRET, key_paths, settled, views
from eci_provider.spec.model import ContainerGroupSpec

SPEC: dict[str, Any] = {
    "name": "web",
    "image_registry_credentials": [{"server": "r.example.com", "user_name": "ci", "password": "pw-ONE"}],
    "volumes": [
        {
            "name": "conf",
            "type": "ConfigFileVolume",
            "config_file_volume": {"config_file_to_paths": [{"path": "a.conf", "content": "c2VjcmV0LWZpbGU="}]},
        }
    ],
    "containers": [
        {
            "name": "app",
            "image": "app:1",
            "commands": ["run", "--token", "tok-SECRET"],
            "environment_vars": [{"key": "MODE", "value": "prod"}, {"key": "DB_PASSWORD", "value": "db-SECRET"}],
        }
    ],
    "tags": {"team": "shop"},
}
MARKED = ["containers[0].environment_vars[1].value"]


def spec(**changes: Any) -> ContainerGroupSpec:
    data = copy.deepcopy(SPEC)
    data.update(changes)
    return ContainerGroupSpec.model_validate(data)


def test_key_paths_follow_item_keys_not_positions() -> None:
    s = spec()
    assert key_paths(s, [*MARKED, "containers[0].commands[2]", "tags.team", "containers[5].image", "nope"]) == [
        "containers[app].environment_vars[DB_PASSWORD].value",
        "containers[app].commands[2]",
        "tags[team]",
    ]


def test_views_hide_only_the_secrets() -> None:
    s = spec()
    v = views(s, key_paths(s, MARKED), s)
    assert set(v) == {"image_registry_credentials", "volumes", "containers"}  # not name, not tags
    assert v["image_registry_credentials"] == [{"server": "r.example.com", "user_name": "ci", "password": SECRET}]
    assert v["volumes"][0]["config_file_volume"]["config_file_to_paths"][0] == {"path": "a.conf", "content": SECRET}
    app = v["containers"][0]
    assert app["image"] == "app:1" and app["environment_vars"] == [
        {"key": "MODE", "value": "prod"},
        {"key": "DB_PASSWORD", "value": SECRET},
    ]
    text = json.dumps(v)
    for secret in ("pw-ONE", "c2VjcmV0LWZpbGU=", "db-SECRET"):
        assert secret not in text


def test_a_changed_secret_is_marked_and_nothing_else_is_told() -> None:
    before = spec()
    containers = copy.deepcopy(SPEC["containers"])
    containers[0]["environment_vars"][1]["value"] = "db-SECRET-2"
    creds = [{"server": "r.example.com", "user_name": "ci", "password": "pw-TWO"}]
    after = spec(containers=containers, image_registry_credentials=creds)
    v = views(after, key_paths(after, MARKED), before)
    assert v["image_registry_credentials"][0]["password"] == CHANGED
    assert v["containers"][0]["environment_vars"][1]["value"] == CHANGED
    assert v["volumes"][0]["config_file_volume"]["config_file_to_paths"][0]["content"] == SECRET
    # Compared with the previous view read as a baseline, only the changed secrets differ.
    old = views(before, key_paths(before, MARKED), before)
    assert settled(v) != v and settled(v) == old
    assert (
        views(after, key_paths(after, MARKED), None)["volumes"][0]["config_file_volume"]["config_file_to_paths"][0][
            "content"
        ]
        == CHANGED
    )  # nothing to compare with: a new secret


def test_a_marked_list_of_scalars_and_a_marked_element() -> None:
    s = spec()
    whole = views(s, ["containers[app].commands"], s)["containers"][0]["commands"]
    one = views(s, ["containers[app].commands[2]"], s)["containers"][0]["commands"]
    assert whole == [SECRET] and one == ["run", "--token", SECRET]


def test_a_structure_marked_secret_gets_no_view() -> None:
    """A whole container marked secret would hide its key: the field is left out, and the
    report falls back to the plan made by check."""
    s = spec()
    assert "containers" not in views(s, ["containers[app]"], s)
    assert "containers" not in views(s, ["containers[app].environment_vars[DB_PASSWORD]"], s)
