"""The pull-request report of ``pulumi preview --json`` (``eci-provider preview-comment``).

The documents in tests/data/previews were built from the real provider (see tests/previews.py);
the reports next to them are golden files: ``pytest tests/test_preview.py --regen-golden``
rewrites them after a deliberate change, and the diff is then reviewed like code.
"""

from __future__ import annotations

import copy
import json
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from previews import DATA, README_BEGIN, README_END, SECRETS, TOKEN, build_all, readme_excerpt

from eci_provider.cli import build_parser, main
from eci_provider.provider.state import read_check
from eci_provider.review import markdown as md
from eci_provider.review.comment import render_json, render_markdown
from eci_provider.review.replan import UNKNOWN
from eci_provider.review.report import FAIL_ON, PreviewError, Report, analyse, gate

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted(p.stem for p in DATA.glob("*.json") if not p.name.endswith(".report.json"))


def load(name: str) -> dict[str, Any]:
    return json.loads((DATA / f"{name}.json").read_text())


def groups(report: Report) -> dict[str, Any]:
    return {g.resource: g for g in report.groups}


# -- golden files --------------------------------------------------------------------------


@pytest.mark.parametrize("name", DOCS)
def test_golden_reports(name: str, request: pytest.FixtureRequest) -> None:
    report = analyse(load(name))
    rendered = {f"{name}.md": render_markdown(report), f"{name}.report.json": render_json(report)}
    for file, text in rendered.items():
        path = DATA / file
        if request.config.getoption("--regen-golden"):
            path.write_text(text)
        assert path.exists(), f"{file} is missing: run pytest {__file__} --regen-golden"
        assert text == path.read_text(), f"{file} differs from the golden file (rerun with --regen-golden to accept)"


def test_golden_documents_are_what_the_provider_produces_today() -> None:
    """Rebuild the documents with the real engine and the emulator, and check that
    * the stored documents still give the same reports (ids and timestamps are normalised);
    * each group's re-planned decision is, word for word, the one the provider's own diff
      logged for the same step (so the report says what ``pulumi up`` will do);
    * printed with --show-secrets, the document gives the same report, without the secrets."""
    built = build_all()
    for name, doc in built.docs.items():
        assert render_json(analyse(doc)) == render_json(analyse(load(name))), name
    report = analyse(built.docs["mixed"])
    replanned = {g.resource: g.plan_summary for g in report.groups if g.basis == "replanned"}
    assert len(replanned) >= 15
    assert replanned == {name: built.decisions[name] for name in replanned}
    assert built.decisions["shop-unchanged"] == "no change" and "shop-unchanged" not in groups(report)
    # The real engine prints no secret in `preview --json`, not even with --show-secrets.
    assert render_json(analyse(built.shown)) == render_json(report)
    assert not any(s in json.dumps(built.shown) for s in SECRETS)


@pytest.mark.parametrize("name", ["cache", "db", "conf"])
def test_a_replacement_is_reported_as_one_although_check_ran_as_for_a_create(name: str) -> None:
    """The engine checks a replacement's inputs a second time against no previous inputs (as for
    a create).  Version 0.1.0 then published "create" as the plan; the report plans the inputs
    itself and says replace, as the provider's diff decided.  Today's provider remembers the plan
    it made with the previous inputs, so ``planned_change`` in ``pulumi preview --diff`` says
    replace too."""
    doc = load("mixed-v1")
    step = next(s for s in doc["steps"] if s["urn"].endswith(f"::{name}"))
    assert step["newState"]["inputs"]["__plan"]["action"] == "create"
    g = groups(analyse(_written_before_views(doc, name, ("observed", "observed_redacted"))))[name]
    assert g.impact == "replace" and g.plan_summary is not None and g.plan_summary.startswith("replace")
    step = next(s for s in load("mixed")["steps"] if s["urn"].endswith(f"::{name}"))
    assert step["newState"]["inputs"]["planned_change"].startswith("replace")
    assert read_check(step["newState"]["inputs"]).plan["action"] == "replace"


# -- what the mixed preview says -------------------------------------------------------------


