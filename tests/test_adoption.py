"""Adoption by ID (``adopt_id``), decided by the provider's operations against the emulator.

Each test runs :class:`~eci_provider.provider.operations.Operations` the way the engine calls
it (check, then create; diff with a state), against an in-process emulator holding groups made
outside Pulumi, and reads the emulator's journal: what was written, and to which group.  The
real engine runs the same cases in tests/test_engine_adopt.py.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from emulated import CREDS, FAST_POLL, emulated, stored_spec
from engine import strip_secrets

from eci_provider.cloud.client import EciClient
from eci_provider.cloud.errors import TransportError
from eci_provider.cloud.waiters import Waiter
from eci_provider.emulator import Emulator
from eci_provider.emulator.embedded import EmbeddedTransport
from eci_provider.provider import adoption
from eci_provider.provider.operations import IDENTITY, SECRET_PATHS, SUMMARY, Managed, Operations, Runtime
from eci_provider.provider.ownership import OWNER_TAG, owner_value
from eci_provider.provider.settings import Settings
from eci_provider.provider.state import CHECK, STATE, read_check
from eci_provider.spec.model import ContainerGroupSpec

REGION = "cn-hangzhou"
CONTENT = "bGlzdGVuIDgwODA7Cg=="  # "listen 8080;\n", base64
NEW_CONTENT = "bGlzdGVuIDgwODE7Cg=="  # "listen 8081;\n"


def group_spec(name: str = "web", **changes: Any) -> dict[str, Any]:
    """A group as someone made it outside Pulumi (and as the program declares it)."""
    spec: dict[str, Any] = {
        "name": name,
        "v_switch_id": "vsw-a",
        "tags": {"app": name},
        "volumes": [
            {
                "name": "conf",
                "type": "ConfigFileVolume",
                "config_file_volume": {"config_file_to_paths": [{"path": "app.conf", "content": CONTENT}]},
            }
        ],
        "containers": [
            {
                "name": "web",
                "image": "nginx:1.25",
                "ports": [{"port": 80}],
                "volume_mounts": [{"name": "conf", "mount_path": "/etc/app"}],
            },
            {"name": "side", "image": "fluent-bit:3"},
        ],
    }
    spec.update(copy.deepcopy(changes))
    return spec


def with_image(spec: dict[str, Any], image: str) -> dict[str, Any]:
    spec = copy.deepcopy(spec)
    spec["containers"][0]["image"] = image
    return spec


def inputs(name: str, spec: dict[str, Any], **adopt: Any) -> dict[str, Any]:
    """What the engine hands the provider: the spec, the program's identity and marks, and the
    adoption inputs."""
    return {**copy.deepcopy(spec), IDENTITY: f"shop/dev/{name}", SECRET_PATHS: [], **adopt}


class Cloud:
    """The emulator, a provider runtime pointed at it, and a way to make groups outside Pulumi."""

    def __init__(self, waiter: Waiter, emulator: Emulator) -> None:
        self.waiter, self.emulator = waiter, emulator
        self.runtime = Runtime()
        self.runtime._settings = Settings(REGION, None, CREDS, 3, 30.0)
        self.runtime._waiter = waiter
        self.lines: list[str] = []
        self.baseline = 0
        self.ops = Operations(self.runtime, self.lines.append)

    def existing(self, spec: dict[str, Any], *, region: str = REGION, allow_owner_tag: bool = False) -> str:
        """A running group made outside Pulumi (the provider's client stands in for a console)."""
        model = ContainerGroupSpec.model_validate(spec, context={"allow_owner_tag": allow_owner_tag})
        if region == REGION:
            gid = self.waiter.client.create_container_group(model, client_token=f"outside-{spec['name']}")
            self.waiter.wait_created(gid, timeout=10)
            return gid
        transport = EmbeddedTransport(self.emulator)
        with EciClient(region, endpoint="https://eci.in-process.invalid", credentials=CREDS, transport=transport) as c:
            gid = c.create_container_group(model, client_token=f"outside-{region}")
            Waiter(c, poll=FAST_POLL).wait_created(gid, timeout=10)
            return gid

    def start_counting(self) -> None:
        """From now on, :meth:`writes` lists what the emulator accepts (the groups made outside
        Pulumi before this are not counted)."""
        self.baseline = len(self.emulator.journal())

    def writes(self) -> list[dict[str, Any]]:
        """Every create, update and delete the emulator accepted since :meth:`start_counting`."""
        return self.emulator.journal()[self.baseline :]

    def group(self, gid: str) -> dict[str, Any] | None:
        return next((g for g in self.emulator.groups() if g["ContainerGroupId"] == gid), None)

    def tags(self, gid: str) -> dict[str, str]:
        group = self.group(gid)
        assert group is not None
        return {t["Key"]: t["Value"] for t in group["Describe"].get("Tags") or ()}


@pytest.fixture
def cloud() -> Iterator[Cloud]:
    with emulated("embedded") as (waiter, emulator):
        yield Cloud(waiter, emulator)


def checked(cloud: Cloud, news: dict[str, Any], olds: dict[str, Any] | None = None) -> dict[str, Any]:
    """Check's inputs as the engine passes them on (secrets stripped: the provider accepts none)."""
    result = cloud.ops.check(olds or {}, news)
    assert result.failures == [], result.failures
    return strip_secrets(result.inputs)


def refusal(cloud: Cloud, news: dict[str, Any]) -> str:
    result = cloud.ops.check({}, news)
    assert len(result.failures) == 1, result.failures
    field, reason = result.failures[0]
    assert field == adoption.ADOPT_ID
    return reason


def adopt_plan(published: dict[str, Any]) -> dict[str, Any]:
    return dict(read_check(published).plan)


# -- no change ----------------------------------------------------------------------------


def test_adopting_an_identical_group_writes_only_the_owner_tag(cloud: Cloud) -> None:
    spec = group_spec()
    gid = cloud.existing(spec)
    cloud.start_counting()
    news = inputs("web", spec, adopt_id=gid)

    published = checked(cloud, news)
    assert published[SUMMARY] == f"adopt {gid}: no change (only its owner tag is set)"
    p = adopt_plan(published)
    assert p["action"] == "noop" and p["adopt"]["id"] == gid and p["adopt"]["calls"] == 1
    assert "volumes[conf].config_file_volume.config_file_to_paths[app.conf].content" in p["adopt"]["unverified"]
    assert any("not verified" in n and "adopt_send_write_only=True" in n for n in p["notes"])
    assert cloud.writes() == []  # check reads, never writes

    id_, outs = cloud.ops.create(published)
    assert id_ == gid
    (write,) = cloud.writes()
    assert write["action"] == "UpdateContainerGroup" and write["group_id"] == gid
    assert write["sent"] == ["Tag"] and write["restart_containers"] == [] and not write["restart_instance"]
    assert cloud.tags(gid) == {"app": "web", OWNER_TAG: owner_value("shop/dev/web")}
    state = json.loads(outs[STATE])
    assert state["owner"] == owner_value("shop/dev/web") and state["last_plan"]["adopt"]["id"] == gid

    # Adopted: the next preview plans nothing, and the adoption inputs are inert.
    stored = strip_secrets({**published, **outs})
    decision = cloud.ops.diff(gid, stored, checked(cloud, news, olds=published))
    assert decision.changes is False


def test_once_adopted_the_inputs_are_inert_and_dropped(cloud: Cloud) -> None:
    spec = group_spec()
    gid = cloud.existing(spec)
    published = checked(cloud, inputs("web", spec, adopt_id=gid))
    _, outs = cloud.ops.create(published)
    cloud.start_counting()
    other = cloud.existing(group_spec("other"))
    for changed in ({"adopt_id": other}, {}, {"adopt_id": "not an id", "adopt_replace": "yes"}):
        news = checked(cloud, inputs("web", spec, **changed), olds=published)
        assert not set(adoption.INPUTS) & set(news)  # dropped: the state keeps none of them
        assert news[SUMMARY] == "no change"
        assert cloud.ops.diff(gid, strip_secrets({**published, **outs}), news).changes is False
    assert any("inert" in line and "can be removed" in line for line in cloud.lines)
    assert [e for e in cloud.writes() if e["action"] != "CreateContainerGroup"] == []


# -- adopt and update ---------------------------------------------------------------------


def test_adopt_then_update_in_place_keeps_the_id(cloud: Cloud) -> None:
    spec = group_spec()
    gid = cloud.existing(spec)
    cloud.start_counting()
    published = checked(cloud, inputs("web", with_image(spec, "nginx:1.26"), adopt_id=gid))
    assert published[SUMMARY] == f"adopt {gid}, then update (IncrementalUpdate): restarts containers web"
    p = adopt_plan(published)
    assert p["action"] == "update" and [c["path"] for c in p["changes"]] == ["containers[web].image"]

    id_, _ = cloud.ops.create(published)
    assert id_ == gid
    (write,) = cloud.writes()  # the image and the owner tag in one call
    assert write["update_type"] == "IncrementalUpdate" and write["sent"] == ["Container", "Tag"]
    assert write["restart_containers"] == ["web"] and not write["restart_instance"]
    assert cloud.emulator.stats()["groups_created"] == 1


# -- adopt that would replace ---------------------------------------------------------------


def test_a_create_only_difference_refuses_and_names_the_field(cloud: Cloud) -> None:
    spec = group_spec()
    gid = cloud.existing(spec)
    cloud.start_counting()
    news = inputs("web", group_spec(v_switch_id="vsw-b"), adopt_id=gid)
    reason = refusal(cloud, news)
    assert "v_switch_id" in reason and "vsw-a → vsw-b" in reason and "adopt_replace=True" in reason
    assert "never destroys" in reason
    with pytest.raises(adoption.Refused, match="v_switch_id"):
        cloud.ops.create(news)  # Create decides again, and refuses the same way
    assert cloud.writes() == []
    assert cloud.group(gid)["Status"] == "Running"  # type: ignore[index]


def test_adopt_replace_creates_a_new_group_and_deletes_the_named_one(cloud: Cloud) -> None:
    spec = group_spec()
    gid = cloud.existing(spec)
    cloud.start_counting()
    published = checked(cloud, inputs("web", group_spec(v_switch_id="vsw-b"), adopt_id=gid, adopt_replace=True))
    assert published[SUMMARY].startswith(f"adopt {gid} by replacing it (adopt_replace): replace (create before delete)")
    assert adopt_plan(published)["adopt"]["replace"] is True
    id_, _ = cloud.ops.create(published)
    assert id_ != gid
    assert [(e["action"], e["group_id"]) for e in cloud.writes()] == [
        ("CreateContainerGroup", id_),
        ("DeleteContainerGroup", gid),
    ]
    assert cloud.tags(id_)[OWNER_TAG] == owner_value("shop/dev/web")


# -- refusals -------------------------------------------------------------------------------


def test_a_group_owned_by_another_stack_is_refused(cloud: Cloud) -> None:
    spec = group_spec(tags={"app": "web", OWNER_TAG: owner_value("shop/prod/web")})
    gid = cloud.existing(spec, allow_owner_tag=True)
    cloud.start_counting()
    reason = refusal(cloud, inputs("web", group_spec(), adopt_id=gid))
    assert "another stack or resource" in reason and owner_value("shop/prod/web") in reason
    with pytest.raises(adoption.Refused):
        cloud.ops.create(inputs("web", group_spec(), adopt_id=gid))
    assert cloud.writes() == []


def test_a_gone_group_says_to_remove_adopt_id(cloud: Cloud) -> None:
    gid = cloud.existing(group_spec())
    cloud.waiter.delete_and_wait(gid, timeout=10)
    reason = refusal(cloud, inputs("web", group_spec(), adopt_id=gid))
    assert f"no container group {gid} in region {REGION}" in reason and "Remove adopt_id" in reason


def test_a_group_in_another_region_is_not_found_in_this_one(cloud: Cloud) -> None:
    gid = cloud.existing(group_spec(), region="cn-beijing")
    reason = refusal(cloud, inputs("web", group_spec(), adopt_id=gid))
    assert "in another region" in reason and REGION in reason
    assert cloud.group(gid)["Status"] == "Running"  # type: ignore[index]


def test_an_answer_naming_another_region_is_refused() -> None:
    """A Describe element that says it lives elsewhere (never trusted to be this region's)."""
    desired = ContainerGroupSpec.model_validate(group_spec())
    found = {"ContainerGroupId": "eci-1", "RegionId": "cn-beijing", "Status": "Running"}
    with pytest.raises(adoption.Refused, match="is in region cn-beijing, not in cn-hangzhou"):
        adoption.decide(adoption.Request("eci-1"), found, desired, owner="o", region=REGION)


@pytest.mark.parametrize(
    ("adopt", "field", "message"),
    [
        ({"adopt_id": "i-123"}, "adopt_id", "container group ID"),
        ({"adopt_id": 7}, "adopt_id", "not int"),
        ({"adopt_id": "eci-abc", "adopt_replace": "yes"}, "adopt_replace", "True or False"),
        ({"adopt_send_write_only": True}, "adopt_send_write_only", "only with adopt_id"),
    ],
)
def test_bad_adoption_inputs_name_the_input_before_any_call(
    cloud: Cloud, adopt: dict[str, Any], field: str, message: str
) -> None:
    cloud.start_counting()
    before = cloud.emulator.stats()["requests"]
    result = cloud.ops.check({}, inputs("web", group_spec(), **adopt))
    assert [f for f, _ in result.failures] == [field] and message in result.failures[0][1]
    assert cloud.emulator.stats()["requests"] == before


# -- write-only values ------------------------------------------------------------------------


def test_write_only_values_are_taken_as_declared_or_sent_when_asked(cloud: Cloud) -> None:
    """The group's config file holds one text and the program declares another: Describe shows
    neither, so adoption cannot tell.  By default it says so and sends nothing; asked to, it
    sends the declared file (which restarts the container that mounts it)."""
    path = "volumes[conf].config_file_volume.config_file_to_paths[app.conf].content"

    def declared(name: str) -> dict[str, Any]:
        spec = group_spec(name)
        spec["volumes"][0]["config_file_volume"]["config_file_to_paths"][0]["content"] = NEW_CONTENT
        return spec

    quiet, sent = cloud.existing(group_spec("quiet")), cloud.existing(group_spec("sent"))
    cloud.start_counting()

    published = checked(cloud, inputs("quiet", declared("quiet"), adopt_id=quiet))
    p = adopt_plan(published)
    assert p["action"] == "noop" and p["adopt"]["unverified"] == [path] and p["adopt"]["sent"] == []
    assert any(n.startswith("not verified") and path in n for n in p["notes"])
    cloud.ops.create(published)
    assert [e["sent"] for e in cloud.writes()] == [["Tag"]]
    assert _content(cloud, quiet) == CONTENT  # taken as declared, not sent

    cloud.start_counting()
    published = checked(cloud, inputs("sent", declared("sent"), adopt_id=sent, adopt_send_write_only=True))
    p = adopt_plan(published)
    assert p["adopt"]["sent"] == [path] and p["adopt"]["unverified"] == []
    assert published[SUMMARY] == f"adopt {sent}, then update (IncrementalUpdate): restarts containers web"
    cloud.ops.create(published)
    (write,) = cloud.writes()
    assert write["sent"] == ["Tag", "Volume"] and write["restart_containers"] == ["web"]
    assert _content(cloud, sent) == NEW_CONTENT


def _content(cloud: Cloud, gid: str) -> str:
    volume = stored_spec(cloud.emulator, gid).volumes[0]  # type: ignore[index]
    return volume.config_file_volume.config_file_to_paths[0].content.get_secret_value()  # type: ignore[union-attr]


# -- already this resource's: a re-run after a crash, a replacement ----------------------------


def test_an_adoption_interrupted_after_its_last_call_is_taken_back_not_adopted_again(cloud: Cloud) -> None:
    spec = group_spec()
    gid = cloud.existing(spec)
    cloud.start_counting()
    news = inputs("web", with_image(spec, "nginx:1.26"), adopt_id=gid)
    published = checked(cloud, news)
    cloud.emulator.set_faults(drop_update_response_rate=1.0)
    with pytest.raises(TransportError):
        cloud.ops.create(published)  # the call took effect (image and tag); its answer was lost
    cloud.emulator.set_faults(drop_update_response_rate=0.0)
    assert cloud.tags(gid)[OWNER_TAG] == owner_value("shop/dev/web")

    again = checked(cloud, news)  # the re-run: the group is this resource's already
    assert not set(adoption.INPUTS) & set(again) and again[SUMMARY] == "create"
    id_, _ = cloud.ops.create(again)
    assert id_ == gid and cloud.emulator.stats()["groups_created"] == 1
    assert [e["action"] for e in cloud.writes()] == ["UpdateContainerGroup"]


def test_a_replacement_keeps_the_owner_value_and_never_takes_or_adopts_the_replaced_group(cloud: Cloud) -> None:
    """The engine checks and creates a replacement as if it were new; diff saw the state first.
    Here the state's owner value is not the one the identity gives (the resource was renamed),
    and the new spec matches the old group (a replacement Pulumi was asked for), so the group
    being replaced would be taken by the owner-tag lookup if it were not excluded."""
    kept = owner_value("shop/dev/old-name")
    spec = group_spec(tags={"app": "web", OWNER_TAG: kept})
    old = cloud.existing(spec, allow_owner_tag=True)
    news = inputs("web", group_spec(), adopt_id=old)
    cloud.runtime.remember_managed(news[IDENTITY], Managed(old, kept))  # what diff records
    cloud.start_counting()

    again = checked(cloud, news)  # the second check, without the previous inputs
    assert not set(adoption.INPUTS) & set(again)
    id_, outs = cloud.ops.create(again)
    assert id_ != old
    assert cloud.tags(id_)[OWNER_TAG] == kept and json.loads(outs[STATE])["owner"] == kept
    assert [e["action"] for e in cloud.writes()] == ["CreateContainerGroup"]


def test_diff_keeps_the_owner_of_a_version_1_state_written_under_another_name() -> None:
    """A version-1 state keeps no owner value: it is derived from the identity it was written
    under, not from the renamed program's."""
    from eci_provider.provider.operations import _read_state

    olds = {"__identity": "shop/dev/old-name", "applied_salt": "s", "observed": {}, **group_spec()}
    state = _read_state(olds, {IDENTITY: "shop/dev/new-name"})
    assert state is not None and state.owner == owner_value("shop/dev/old-name")


def test_the_check_of_a_create_with_an_unknown_adopt_id_defers_to_pulumi_up(cloud: Cloud) -> None:
    published = checked(cloud, inputs("web", group_spec(), adopt_id="04da6b54-80e4-46f7-96ec-b56ff0331ba9"))
    assert "known only during pulumi up" in published[SUMMARY]
    assert json.loads(published[CHECK])["plan"]["action"] == "unknown"


# -- faults -----------------------------------------------------------------------------------


def test_throttling_and_5xx_during_an_adoption_are_retried_without_a_second_write(cloud: Cloud) -> None:
    spec = group_spec()
    gid = cloud.existing(spec)
    cloud.start_counting()
    cloud.emulator.set_faults(throttle_rate=0.4, error_5xx_rate=0.3)
    published = checked(cloud, inputs("web", with_image(spec, "nginx:1.26"), adopt_id=gid))
    id_, _ = cloud.ops.create(published)
    cloud.emulator.set_faults(throttle_rate=0.0, error_5xx_rate=0.0)
    assert id_ == gid
    assert [(e["action"], e["update_type"]) for e in cloud.writes()] == [("UpdateContainerGroup", "IncrementalUpdate")]
    assert cloud.tags(gid)[OWNER_TAG] == owner_value("shop/dev/web")


def test_an_unreadable_answer_is_an_error_never_a_gone_group(cloud: Cloud) -> None:
    gid = cloud.existing(group_spec())
    cloud.start_counting()
    cloud.emulator.set_faults(malformed_response_rate=1.0)
    reason = refusal(cloud, inputs("web", group_spec(), adopt_id=gid))
    cloud.emulator.set_faults(malformed_response_rate=0.0)
    assert f"could not read {gid}" in reason and "Remove adopt_id" not in reason and "no container group" not in reason
    assert cloud.writes() == []


# -- the PR report ----------------------------------------------------------------------------


def _preview_of(published: dict[str, Any]) -> dict[str, Any]:
    """A ``pulumi preview --json`` document with one create: the engine's shape, the inputs
    check published."""
    from eci_provider.review.report import RESOURCE_TYPE

    urn = f"urn:pulumi:dev::shop::{RESOURCE_TYPE}::web"
    return {
        "steps": [{"op": "create", "urn": urn, "newState": {"type": RESOURCE_TYPE, "urn": urn, "inputs": published}}]
    }


def test_the_report_shows_an_adoption_as_its_own_kind_of_step(cloud: Cloud) -> None:
    from eci_provider.review import analyse, gate, render_json, render_markdown

    spec = group_spec()
    gid = cloud.existing(spec)
    published = checked(cloud, inputs("web", with_image(spec, "nginx:1.26"), adopt_id=gid))
    report = analyse(_preview_of(published))
    (g,) = report.groups
    assert (g.impact, g.basis, g.group_id, g.update_type) == ("adopt", "adopt", gid, "IncrementalUpdate")
    assert g.summary == "Adopt an existing group (then update, IncrementalUpdate)"
    assert [r.path for r in g.rows] == ["containers[web].image"] and g.restarted == ("web",)
    assert g.effect == "update-containers"
    assert report.counts()["adopt"] == 1 and report.counts()["create"] == 0
    assert gate(report, ["adopt", "update", "container-restart"]) == [
        "adopt: web (an existing group is taken over by adopt_id)",
        "update: web (a group is updated in place)",
        "container-restart: web (an update restarts containers)",
    ]
    assert gate(report, ["create", "replace", "instance-restart"]) == []
    doc = json.loads(render_json(report, []))
    assert doc["counts"]["adopt"] == 1
    assert doc["groups"][0]["adopt"] == {
        "id": gid,
        "action": "update",
        "restart": "containers",
        "unverified": ["volumes[conf].config_file_volume.config_file_to_paths[app.conf].content"],
        "sent": [],
    }
    text = render_markdown(report, [])
    assert "1 to adopt" in text and "Adopt an existing group" in text and gid in text
    assert "IncrementalUpdate" in text and "1 write-only value(s) not verified" in text
    assert CONTENT not in text and CONTENT not in json.dumps(doc)


def test_the_report_of_an_adoption_with_no_change_and_one_with_replacement(cloud: Cloud) -> None:
    from eci_provider.review import analyse, gate

    spec = group_spec()
    gid = cloud.existing(spec)
    (same,) = analyse(_preview_of(checked(cloud, inputs("web", spec, adopt_id=gid)))).groups
    assert same.summary == "Adopt an existing group (no change)" and same.rows == () and same.effect == "adopt"
    news = inputs("web", group_spec(v_switch_id="vsw-b"), adopt_id=gid, adopt_replace=True)
    report = analyse(_preview_of(checked(cloud, news)))
    (g,) = report.groups
    assert g.impact == "adopt" and g.replace_fields == ("v_switch_id",)
    assert g.effect == "replace"  # so a shortened comment keeps it in full, as any replacement
    assert g.summary == "Adopt an existing group (replaced: create first)"
    assert any("adopt_replace" in w and gid in w for w in g.warnings)
    assert gate(report, ["replace"]) == ["replace: web (a group is replaced)"]
