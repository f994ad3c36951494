"""Reading what ``eci-provider import`` wrote, and checking it against the group (no tests here).

A generated program is read through its syntax tree, never by matching strings: each
``ContainerGroup(...)`` call's keyword values are evaluated as literals, and a placeholder call
(``config.require_secret("KEY")``) becomes the document's marker ``{"$placeholder": KEY}``, so
that the program and the JSON document can be compared with ``==``.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eci_provider.cli import main
from eci_provider.cloud.wire import Observed
from eci_provider.importer import MARKER
from eci_provider.planning import canonical as C
from eci_provider.planning.planner import plan
from eci_provider.spec.model import ContainerGroupSpec

#: What the checks put where a write-only placeholder stands: valid Base64 and a valid path.
STAND_IN = "AAAA"
_PREAMBLE = frozenset({"import pulumi", "from eci_provider.provider import ContainerGroup", "config = pulumi.Config()"})
_HEADER_LINE = re.compile(r"^#   pulumi config set( --secret)? (\S+) -- VALUE", re.M)


@dataclass
class ProgramGroup:
    resource_name: str
    variable: str
    adopt_id: Any
    spec: dict[str, Any]
    #: config key → whether the program reads it as a secret
    placeholders: dict[str, bool] = field(default_factory=dict)
    opts: str | None = None


def run_import(*argv: str) -> tuple[int, str, str]:
    """``eci-provider import ARGV`` through the CLI's entry point: (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["import", *argv])
    return status, out.getvalue(), err.getvalue()


def program_groups(source: str) -> list[ProgramGroup]:
    """Every ``ContainerGroup(...)`` the program declares, with its keyword values."""
    tree = ast.parse(source)
    compile(tree, "<eci-provider import>", "exec")
    out = []
    for node in tree.body:
        # Nothing else: a value from the cloud that ended a comment would add a statement.
        if ast.unparse(node) in _PREAMBLE:
            continue
        assert isinstance(node, ast.Assign) and isinstance(node.value, ast.Call), ast.unparse(node)
        call = node.value
        assert isinstance(call.func, ast.Name) and call.func.id == "ContainerGroup", ast.unparse(node)
        (target,) = node.targets
        assert isinstance(target, ast.Name)
        (name_node,) = call.args
        found: dict[str, bool] = {}
        group = ProgramGroup(_literal(name_node, found), target.id, None, {})
        for kw in call.keywords:
            assert kw.arg is not None, "no **kwargs in a generated program"
            if kw.arg == "opts":
                group.opts = ast.unparse(kw.value)
            elif kw.arg == "adopt_id":
                group.adopt_id = _literal(kw.value, found)
            else:
                assert kw.arg not in group.spec
                group.spec[kw.arg] = _literal(kw.value, found)
        group.placeholders = found
        out.append(group)
    return out


def header_placeholders(source: str) -> dict[str, bool]:
    """The ``pulumi config set`` commands the program's header asks for: key → secret."""
    return {m.group(2): bool(m.group(1)) for m in _HEADER_LINE.finditer(source)}


def _literal(node: ast.AST, found: dict[str, bool]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        return -node.operand.value
    if isinstance(node, ast.List):
        return [_literal(e, found) for e in node.elts]
    if isinstance(node, ast.Dict):
        keys = [_literal(k, found) for k in node.keys if k is not None]
        assert len(keys) == len(node.keys), "no ** in a generated dict"
        return {k: _literal(v, found) for k, v in zip(keys, node.values, strict=True)}
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "config"
        and node.func.attr in ("require", "require_secret")
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Constant)
        and not node.keywords
    ):
        key = node.args[0].value
        assert key not in found, f"placeholder {key} used twice"
        found[key] = node.func.attr == "require_secret"
        return {MARKER: key}
    raise AssertionError(f"not a literal in a generated program: {ast.unparse(node)}")


# --------------------------------------------------------------------------------------
# the check: the output declares the observed group
# --------------------------------------------------------------------------------------