def test_every_kind_of_change_is_classified() -> None:
    g = groups(analyse(load("mixed")))
    seen = {name: (x.impact, x.update_type) for name, x in g.items()}
    assert seen == {
        "shop-tags": ("update-none", "IncrementalUpdate"),
        "shop-creds": ("update-none", "RenewUpdate"),
        "tagged": ("update-none", "IncrementalUpdate"),
        "shop-web": ("update-containers", "IncrementalUpdate"),
        "payments": ("update-containers", "IncrementalUpdate"),
        "api": ("update-containers", "IncrementalUpdate"),
        "batch": ("update-containers", "IncrementalUpdate"),
        "drifted": ("update-containers", "IncrementalUpdate"),
        "drifted-secret": ("update-containers", "IncrementalUpdate"),
        "newly-secret": ("update-containers", "IncrementalUpdate"),
        "unmarked": ("update-containers", "IncrementalUpdate"),
        "shop-init": ("update-instance", "IncrementalUpdate"),
        "shop-mirror": ("update-instance", "RenewUpdate"),
        "cache": ("replace", None),
        "conf": ("replace", None),
        "db": ("replace", None),
        "renamed-host": ("replace", None),
        "new-worker": ("create", None),
        "legacy": ("delete", None),
        "rollout": ("unknown", None),
    }
    assert "shop-unchanged" not in g  # a "same" step is not shown by Pulumi, nor by us
    assert g["shop-web"].restarted == ("web",) and g["shop-init"].restarted == ("web", "logs")
    assert g["cache"].delete_before_replace is False and g["db"].delete_before_replace is True
    assert all(x.basis in ("replanned", "create", "delete", "unknown") for x in g.values())
    # A value marked secret, or unmarked, since the last update is not a change by itself.
    for name in ("newly-secret", "unmarked"):
        assert [r.path for r in g[name].rows] == ["containers[logs].image"] and g[name].restarted == ("logs",)


def test_rows_name_the_path_the_values_and_the_rule() -> None:
    g = groups(analyse(load("mixed")))
    (row,) = g["shop-init"].rows
    assert (row.path, row.old, row.new) == (
        "init_containers[migrate].image",
        "registry.example.com/shop/migrate:1.4",
        "registry.example.com/shop/migrate:1.5",
    )
    assert "restarts the instance (UpdateContainerGroup API reference)" in row.rule
    (row,) = g["cache"].rows
    assert (row.path, row.old, row.new, row.replaces) == ("host_name", "cache-a", "cache-b", True)
    assert "create-only" in row.rule
    (row,) = g["shop-tags"].rows
    assert (row.path, row.old, row.new) == ("tags[cost]", None, "retail")


def test_required_warnings() -> None:
    g = groups(analyse(load("mixed")))
    assert any("RestartPolicy is Never" in w for w in g["batch"].warnings)
    assert any(w.startswith("downtime") for w in g["db"].warnings)
    assert not any(w.startswith("downtime") for w in g["cache"].warnings)
    assert any("list grows" in w for w in g["shop-mirror"].warnings)
    assert not g["shop-creds"].warnings  # a rotated password alone restarts nothing
    for name in ("drifted", "drifted-secret"):  # drift shows also in a field that holds a secret
        (row,) = g[name].rows
        assert row.drift and (row.old, row.new) == ("fluent-bit:3.1", "fluent-bit:3.0")
        assert any("outside Pulumi" in w for w in g[name].warnings)


def test_secrets_are_shown_as_secret() -> None:
    report = analyse(load("mixed"))
    g = groups(report)
    (row,) = g["api"].rows  # a Pulumi secret (Output.secret) environment variable
    assert row.path == "containers[web].environment_vars[DB_PASSWORD].value" and row.secret
    (row,) = g["shop-creds"].rows  # a field typed secret: the registry password
    assert row.path == "image_registry_credentials[registry.example.com]" and row.secret
    assert row.detail == "password: [secret] changed"
    (row,) = g["shop-mirror"].rows
    assert row.detail == "added: user_name shop-ci, password [secret]"
    (row,) = g["tagged"].rows  # a secret tag whose key holds dots
    assert row.path == "tags[team.example.com/token]" and row.secret
    text = render_markdown(report) + render_json(report)
    assert "`[secret]` (changed)" in text
    for name in DOCS:
        raw = (DATA / f"{name}.json").read_text()
        for value in SECRETS:
            assert value not in raw and value not in text
    assert TOKEN not in text  # secret now, plain before: in the old state, never in the report


def test_the_summary_line_and_table() -> None:
    text = render_markdown(analyse(load("mixed")))
    assert text.startswith(md.marker("prod") + "\n## ECI container groups: `eci-shop` · stack `prod`")
    assert (
        "**20 container groups change in `prod`:** 1 to create · 13 to update (3 without restart, "
        "8 restarting containers, 2 restarting the instance) · 4 to replace · 1 to delete · "
        "1 known only during pulumi up"
    ) in text
    assert "| ⚠️ | Update, restarts the instance | 2: `shop-init`, `shop-mirror` |" in text
    assert "### ⚠️♻️ `db`: Replace (delete first: downtime)" in text


def _foreign_steps(stack: str, project: str) -> list[dict[str, Any]]:
    """Steps of other providers, which the engine here cannot produce (no AWS or random
    provider plugin can be installed offline), in the shape ``pulumi preview --json`` gives them."""
    bucket = f"urn:pulumi:{stack}::{project}::aws:s3/bucketV2:BucketV2::shop-assets"
    password = f"urn:pulumi:{stack}::{project}::random:index/randomPassword:RandomPassword::db-password"
    state = {"urn": bucket, "custom": True, "id": "shop-assets-1a2b", "type": "aws:s3/bucketV2:BucketV2"}
    return [
        {
            "op": "update",
            "urn": bucket,
            "oldState": {**state, "inputs": {"tags": {"env": "prod"}}, "outputs": {"tags": {"env": "prod"}}},
            "newState": {**state, "inputs": {"tags": {"env": "prod", "team": "shop"}}},
            "diffReasons": ["tags"],
            "detailedDiff": {"tags.team": {"kind": "add", "inputDiff": True}},
        },
        {
            "op": "create",
            "urn": password,
            "newState": {
                "urn": password,
                "custom": True,
                "type": "random:index/randomPassword:RandomPassword",
                "inputs": {"length": 24},
            },
        },
    ]


def test_resources_that_are_not_ours_are_listed_not_analysed() -> None:
    doc = load("mixed")
    doc["steps"] += _foreign_steps("prod", "eci-shop")
    report = analyse(doc)
    release = "pulumi-python:dynamic/test:Release"  # another dynamic provider, in the real document
    assert [(o.op, o.type, o.resource) for o in report.others] == [
        ("update", "aws:s3/bucketV2:BucketV2", "shop-assets"),
        ("create", release, "renamed-host-release-new"),
        ("delete", release, "renamed-host-release-old"),
        ("create", release, "rollout-release-new"),
        ("delete", release, "rollout-release-old"),
        ("create", "random:index/randomPassword:RandomPassword", "db-password"),
    ]
    assert not {o.resource for o in report.others} & set(groups(report))
    assert "### Other resources (not analysed)" in render_markdown(report)


def test_no_change_preview() -> None:
    report = analyse(load("no-change"))
    assert report.groups == () and report.others == () and report.stack == "prod"
    assert "**No container group changes in `prod`.**" in render_markdown(report)


def test_replacement_steps_read_like_one_replacement() -> None:
    """--show-replacement-steps: create-replacement, replace and delete-replaced steps for each
    replaced URN (delete-replaced first when it deletes before creating) read as one replacement."""
    doc = load("replacement-steps")
    ops = {}
    for step in doc["steps"]:
        ops.setdefault(step["urn"].rsplit("::", 1)[1], []).append(step["op"])
    assert ops["db"] == ["delete-replaced", "replace", "create-replacement"]
    assert ops["cache"][0] == "create-replacement" and "delete-replaced" in ops["cache"]
    assert render_json(analyse(doc)) == render_json(analyse(load("mixed")))