def filled(value: Any, values: Mapping[str, Any]) -> Any:
    if isinstance(value, dict) and set(value) == {MARKER}:
        return values[value[MARKER]]
    if isinstance(value, dict):
        return {k: filled(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [filled(v, values) for v in value]
    return value


def markers(value: Any) -> list[str]:
    if isinstance(value, dict) and set(value) == {MARKER}:
        return [value[MARKER]]
    if isinstance(value, dict):
        return [k for v in value.values() for k in markers(v)]
    if isinstance(value, list):
        return [k for v in value for k in markers(v)]
    return []


def check_declares(doc_group: Mapping[str, Any], program: ProgramGroup, observed: Observed, original: Any) -> None:
    """The document and the program say the same, and, once the placeholders are filled in,
    they plan no change against the observed group; the placeholders are exactly the values
    the plan could not compare (write-only), plus any kept out because they look secret.

    ``original`` is the spec the group was created from, as plain data: a placeholder for a
    value kept out of the program gets its value from there.
    """
    # The program's keyword values are the document's spec, placeholders included.
    assert program.adopt_id == doc_group["adopt_id"] == observed.container_group_id
    assert program.resource_name == doc_group["resource_name"]
    assert program.opts == "pulumi.ResourceOptions(protect=True)"
    assert program.spec == doc_group["spec"]

    listed = {p["key"]: p for p in doc_group["placeholders"]}
    assert sorted(markers(doc_group["spec"])) == sorted(listed)
    assert program.placeholders == {k: p["secret"] for k, p in listed.items()}

    values = {
        k: (STAND_IN if p["reason"] == "write-only" else value_at(original, p["path"])) for k, p in listed.items()
    }
    desired = ContainerGroupSpec.model_validate(filled(doc_group["spec"], values))
    decided = plan(desired, observed.spec, observed.status)
    assert decided.action == "noop", decided.reasons

    # Every write-only value the group was created with that the spec needs has a placeholder.
    write_only = {p["path"] for p in listed.values() if p["reason"] == "write-only"}
    assert write_only == needed_write_only(original)

    _, unknown = C.canon_current(observed.spec, desired, None)
    for path in unknown:  # each value the plan could not compare stands in a placeholder
        assert any(C.at_or_under(w, path) for w in write_only), (path, write_only)
    for w in write_only:  # and each write-only placeholder is such a value
        assert any(C.at_or_under(w, path) for path in unknown), (w, unknown)


def needed_write_only(original: Mapping[str, Any]) -> set[str]:
    """Written out independently of the importer: the write-only values a spec cannot do without
    (a config file's content, a host path volume's path), by the key paths the planner uses."""
    out = set()
    for v in original.get("volumes") or ():
        if v["type"] == "ConfigFileVolume":
            for f in v["config_file_volume"]["config_file_to_paths"]:
                if "content" in f:
                    out.add(f"volumes[{v['name']}].config_file_volume.config_file_to_paths[{f['path']}].content")
        elif v["type"] == "HostPathVolume":
            out.add(f"volumes[{v['name']}].host_path_volume.path")
    return out


_SEGMENT = re.compile(r"([a-z_0-9]+)(?:\[([^\]]*)\])?")


def value_at(spec: Any, path: str) -> Any:
    """The value at a planner key path (``containers[web].environment_vars[DB_PASSWORD].value``)
    in ``spec`` as plain data; list items are found by their key field."""
    node = spec
    for part in _split(path):
        m = _SEGMENT.fullmatch(part)
        assert m, part
        node = node[m.group(1)]
        if m.group(2) is not None:
            node = next(i for i in node if _key_of(i) == m.group(2))
    return node


def _split(path: str) -> Sequence[str]:
    parts, depth, current = [], 0, ""
    for ch in path:
        if ch == "." and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += ch == "["
        depth -= ch == "]"
        current += ch
    return [*parts, current]


def _key_of(item: Mapping[str, Any]) -> str:
    for key in ("name", "key", "path", "mount_path", "server", "instance_id", "ip"):
        if key in item:
            return str(item[key])
    raise AssertionError(f"no key field in {sorted(item)}")