def test_refresh_steps_of_a_real_preview_do_not_change_the_report() -> None:
    """``pulumi preview --refresh`` puts a refresh step before each resource's own."""
    doc = load("refresh")
    assert {s["op"] for s in doc["steps"]} >= {"refresh", "update", "replace", "create", "delete"}
    assert render_json(analyse(doc)) == render_json(analyse(load("mixed")))


# -- degraded inputs -----------------------------------------------------------------------------


def test_views_of_the_previous_inputs_stand_in_for_the_applied_side() -> None:
    """The outputs lack views, the previous inputs have them: what was applied is still known
    (the inputs of the last update are what it applied), and the credential's write-only change
    is planned from the group as observed."""
    doc = load("mixed-v1")
    step = next(s for s in doc["steps"] if s["urn"].endswith("::shop-creds"))
    for key in ("__redacted", "observed_redacted"):
        step["oldState"]["outputs"].pop(key, None)
    creds = groups(analyse(doc))["shop-creds"]
    assert creds.basis == "replanned" and creds.plan_summary == "update (RenewUpdate): restarts nothing"


@pytest.mark.parametrize("name", ["api", "conf"])
def test_without_views_the_check_plan_is_used_and_said(name: str) -> None:
    """State written before the provider published redacted views: the plan check made stands
    in, says so, and still classifies the change like the provider (write-only fields too)."""
    doc = load("mixed-v1")
    step = next(s for s in doc["steps"] if s["urn"].endswith(f"::{name}"))
    for key in ("__redacted", "observed_redacted"):
        step["oldState"]["outputs"].pop(key, None)
    before, after = groups(analyse(load("mixed-v1")))[name], groups(analyse(doc))[name]
    assert after.basis == "check" and after.impact == before.impact and after.plan_summary == before.plan_summary
    assert [r.path for r in after.rows] == [r.path for r in before.rows]
    assert any("hold secrets the preview does not show" in n and "drift cannot be shown" in n for n in after.notes)
    assert gate(analyse(doc), ["unanalysed"]) == [
        f"unanalysed: {name} (a group is not re-planned from its observed state (check's plan, or not analysed at all))"
    ]


#: What the provider adds to a state besides the spec: views of the observed group and of
#: inputs holding secrets, and the plans.  An older provider version wrote none of them.
_PROVIDER_VIEWS = ("observed", "observed_redacted", "__redacted")
_PROVIDER_PLANS = ("__plan", "last_plan", "planned_change")


def _written_before_views(doc: dict[str, Any], name: str, keys: tuple[str, ...]) -> dict[str, Any]:
    """``doc`` with ``keys`` taken out of every state of the step of ``name``."""
    step = next(s for s in doc["steps"] if s["urn"].endswith(f"::{name}"))
    for side in ("oldState", "newState"):
        for part in ("inputs", "outputs"):  # a planned state has no outputs yet
            for key in keys:
                step[side].get(part, {}).pop(key, None)
    return doc


def test_a_state_without_views_is_planned_from_its_inputs() -> None:
    """A state written by an older provider version (no observed copy, no views, no plan from
    check) with every input known: the report plans previous inputs → new inputs, as check
    does, gives the real decision and says that drift cannot be shown; nothing is "unknown"."""
    doc = _written_before_views(load("mixed-v1"), "shop-web", _PROVIDER_VIEWS + _PROVIDER_PLANS)
    report = analyse(doc)
    web = groups(report)["shop-web"]
    assert (web.impact, web.update_type, web.restarted, web.basis) == (
        "update-containers",
        "IncrementalUpdate",
        ("web",),
        "check",
    )
    assert [r.path for r in web.rows] == ["containers[web].image"]
    assert any("drift cannot be shown" in n for n in web.notes), web.notes
    assert not any("known only during pulumi up" in t for t in (*web.reasons, *web.notes))
    assert "shop-web" not in gate(report, ["unknown"])[0]
    assert "### 🔁 `shop-web`: Update, restarts containers (IncrementalUpdate)" in render_markdown(report)


@pytest.mark.parametrize("name", ["shop-web", "shop-init", "api", "shop-creds", "tagged"])
def test_the_inputs_plan_is_the_one_the_provider_check_made(name: str) -> None:
    """Without an observed copy, the report's plan from the inputs is, word for word, the plan
    the provider's own check put into ``__plan`` (the same function made both)."""
    doc = load("mixed-v1")
    step = next(s for s in doc["steps"] if s["urn"].endswith(f"::{name}"))
    checked = step["newState"]["inputs"]["__plan"]
    g = groups(analyse(_written_before_views(doc, name, ("observed", "observed_redacted"))))[name]
    assert g.basis == "check" and g.plan_summary == checked["summary"]
    assert [r.path for r in g.rows] == [c["path"] for c in checked["changes"]]


@pytest.mark.parametrize(
    ("name", "field", "impact", "title"),
    [
        ("api", "containers", "unanalysed", "### ❓ `api`: Update, not analysed"),
        ("conf", "volumes", "replace", "### ⚠️♻️ `conf`: Replace (create first)"),
    ],
)
def test_a_hidden_secret_without_any_plan_is_not_called_unknown(name: str, field: str, impact: str, title: str) -> None:
    """Secrets the preview hides, no views and no plan from check: the group cannot be analysed,
    and the report says exactly that (with Pulumi's own operation), not that something is
    known only during pulumi up."""
    report = analyse(_written_before_views(load("mixed-v1"), name, _PROVIDER_VIEWS + _PROVIDER_PLANS))
    g = groups(report)[name]
    assert (g.impact, g.basis) == (impact, "unanalysed")
    assert any(field in r and "secrets the preview does not show" in r for r in g.reasons), g.reasons
    assert not any("known only during pulumi up" in t for t in (*g.reasons, *g.notes))
    assert name not in gate(report, ["unknown"])[0]
    assert gate(report, ["unanalysed"]) == [f"unanalysed: {name} ({FAIL_ON['unanalysed']})"]
    assert title in render_markdown(report)


def test_an_unknown_input_is_still_unknown_without_views() -> None:
    report = analyse(_written_before_views(load("mixed-v1"), "rollout", _PROVIDER_VIEWS + _PROVIDER_PLANS))
    rollout = groups(report)["rollout"]
    assert (rollout.impact, rollout.basis) == ("unknown", "unknown")
    assert rollout.reasons[0] == "known only during pulumi up: containers[0].image (by position)"
    assert gate(report, ["unknown"]) == [
        "unknown: renamed-host, rollout (what happens to a group is known only during pulumi up)"
    ]


def test_a_region_change_replaces() -> None:
    doc = load("mixed")
    doc["config"]["eci:region"] = "cn-beijing"
    tags = groups(analyse(doc))["shop-tags"]
    assert tags.impact == "replace" and tags.replace_fields == ("region_id",)
    assert any("cn-hangzhou → cn-beijing" in r for r in tags.reasons)


def test_pulumi_replacing_what_the_planner_would_update_is_explained() -> None:
    """replaceOnChanges or --replace: Pulumi's decision stands, and the report says why."""
    doc = load("mixed")
    step = next(s for s in doc["steps"] if s["urn"].endswith("::shop-web"))
    step["op"], step["replaceReasons"] = "replace", ["containers"]
    web = groups(analyse(doc))["shop-web"]
    assert web.impact == "replace" and web.replace_fields == ("containers",)
    assert any("replaceOnChanges" in r for r in web.reasons)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ([], "not a `pulumi preview --json` document"),
        ({"version": 3, "deployment": {}}, "looks like `pulumi stack export`"),
        ({"steps": [{"op": "update"}]}, "steps[0]: a step needs an `op` and a `urn`"),
    ],
)
def test_bad_documents_are_rejected_with_a_reason(doc: Any, message: str) -> None:
    with pytest.raises(PreviewError) as info:
        analyse(doc)
    assert message in str(info.value)


def _cells(line: str) -> list[str]:
    """A table row's cells, split where GitHub splits them: at unescaped pipes."""
    out, cell, i = [], "", 0
    while i < len(line):
        if line[i] == "\\" and i + 1 < len(line):
            cell += line[i : i + 2]
            i += 2
            continue
        if line[i] == "|":
            out.append(cell)
            cell = ""
        else:
            cell += line[i]
        i += 1
    return [c.strip() for c in out[1:]] if line.startswith("|") else out


def test_markdown_survives_hostile_values() -> None:
    assert md.code("a|b") == "`a\\|b`" and md.code("a|b", table=False) == "`a|b`"
    assert md.code("x `y` z") == "``x `y` z``"
    assert md.escape("<b>|\nnext") == "&lt;b&gt;\\| next"
    assert md.escape("@octocat [x](//evil) **b** _e_ private_ip ~~s~~ \\") == (
        "@\u200boctocat [x]\\(//evil) \\*\\*b\\*\\* \\_e\\_ private_ip \\~\\~s\\~\\~ \\\\"
    )
    assert len(md.code("x" * 500)) < 200 and md.code("a" * 300 + "END").endswith("END`")
    doc = load("mixed")
    step = next(s for s in doc["steps"] if s["urn"].endswith("::shop-tags"))
    step["newState"]["inputs"]["tags"]["cost"] = "a|b`<script>\nx"
    step["newState"]["inputs"]["tags"]["@octocat [click](//evil.example)"] = "v"
    text = render_markdown(analyse(doc))
    (row,) = [line for line in text.splitlines() if line.startswith("| `tags[cost]`")]
    # Three cells, the value inside a code span (GitHub shows a code span's HTML as text).
    cells = _cells(row)
    assert len(cells) == 3 and cells[:2] == ["`tags[cost]`", "added: ``a\\|b`<script> x``"]
    assert "<script>" not in text.replace("``a\\|b`<script> x``", "")
    assert "@octocat" not in text.replace("`tags[@octocat [click](//evil.example)]`", "")
    assert "](//evil" not in text.replace("`tags[@octocat [click](//evil.example)]`", "")


def test_long_values_keep_what_differs() -> None:
    (row,) = groups(analyse(load("mixed")))["payments"].rows
    assert row.new is not None and row.new.endswith("/acme-production/payments-service-api:v2.15.0")
    lines = render_markdown(analyse(load("mixed"))).splitlines()
    line = next(x for x in lines if "`containers[web].image`" in x and "payments" in x)
    assert "| `…payments-service-api:v2.14.3` → `…payments-service-api:v2.15.0` |" in line


def test_refresh_steps_and_parents_do_not_change_the_report() -> None:
    """``pulumi preview --refresh`` adds refresh steps; a parent puts a type chain in the URN."""
    doc = load("mixed")
    web = next(s for s in doc["steps"] if s["urn"].endswith("::shop-web"))
    doc["steps"].insert(doc["steps"].index(web), {"op": "refresh", "urn": web["urn"], "oldState": web["oldState"]})
    same = next(s for s in doc["steps"] if s["urn"].endswith("::shop-tags"))
    doc["steps"].append(
        {"op": "refresh", "urn": same["urn"].replace("shop-tags", "quiet"), "oldState": same["oldState"]}
    )
    assert render_json(analyse(doc)) == render_json(analyse(load("mixed")))
    for step in doc["steps"]:
        step["urn"] = step["urn"].replace("::pulumi-python:dynamic/eci:", "::my:index:Shop$pulumi-python:dynamic/eci:")
    assert {g.resource: g.impact for g in analyse(doc).groups} == {
        g.resource: g.impact for g in analyse(load("mixed")).groups
    }


@pytest.mark.parametrize("op", ["discard", "discard-replaced", "delete"])
def test_groups_dropped_but_kept_running(op: str) -> None:
    doc = load("mixed")
    step = next(s for s in doc["steps"] if s["urn"].endswith("::legacy"))
    step["op"] = op
    step["oldState"]["retainOnDelete"] = True
    legacy = groups(analyse(doc))["legacy"]
    assert legacy.impact == "forget" and not legacy.warnings
    assert gate(analyse(doc), ["delete"]) == []


def test_unknown_create_only_input_counts_as_a_replacement() -> None:
    g = groups(analyse(load("mixed")))["renamed-host"]
    assert (g.impact, g.basis, g.replace_fields, g.delete_before_replace) == (
        "replace",
        "unknown",
        ("host_name",),
        False,
    )
    assert "renamed-host" in gate(analyse(load("mixed")), ["replace"])[0]


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.sampled_from(["[secret]", UNKNOWN, "x"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["path", "op", "a", "changes"]), inner, max_size=3)
    ),
    max_leaves=6,
)


def _nodes(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _nodes(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _nodes(v, (*path, i))
    return out


def test_objects_where_the_redacted_views_hold_values_never_crash() -> None:
    """Found by the fuzz below: an object where a view holds a value (a marker, a string) made
    the marker test raise TypeError (a dict is not hashable).  Every view node of every step
    gets an object and a list in turn."""
    base = load("mixed-v1")
    views = ("__redacted", "observed_redacted")
    targets = [
        (i, p)
        for i, step in enumerate(base["steps"])
        for p in _nodes(step)
        if len(p) > 3 and p[2] in views and not isinstance(_at(step, p), (dict, list))
    ]
    assert len(targets) > 20  # the fixture has views with values to replace
    for i, path in targets:
        for odd in ({}, [{}]):
            doc = copy.deepcopy(base)
            _at(doc["steps"][i], path[:-1])[path[-1]] = odd
            try:
                report = analyse(doc)
            except PreviewError:
                continue
            render_markdown(report, list(FAIL_ON))


def _at(node: Any, path: tuple[Any, ...]) -> Any:
    for seg in path:
        node = node[seg]
    return node


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_odd_documents_are_reported_or_rejected_never_crash(data: st.DataObject) -> None:
    """Any node of a step replaced by any JSON value: a report or a PreviewError, nothing else."""
    doc = load("mixed")
    i = data.draw(st.integers(0, len(doc["steps"]) - 1))
    paths = [p for p in _nodes(doc["steps"][i]) if p]
    path = data.draw(st.sampled_from(paths))
    node = doc["steps"][i]
    for seg in path[:-1]:
        node = node[seg]
    node[path[-1]] = data.draw(_JSON)
    try:
        report = analyse(doc)
    except PreviewError:
        return
    render_markdown(report, list(FAIL_ON))
    render_json(report, list(FAIL_ON))


# -- gate and command line ---------------------------------------------------------------------


def test_gate_conditions() -> None:
    report = analyse(load("mixed"))
    assert gate(report, []) == []
    assert gate(report, ["replace", "instance-restart"]) == [
        "replace: cache, conf, db, renamed-host (a group is replaced)",
        "instance-restart: shop-init, shop-mirror (an update restarts the instance)",
    ]
    assert gate(report, ["drift", "unknown"]) == [
        "drift: drifted, drifted-secret (a change reverts something changed outside Pulumi)",
        "unknown: renamed-host, rollout (what happens to a group is known only during pulumi up)",
    ]
    assert gate(analyse(load("no-change")), list(FAIL_ON)) == []
    with pytest.raises(ValueError, match="unknown condition"):
        gate(report, ["explode"])


def test_cli_exit_status_and_formats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    mixed = str(DATA / "mixed.json")
    assert main(["preview-comment", mixed]) == 0
    assert capsys.readouterr().out == (DATA / "mixed.md").read_text()
    assert main(["preview-comment", mixed, "--fail-on", "replace,instance-restart", "-o", str(tmp_path / "c.md")]) == 1
    err = capsys.readouterr().err
    assert (
        "fail-on replace: cache, conf, db, renamed-host" in err
        and (tmp_path / "c.md").read_text().count("fails this check") == 2
    )
    assert main(["preview-comment", mixed, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["replace"] == 4
    assert main(["preview-comment", mixed, "--fail-on", "everything"]) == 2
    assert "unknown condition(s) everything" in capsys.readouterr().err
    monkeypatch.setattr("eci_provider.review.report.analyse", lambda doc: 1 / 0)
    assert main(["preview-comment", mixed]) == 2  # not 1, which means "a --fail-on condition"
    assert "could not analyse the preview (ZeroDivisionError" in capsys.readouterr().err
    monkeypatch.undo()
    (tmp_path / "bad.json").write_text("{not json")
    assert main(["preview-comment", str(tmp_path / "bad.json")]) == 2
    assert "not JSON" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["preview-comment", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    listed = help_text.split("(comma-separated): ", 1)[1].split(" exit status:", 1)[0].split(", ")
    assert listed == list(FAIL_ON), help_text  # the help lists every condition


def test_example_workflow_runs_the_command_it_documents() -> None:
    """The CI example must stay in step with the command line and the comment marker."""
    flow = yaml.safe_load((ROOT / ".github/workflows/preview.yml").read_text())
    steps = flow["jobs"]["preview"]["steps"]
    render = next(s for s in steps if s.get("id") == "report")["run"].replace("\\\n", " ")
    line = next(x for x in render.splitlines() if "eci-provider preview-comment" in x)
    argv = shlex.split(line)
    argv = argv[: next((i for i, a in enumerate(argv) if a.startswith(("2>", ">"))), len(argv))]  # no redirections
    assert argv[0] == ".venv/bin/eci-provider"
    args = build_parser().parse_args(argv[1:])
    assert args.command == "preview-comment" and set(args.fail_on.split(",")) <= set(FAIL_ON)
    post = next(s for s in steps if s.get("uses", "").startswith("actions/github-script"))["with"]["script"]
    marker = md.marker("STACK").replace("STACK", "${process.env.STACK}")
    assert f"`{marker}`" in post and "updateComment" in post
    assert flow["permissions"]["pull-requests"] == "write"


def test_the_example_workflow_posts_the_budgeted_report_and_summarises_the_full_one() -> None:
    """The comment is the report cut to GitHub's limit and links the run; the job summary gets
    the full report, within the step summary's own limit (1 MiB), and the run keeps it whole."""
    flow = yaml.safe_load((ROOT / ".github/workflows/preview.yml").read_text())
    steps = flow["jobs"]["preview"]["steps"]
    run = next(s for s in steps if s.get("id") == "report")["run"]
    lines = run.replace("\\\n", " ").splitlines()
    calls = [_argv(line) for line in lines if line.lstrip().startswith(".venv/bin/eci-provider")]
    comment = build_parser().parse_args(calls[0][1:])
    assert comment.max_chars == 65_536 and comment.format == "markdown"
    assert comment.output.endswith("/comment.md") and comment.full_output.endswith("/full.md")
    assert comment.full_report_url == "$run_url"
    assert 'run_url="$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID"' in run
    assert 'cat "$RUNNER_TEMP/full.md" >> "$GITHUB_STEP_SUMMARY"' in run
    assert "-le 1048576 ]" in run  # a full report over 1 MiB would drop the whole summary
    oversized = build_parser().parse_args(calls[1][1:])
    assert oversized.max_chars * 4 < 1_048_576  # a code point is at most 4 bytes of UTF-8
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["with"]["path"].endswith("/full.md")
    post = next(s for s in steps if s.get("uses", "").startswith("actions/github-script"))["with"]["script"]
    assert "/comment.md" in post and "full.md" not in post


def _argv(line: str) -> list[str]:
    """A shell command line's words up to its first redirection."""
    argv = shlex.split(line)
    return argv[: next((i for i, a in enumerate(argv) if a.startswith(("2>", ">"))), len(argv))]


def test_report_of_a_copy_is_stable() -> None:
    """analyse() does not change its input (a bot may render both formats from one document)."""
    doc = load("mixed")
    before = copy.deepcopy(doc)
    render_markdown(analyse(doc))
    assert doc == before


def test_readme_example_is_a_real_report() -> None:
    """The rendered example in the README is the excerpt of a golden file that
    ``tests/previews.py --readme`` writes, line for line."""
    readme = (ROOT / "README.md").read_text()
    example = readme.split(README_BEGIN + "\n")[1].split(README_END)[0]
    assert example == readme_excerpt((DATA / "mixed.md").read_text()), "run .venv/bin/python tests/previews.py --readme"
