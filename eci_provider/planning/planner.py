"""The reconciliation planner: what is the least disruptive correct change?

``plan(desired, current, status)`` is a pure function implementing the rules of docs/update-rules.md.  It
reads every rule from the fields' :class:`~eci_provider.spec.rules.Rule` metadata; nothing here
lists fields.  How it works:

1. Both specs are canonicalised (:mod:`eci_provider.planning.canonical`): keyed lists become dicts,
   defaults and empty values drop out, write-only values become digests, tolerances (a rounded
   vCPU/memory pair, a vSwitch picked from a list) become matchers.
2. The two canonical dicts are compared field by field with ``==``.  That is plain dict
   equality, so an unchanged group costs one pass and no diff engine at all.
3. Only the top-level fields that differ are walked, to find each changed path and explain it.
   The structural diff is ours rather than deepdiff's: it needs the field metadata at every
   step (to know create-only, restarts and secrets) and is 10-50x cheaper on these shapes
   (see benchmarks/bench_plan.py); deepdiff is used to explain a changed ordered list.
4. The changed paths decide the action, the UpdateType, the calls and what restarts.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from deepdiff import DeepDiff
from pydantic import BaseModel, SecretStr

from ..spec import display, sources
from ..spec.model import ContainerGroupSpec, revealed
from ..spec.rules import ListMode, Restart, Rule, Shape
from ..spec.secret import Secret
from ..spec.status import REPLACE_STATUSES, TERMINAL_STATUSES, UPDATABLE_STATUSES
from . import canonical as C
from .redaction import key_paths

__all__ = [
    "Applied",
    "Change",
    "Explanation",
    "Plan",
    "UpdateCall",
    "applied_record",
    "inputs_plan",
    "pinned",
    "plan",
    "region_move",
]

Applied = C.Applied
applied_record = C.applied_record

Action = Literal["create", "noop", "update", "replace"]
UpdateType = Literal["RenewUpdate", "IncrementalUpdate"]
RestartScope = Literal["instance", "containers", "none"]


@dataclass(frozen=True)
class Change:
    """One changed path, with what decided its fate."""

    path: str  # e.g. "containers[web].image"
    kind: Literal["changed", "added", "removed", "order"]
    old: Any
    new: Any
    field: str  # the top-level field it belongs to
    rule: Rule  # the rule of the changed field itself
    create_only: bool  # the field or one of its ancestors is create-only
    secret: bool
    #: The key of the top-level list item (container, volume, tag, ...) the change is in.
    item: str | None = None
    #: The change is that whole item being added or removed.
    whole: bool = False
    #: The desired value behind a write-only digest, shown when it is not secret.
    new_plain: Any = None

    def __post_init__(self) -> None:
        """A secret change keeps its values sealed, so that ``repr`` and ``asdict`` show none."""
        if self.secret:
            for name in ("old", "new", "new_plain"):
                value = getattr(self, name)
                if value is not None and not isinstance(value, Secret):
                    object.__setattr__(self, name, Secret(value))

    def show(self, value: Any, limit: int | None = 80) -> str:
        """``value`` for display, masked when secret; cut at ``limit`` characters (None: whole)."""
        if value is self.new and isinstance(_raw(value), C.Digest) and self.new_plain is not None:
            return _show(self.new_plain, self.secret, limit)
        return _show(value, self.secret, limit)

    def describe(self) -> str:
        """``path: old → new``, with secrets masked and unset values read as their default."""
        return _describe(self)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly form with display strings only: never a secret, never a digest."""
        old, new = _sides(self)
        return {
            "path": self.path,
            "kind": self.kind,
            "field": self.field,
            "item": self.item,
            "whole": self.whole,
            "old": old,
            "new": new,
            "create_only": self.create_only,
            "secret": self.secret,
            "write_only": self.rule.write_only or any(isinstance(_raw(v), C.Digest) for v in (self.old, self.new)),
            "text": _describe(self),
        }


@dataclass(frozen=True)
class Explanation:
    """One line of a plan's reasoning: what differs and the rule that decided its fate.

    Kept apart (rather than as one sentence) so that a report can put the change and the rule
    in separate columns without parsing text back.
    """

    what: str
    why: str = ""
    #: The changed path this line explains; ``None`` for lines about the group as a whole.
    path: str | None = None

    def __str__(self) -> str:
        return f"{self.what} — {self.why}" if self.why else self.what


@dataclass(frozen=True)
class UpdateCall:
    """One UpdateContainerGroup call: its UpdateType and the top-level fields it sends.

    Each field is given by its spec name, complete, as plain data (what ``revealed`` gives),
    with every secret leaf (typed, like a registry password, or marked by the program) sealed in
    a :class:`~eci_provider.spec.secret.Secret`.  Encoding to wire parameters happens when the
    call is sent (``eci_provider.cloud.wire.encode_update``), which is the only place that
    unseals them; a plan can therefore be printed, logged or ``asdict``-ed safely.
    """

    update_type: UpdateType
    fields: Mapping[str, Any]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.fields)


@dataclass(frozen=True)
class Plan:
    """What reconciling one container group will do, and why."""

    action: Action
    update_type: UpdateType | None = None
    restart: RestartScope = "none"
    restarted_containers: tuple[str, ...] = ()
    replace_fields: tuple[str, ...] = ()
    delete_before_replace: bool = False
    explained: tuple[Explanation, ...] = ()
    calls: tuple[UpdateCall, ...] = ()
    #: Containers an update adds (they start) or removes (they stop); not restarts.
    started_containers: tuple[str, ...] = ()
    stopped_containers: tuple[str, ...] = ()
    #: Risky combinations a reviewer should see.
    warnings: tuple[str, ...] = ()
    #: Facts that are not changes: inferred rules, unknown write-only values, rounding, waits.
    notes: tuple[str, ...] = ()
    changes: tuple[Change, ...] = field(default=(), repr=False)

    @property
    def reasons(self) -> tuple[str, ...]:
        """The explanations as sentences (for logs and the ``--diff`` summary)."""
        return tuple(str(e) for e in self.explained)

    def why(self, path: str) -> str:
        """The rule that decided the fate of the change at ``path`` ("" if none was recorded)."""
        return next((e.why for e in self.explained if e.path == path), "")

    @property
    def replace_top_fields(self) -> tuple[str, ...]:
        """The top-level input names behind ``replace_fields`` (what Pulumi calls replaces)."""
        seen: dict[str, None] = {}
        for p in self.replace_fields:
            seen[C.top_field(p)] = None
        return tuple(seen)

    def summary(self) -> str:
        """One line for logs and previews, e.g. ``update (IncrementalUpdate): restarts containers web``."""
        if self.action == "noop":
            return "no change"
        if self.action == "create":
            return "create"
        if self.action == "replace":
            order = "delete before create" if self.delete_before_replace else "create before delete"
            return f"replace ({order}) because of {', '.join(self.replace_fields)}"
        parts = [f"update ({self.update_type}{', ' + str(len(self.calls)) + ' calls' if len(self.calls) > 1 else ''})"]
        if self.restart == "instance":
            parts.append("restarts the instance")
        elif self.restart == "containers":
            parts.append(f"restarts containers {', '.join(self.restarted_containers)}")
        else:
            parts.append("restarts nothing")
        if self.started_containers:
            parts.append(f"starts {', '.join(self.started_containers)}")
        if self.stopped_containers:
            parts.append(f"stops {', '.join(self.stopped_containers)}")
        return ": ".join(parts[:1]) + (": " + "; ".join(parts[1:]) if parts[1:] else "")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly form (secrets already masked in ``reasons``; calls are counted, not
        included, because they carry write-only values such as registry passwords)."""
        return {
            "action": self.action,
            "update_type": self.update_type,
            "restart": self.restart,
            "restarted_containers": list(self.restarted_containers),
            "started_containers": list(self.started_containers),
            "stopped_containers": list(self.stopped_containers),
            "replace_fields": list(self.replace_fields),
            "delete_before_replace": self.delete_before_replace,
            "calls": len(self.calls),
            "reasons": list(self.reasons),
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "summary": self.summary(),
            "changes": [{**c.to_dict(), "rule": self.why(c.path)} for c in self.changes],
            "explained": [{"what": e.what, "why": e.why, "path": e.path} for e in self.explained],
        }


def plan(
    desired: ContainerGroupSpec,
    current: ContainerGroupSpec | None,
    status: str | None = None,
    *,
    applied: Applied | None = None,
    secret_paths: Collection[str] = (),
) -> Plan:
    """Decide how to take ``current`` (observed, or ``None``) to ``desired``.

    ``applied`` holds digests of the write-only values last applied (kept in state); without
    it, write-only values are compared only where ``current`` carries them.  ``secret_paths``
    are extra paths (e.g. an environment variable value the user marked secret) whose values
    must never be shown; typed secrets are masked anyway.

    Both specs must be :class:`ContainerGroupSpec` instances: the planner relies on validated,
    typed values, so plain data is refused with a ``TypeError`` rather than misread.
    """
    _require_spec("desired", desired)
    if current is not None:
        _require_spec("current", current)
    if current is None:
        created = Explanation("no container group exists yet: create it")
        return Plan("create", explained=(created,), notes=_rounding_notes(desired))

    salt = applied.salt if applied else ""
    plain: dict[str, Any] = {}
    dc = C.canon(desired, salt, plain)
    cc, unknown = C.canon_current(current, desired, applied)
    notes = list(_rounding_notes(desired))
    if unknown:
        notes.append(
            "not compared, because nothing records what was last applied (write-only): " + ", ".join(sorted(unknown))
        )

    changed_fields = [f for f in _keys(dc, cc, ContainerGroupSpec) if dc.get(f, _NONE) != cc.get(f, _NONE)]
    changes: list[Change] = []
    for name in changed_fields:
        _diff(dc.get(name, _NONE), cc.get(name, _NONE), ContainerGroupSpec, name, name, False, False, changes)
    changes = [_with_plain(c, plain) for c in changes]
    secret_set = frozenset(secret_paths)
    changes = [_mark_secret(c, secret_set) for c in changes]

    status_note = _status_note(status)
    if status_note:
        notes.append(status_note)

    if status in REPLACE_STATUSES:
        why = f"the instance is not usable, so a new one is created ({sources.interpreted('unusable-instance')})"
        reasons = [Explanation(f"status: {status}", why, "status")]
        reasons += [_reason(c, "the new instance gets it") for c in changes]
        return _replace(desired, ["status", *(c.path for c in changes)], changes, reasons, notes)
    if not changes:
        return Plan("noop", notes=tuple(notes))
    if status in TERMINAL_STATUSES:
        reasons = [
            _reason(
                c,
                f"the instance is {status}: a finished instance cannot be updated, so a new one runs "
                f"this spec ({sources.interpreted('finished-instance')})",
            )
            for c in changes
        ]
        return _replace(desired, ["status", *(c.path for c in changes)], changes, reasons, notes)

    replace_paths, replace_reasons = _replacements(changes, dc, cc)
    if replace_paths:
        reasons = replace_reasons + [
            _reason(c, "also changes; the new instance gets it")
            for c in changes
            if c.path not in replace_paths and not _under_any(c.path, replace_paths)
        ]
        return _replace(desired, replace_paths, changes, reasons, notes)
    return _update(desired, current, dc, cc, changes, notes, status, secret_set)


def _require_spec(name: str, value: object) -> None:
    """Refuse anything but a validated spec, saying how to get one (a dict is the usual mistake)."""
    if not isinstance(value, ContainerGroupSpec):
        raise TypeError(
            f"plan(): {name} must be a ContainerGroupSpec, not {type(value).__name__}; validate plain data "
            f"into ContainerGroupSpec first: ContainerGroupSpec.model_validate(data)"
        )


def inputs_plan(previous: ContainerGroupSpec, desired: ContainerGroupSpec, previous_marks: Any, marks: Any) -> Plan:
    """What changing the program's inputs from ``previous`` to ``desired`` does.

    This is the plan the provider's ``check`` publishes before ``diff`` runs, and the one the
    preview report makes itself when a state lacks the provider's views: one function, so that
    the two cannot disagree.  Nothing observed takes part, so it cannot see drift (changes made
    outside Pulumi), and no status applies.  Write-only values (a registry password, a config
    file) are compared through digests of ``previous``, which holds them.

    ``marks``/``previous_marks`` are the program's secret marks (index paths, as in
    ``__secret_paths``) now and before.  Both are masked, so that a value just unmarked never
    shows its old, secret, value.
    """
    if desired == previous:  # what plan() gives for equal inputs, without canonicalising both
        return Plan("noop", notes=_rounding_notes(desired))
    masked = {*key_paths(desired, marks), *key_paths(previous, previous_marks)}
    return plan(desired, previous, None, applied=applied_record(previous, "check"), secret_paths=masked)


def region_move(old_region: str | None, new_region: str | None) -> Plan | None:
    """A replacement when the provider now points at another region (None: same region).

    The region is a provider setting, not part of the spec: a group lives in one region, so a
    new region means a new group there and the old one deleted.
    """
    if not old_region or not new_region or old_region == new_region:
        return None
    return Plan(
        "replace",
        replace_fields=("region_id",),
        explained=(
            Explanation(
                f"region_id: {old_region} → {new_region}",
                "a group lives in one region, so it is recreated in the new one",
                "region_id",
            ),
        ),
    )


# --------------------------------------------------------------------------------------
# structural diff over canonical forms
# --------------------------------------------------------------------------------------

_NONE: Any = object()


def _diff(
    d: Any,
    c: Any,
    model: type,
    name: str,
    path: str,
    co: bool,
    secret: bool,
    out: list[Change],
    item: str | None = None,
) -> None:
    """Append a Change for every differing path under field ``name`` of ``model``.

    ``item`` is the key of the top-level list item being walked; it is recorded on each Change
    so that decisions never parse keys back out of paths (keys may contain dots or brackets).
    """
    fp = C.plan_of(model, name)
    rule = fp.rule
    co = co or rule.create_only
    secret = secret or rule.secret
    top = C.top_field(path)
    top_level = item is None and "." not in path and "[" not in path

    def add(kind: Any, p: str, old: Any, new: Any, key: str | None = item, whole: bool = False) -> None:
        out.append(Change(p, kind, old, new, top, rule, co, secret, key, whole))

    if d is _NONE or c is _NONE:
        add("added" if c is _NONE else "removed", path, None if c is _NONE else c, None if d is _NONE else d)
        return
    if fp.kind is Shape.STRUCT and isinstance(d, dict) and isinstance(c, dict):
        assert fp.child is not None
        _diff_fields(d, c, fp.child, path, co, secret, out, item)
        return
    if fp.kind in (Shape.KEYED, Shape.MAP) and isinstance(d, dict) and isinstance(c, dict):
        keys = dict.fromkeys([*d, *c])
        # Tags are a mapping: report them in key order, whatever order the inputs came in.
        for key in sorted(keys) if fp.kind is Shape.MAP else keys:
            dv, cv = d.get(key, _NONE), c.get(key, _NONE)
            if dv == cv:
                continue
            sub_item = key if top_level and key != C.ORDER else item
            if key == C.ORDER:
                add("order", f"{path}{C.ORDER}", cv, dv)
            elif dv is _NONE or cv is _NONE:
                add(
                    "added" if cv is _NONE else "removed",
                    f"{path}[{key}]",
                    None if cv is _NONE else cv,
                    None if dv is _NONE else dv,
                    sub_item,
                    whole=top_level,
                )
            elif fp.kind is Shape.KEYED and isinstance(dv, dict) and isinstance(cv, dict):
                assert fp.child is not None
                _diff_fields(dv, cv, fp.child, f"{path}[{key}]", co, secret, out, sub_item)
            else:  # a tag value, or the digest of a write-only item
                add("changed", f"{path}[{key}]", cv, dv, sub_item)
        return
    add("changed", path, c, d)


def _diff_fields(
    d: Mapping[str, Any],
    c: Mapping[str, Any],
    child: type,
    prefix: str,
    co: bool,
    secret: bool,
    out: list[Change],
    item: str | None,
) -> None:
    """:func:`_diff` each differing field of a struct (or list item) at ``prefix``."""
    for sub in _keys(d, c, child):
        dv, cv = d.get(sub, _NONE), c.get(sub, _NONE)
        if dv != cv:
            _diff(dv, cv, child, sub, f"{prefix}.{sub}", co, secret, out, item)


def _keys(d: Mapping[str, Any], c: Mapping[str, Any], model: type) -> list[str]:
    present = d.keys() | c.keys()
    return [fp.name for fp in C.plans(model) if fp.name in present]


def _with_plain(change: Change, plain: Mapping[str, Any]) -> Change:
    if isinstance(_raw(change.new), C.Digest) and change.path in plain:
        return replace(change, new_plain=plain[change.path])
    return change


def _mark_secret(change: Change, secret_paths: frozenset[str]) -> Change:
    if change.secret or not secret_paths:
        return change
    if any(C.related(change.path, s) for s in secret_paths):
        return replace(change, secret=True)
    return change


def _under_any(path: str, prefixes: Collection[str]) -> bool:
    return any(C.under(path, p) for p in prefixes)


# --------------------------------------------------------------------------------------
# decisions
# --------------------------------------------------------------------------------------


def _replacements(changes: list[Change], dc: dict[str, Any], cc: dict[str, Any]) -> tuple[list[str], list[Explanation]]:
    """Paths that force a replacement (a create-only change, or a list emptied), with one reason each."""
    paths: list[str] = []
    reasons: list[Explanation] = []
    for c in changes:
        if c.create_only:
            paths.append(c.path)
            reasons.append(
                _reason(
                    c,
                    f"create-only: UpdateContainerGroup cannot change it, so the group is replaced "
                    f"({_source_of_create_only(c)})",
                )
            )
            continue
        top_rule = C.plan_of(ContainerGroupSpec, c.field).rule
        if c.path == c.field and c.kind == "removed" and top_rule.list_mode is not None:
            paths.append(c.path)
            reasons.append(
                _reason(
                    c,
                    "removed entirely: an empty list or struct cannot be sent to "
                    f"UpdateContainerGroup, so the group is replaced ({sources.interpreted('some-to-none')})",
                )
            )
            continue
        if c.kind == "added" and c.whole and isinstance(_raw(c.new), Mapping):
            fp = C.plan_of(ContainerGroupSpec, c.field)
            if fp.kind is Shape.KEYED and fp.child is not None:
                bad = list(C.create_only_paths(_raw(c.new), fp.child, c.path))
                if bad:
                    paths.extend(bad)
                    reasons.append(
                        _reason(
                            c,
                            f"added with create-only settings ({', '.join(bad)}), which "
                            "UpdateContainerGroup cannot carry, so the group is replaced "
                            f"({sources.interpreted('create-only-in-items')})",
                        )
                    )
    return paths, reasons


def _source_of_create_only(c: Change) -> str:
    return c.rule.source if c.rule.create_only else f"{sources.METADATA}: an enclosing field is create-only"


def _replace(
    desired: ContainerGroupSpec,
    replace_paths: list[str],
    changes: list[Change],
    reasons: list[Explanation],
    notes: list[str],
) -> Plan:
    dbr, pin_reasons = _pins(desired)
    warnings = []
    if dbr:
        pinned = ", ".join(e.path for e in pin_reasons if e.path)
        warnings.append(
            f"downtime: the old instance is deleted before the new one is created, because {pinned} "
            f"cannot be held by two instances at once ({sources.interpreted('pinned-address')})"
        )
    return Plan(
        "replace",
        replace_fields=tuple(dict.fromkeys(replace_paths)),
        delete_before_replace=dbr,
        explained=tuple(reasons) + tuple(pin_reasons),
        warnings=tuple(warnings),
        notes=tuple(notes),
        changes=tuple(changes),
    )


def pinned(inputs: Mapping[str, Any]) -> tuple[str, ...]:
    """The top-level fields set in ``inputs`` that pin an address two instances cannot hold at
    once (a private IP, an EIP, a fixed IP).  Works on raw inputs too: a value not known yet
    counts as set, because a replacement must not bet on it being empty."""
    return tuple(
        fp.name
        for fp in C.plans(ContainerGroupSpec)
        if fp.rule.pins_address and inputs.get(fp.name) not in (None, "false", False)
    )


def _pins(desired: ContainerGroupSpec) -> tuple[bool, list[Explanation]]:
    """Delete before create when the spec pins something two instances cannot hold at once."""
    pins = [
        Explanation(
            f"{name} is set",
            "two instances cannot hold it at once: the old instance is deleted before the new one is "
            f"created, which means downtime ({sources.interpreted('pinned-address')})",
            name,
        )
        for name in pinned({n: getattr(desired, n) for n in ContainerGroupSpec.model_fields})
    ]
    return bool(pins), pins


def _update(
    desired: ContainerGroupSpec,
    current: ContainerGroupSpec,
    dc: dict[str, Any],
    cc: dict[str, Any],
    changes: list[Change],
    notes: list[str],
    status: str | None,
    secret_paths: frozenset[str] = frozenset(),
) -> Plan:
    by_field: dict[str, list[Change]] = {}
    for c in changes:
        by_field.setdefault(c.field, []).append(c)
    fields = list(by_field)
    rules_ = {f: C.plan_of(ContainerGroupSpec, f).rule for f in fields}

    renew_because = [c for c in changes if _needs_renew(c, rules_[c.field])]
    cred = "image_registry_credentials"
    cred_alone_ok = False
    if cred in by_field:
        old_n, new_n = _count(cc.get(cred)), _count(dc.get(cred))
        cred_alone_ok = old_n is not None and new_n <= old_n

    # Calls: a non-growing credential change goes alone so that it restarts nothing (UpdateContainerGroup
    # API reference).
    groups: list[list[str]]
    if cred in by_field and cred_alone_ok and len(fields) > 1:
        groups = [[cred], [f for f in fields if f != cred]]
    else:
        groups = [fields]

    calls: list[UpdateCall] = []
    types: list[UpdateType] = []
    instance_restart_by: list[str] = []
    for group in groups:
        renew = any(c.field in group for c in renew_because)
        utype: UpdateType = "RenewUpdate" if renew else "IncrementalUpdate"
        types.append(utype)
        sent = {f: _call_field(desired, f, secret_paths) for f in _with_partners(group, rules_, desired)}
        calls.append(UpdateCall(utype, sent))
        for f in group:
            r = rules_[f]
            if r.restarts is Restart.INSTANCE:
                if r.no_restart_if_alone_not_growing and group == [f] and cred_alone_ok:
                    continue
                instance_restart_by.append(f)

    resize = _derived_resize(desired, current, by_field)
    if resize:
        instance_restart_by.append("instance size")
    restarted, started, stopped = _container_effects(desired, current, dc, cc, by_field)
    if instance_restart_by:
        restart: RestartScope = "instance"
        restarted_names = tuple(c.name for c in desired.containers)
    elif restarted:
        restart = "containers"
        restarted_names = tuple(n for n in (c.name for c in desired.containers) if n in restarted)
    else:
        restart = "none"
        restarted_names = ()

    reasons = [
        _update_reason(
            c,
            rules_[c.field],
            renew_because,
            cred_alone_ok,
            restarted,
            desired,
            bool(instance_restart_by),
        )
        for c in changes
    ]
    warnings = []
    effective_policy = desired.restart_policy or "Always"
    if effective_policy == "Never" and (restart != "none" or started or stopped or "containers" in by_field):
        warnings.append(
            "RestartPolicy is Never: updating the containers of this group may make them fail "
            f"({sources.UPDATE}); consider a replacement instead"
        )
    if cred in by_field and not cred_alone_ok:
        why = "the list grows" if _count(cc.get(cred)) is not None else "the old count is unknown"
        warnings.append(f"the registry credential change restarts the instance because {why} ({sources.UPDATE})")
    if resize:
        reasons.append(Explanation(*resize))
    inferred = [
        f for f in instance_restart_by if f == "instance size" or rules_[f].restart_source == sources.INTERPRETATION
    ]
    if inferred:
        notes.append(
            f"the instance restart for {', '.join(inferred)} is inferred: the docs do not say "
            f"({sources.interpreted('undocumented-restarts')})"
        )
    return Plan(
        "update",
        update_type="RenewUpdate" if "RenewUpdate" in types else "IncrementalUpdate",
        restart=restart,
        restarted_containers=restarted_names,
        explained=tuple(reasons),
        calls=tuple(calls),
        started_containers=tuple(sorted(started)),
        stopped_containers=tuple(sorted(stopped)),
        warnings=tuple(warnings),
        notes=tuple(notes),
        changes=tuple(changes),
    )


def _derived_resize(
    desired: ContainerGroupSpec, current: ContainerGroupSpec, by_field: Mapping[str, list[Change]]
) -> tuple[str, str] | None:
    """When cpu/memory are left to the service, the instance size follows the containers' total;
    a container change that alters it resizes the instance, which is treated like a cpu/memory
    change: an instance restart (docs/update-rules.md, interpretation "instance-size")."""
    if desired.cpu is not None and desired.memory is not None:
        return None
    if "containers" not in by_field:
        return None
    try:
        before, after = current.instance_size(), desired.instance_size()
    except ValueError:
        return None
    if before == after:
        return None
    return (
        f"instance size: {before[0]:g} vCPU/{before[1]:g} GiB → {after[0]:g} vCPU/{after[1]:g} GiB",
        "cpu/memory are not set, so the size follows the containers' total; the service resizes the "
        f"instance, which restarts it ({sources.interpreted('instance-size')})",
    )


def _with_partners(group: list[str], rules_: Mapping[str, Rule], desired: ContainerGroupSpec) -> list[str]:
    """The group's fields plus the ones they must travel with (``Rule.send_with``), if set."""
    out = list(group)
    for f in group:
        for partner in rules_[f].send_with:
            if partner not in out and getattr(desired, partner) is not None:
                out.append(partner)
    return out


def _needs_renew(c: Change, top_rule: Rule) -> bool:
    """RenewUpdate when credentials change, an item leaves a merged list, or a struct member
    is removed (docs/update-rules.md, interpretation "merge-and-renew")."""
    if top_rule.renew_only:
        return True
    if top_rule.list_mode is ListMode.MERGE:
        if top_rule.merge_key is None:  # a struct merged member by member (DnsConfig)
            return c.kind == "removed" and c.path.count(".") == 1  # a member (field names hold no dots)
        return c.kind == "removed" and c.whole
    return False


def _count(value: Any) -> int | None:
    if value is _NONE or value is None:
        return 0 if value is _NONE else None
    if isinstance(value, Mapping):
        return len([k for k in value if k != C.ORDER])
    return None


def _call_field(desired: ContainerGroupSpec, name: str, secret_paths: frozenset[str]) -> Any:
    """Field ``name`` of ``desired`` as a call sends it: complete, secrets sealed."""
    fp = C.plan_of(ContainerGroupSpec, name)
    value = getattr(desired, name)
    if value is None:
        # Only scalars get here: lists and structs going to none are replacements.
        assert fp.rule.doc_default is not None, name
        value = fp.rule.doc_default
    return seal(value, fp, name, secret_paths)


def seal(value: Any, fp: C.FieldPlan, path: str, marked: frozenset[str]) -> Any:
    """``value`` (field ``fp`` at key path ``path``) as plain data with each secret leaf sealed:
    a ``SecretStr`` (secret by type), or a value at a path the program marked secret."""
    if path in marked:
        return Secret(revealed(value))
    if isinstance(value, SecretStr):
        return Secret(value.get_secret_value())
    if fp.kind is Shape.STRUCT and isinstance(value, BaseModel):
        return _seal_model(value, path, marked)
    if fp.kind in (Shape.KEYED, Shape.STRUCTS) and isinstance(value, list):
        return [
            _seal_model(item, f"{path}[{C.item_key(item, fp) if fp.kind is Shape.KEYED else i}]", marked)
            for i, item in enumerate(value)
        ]
    if fp.kind is Shape.MAP and isinstance(value, dict):
        return {k: Secret(v) if f"{path}[{k}]" in marked else v for k, v in value.items()}
    if fp.kind is Shape.SCALARS and isinstance(value, list):
        return [Secret(revealed(v)) if f"{path}[{i}]" in marked else revealed(v) for i, v in enumerate(value)]
    return revealed(value)


def _seal_model(model: BaseModel, path: str, marked: frozenset[str]) -> Any:
    if path in marked:
        return Secret(revealed(model))
    return {
        fp.name: seal(v, fp, f"{path}.{fp.name}", marked)
        for fp in C.plans(type(model))
        if (v := getattr(model, fp.name)) is not None
    }


def _container_effects(
    desired: ContainerGroupSpec,
    current: ContainerGroupSpec,
    dc: dict[str, Any],
    cc: dict[str, Any],
    by_field: dict[str, list[Change]],
) -> tuple[set[str], set[str], set[str]]:
    """Which containers restart (changed ones, and those mounting a changed volume), start, stop."""
    restarted: set[str] = set()
    started: set[str] = set()
    stopped: set[str] = set()
    for c in by_field.get("containers", ()):
        if c.item is None:
            continue
        if c.whole and c.kind == "added":
            started.add(c.item)
        elif c.whole and c.kind == "removed":
            stopped.add(c.item)
        else:
            restarted.add(c.item)
    changed_volumes = {c.item for c in by_field.get("volumes", ()) if c.item is not None}
    if changed_volumes:
        kept = {x.name for x in desired.containers} - started
        for spec in (desired, current):
            for cont in spec.containers:
                if cont.name in kept and any(m.name in changed_volumes for m in cont.volume_mounts or ()):
                    restarted.add(cont.name)
    return restarted, started, stopped


# --------------------------------------------------------------------------------------
# explanations
# --------------------------------------------------------------------------------------


def _show(value: Any, secret: bool, limit: int | None = 80) -> str:
    if value is None or value is _NONE:
        return display.UNSET
    if secret:
        return C.SECRET_MASK
    if isinstance(value, C.Digest):
        return value.display()
    if isinstance(value, (C.OneOf, C.RoundedUp)):
        return repr(value)
    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if k != C.ORDER}
        if all(isinstance(v, C.Digest) for v in value.values()):
            return f"{len(value)} write-only item(s)"
        text = ", ".join(f"{k}={_show(v, False, limit)}" for k, v in value.items())
        return "{" + (text if limit is None or len(text) <= limit - 2 else text[: limit - 5] + "...") + "}"
    if isinstance(value, tuple) and value and isinstance(value[0], dict):
        return f"{len(value)} item(s)"
    text = display.show(value)
    return text if limit is None or len(text) <= limit else text[: limit - 3] + "..."


def _absent(c: Change) -> str:
    """How an unset value reads: its documented default, the service's choice, or unset."""
    if c.rule.doc_default is not None:
        return f"{_show(c.rule.doc_default, False)} (default)"
    if c.rule.computed:
        return "(chosen by the service)"
    return "(unset)"


def _raw(value: Any) -> Any:
    """A change's value for the planner's own reasoning (a secret one is sealed)."""
    return value.reveal() if isinstance(value, Secret) else value


def _whole_item(c: Change) -> bool:
    """Whether the change adds or removes a whole item or struct (not one value of a field)."""
    return c.whole or c.path.endswith("]") or isinstance(_raw(c.new if c.kind == "added" else c.old), Mapping)


def _sides(c: Change) -> tuple[str | None, str | None]:
    """The old and new values as display strings; ``None`` for the side of an item that does
    not exist (added or removed whole)."""
    item = _whole_item(c)
    write_only = isinstance(_raw(c.old), C.Digest) or isinstance(_raw(c.new), C.Digest)
    if c.kind == "added":
        hidden = isinstance(_raw(c.new), C.Digest) and c.new_plain is None
        return (None if item else _absent(c)), ("(write-only)" if hidden else c.show(c.new, None))
    if c.kind == "removed":
        old = "(write-only)" if isinstance(_raw(c.old), C.Digest) else c.show(c.old, None)
        return old, (None if item else _absent(c))
    if write_only:
        new = c.show(c.new, None) if c.new_plain is not None or c.secret else "(changed)"
        return "(last applied, write-only)", new
    return c.show(c.old, None), c.show(c.new, None)


def _describe(c: Change) -> str:
    item = _whole_item(c)
    if c.kind == "added":
        if item:
            return f"{c.path}: added" + (
                "" if c.secret or isinstance(_raw(c.new), (Mapping, C.Digest)) else f" ({c.show(c.new)})"
            )
        return f"{c.path}: {_absent(c)} → {c.show(c.new)}"
    if c.kind == "removed":
        if item:
            return f"{c.path}: removed" + (
                "" if c.secret or isinstance(_raw(c.old), (Mapping, C.Digest)) else f" (was {c.show(c.old)})"
            )
        return f"{c.path}: {c.show(c.old)} → {_absent(c)}"
    if c.kind == "order":
        return f"{c.path[: -len(C.ORDER)]}: order {c.show(c.old)} → {c.show(c.new)}"
    if isinstance(_raw(c.old), C.Digest) or isinstance(_raw(c.new), C.Digest):
        if c.secret or c.new_plain is None:
            return f"{c.path}: changed (write-only; differs from what was last applied)"
        return f"{c.path}: (write-only, last applied value differs) → {c.show(c.new)}"
    base = f"{c.path}: {c.show(c.old)} → {c.show(c.new)}"
    if isinstance(_raw(c.old), tuple) and isinstance(_raw(c.new), tuple) and not c.secret:
        detail = _explain_list(c.old, c.new)
        if detail:
            base += f" ({detail})"
    return base


def _explain_list(old: tuple[Any, ...], new: tuple[Any, ...]) -> str:
    """What changed inside an ordered list, via deepdiff (only ever run on a changed value)."""
    dd = DeepDiff(list(old), list(new), verbose_level=0)
    parts = []
    for key, label in (
        ("iterable_item_added", "added"),
        ("iterable_item_removed", "removed"),
        ("values_changed", "changed"),
    ):
        if key in dd:
            parts.append(f"{len(dd[key])} {label}")
    return ", ".join(parts)


def _reason(c: Change, verdict: str) -> Explanation:
    return Explanation(_describe(c), verdict, c.path)


def _update_reason(
    c: Change,
    top_rule: Rule,
    renew_because: list[Change],
    cred_alone: bool,
    restarted: set[str],
    desired: ContainerGroupSpec,
    instance_restarts: bool = False,
) -> Explanation:
    api = top_rule.update_name or top_rule.api
    mode = {
        ListMode.FULL: f"{api} is always sent in full ({sources.UPDATE})",
        ListMode.MERGE: f"{api} is sent complete",
        None: f"sent as {api}",
    }[top_rule.list_mode]
    parts = [f"updatable: {mode}"]
    if c in renew_because:
        if top_rule.renew_only:
            parts.append(f"ImageRegistryCredential is accepted only with RenewUpdate ({sources.UPDATE})")
        else:
            parts.append(
                "an item or member was removed, so RenewUpdate replaces it whole "
                f"({sources.interpreted('merge-and-renew')})"
            )
    restarts = top_rule.restarts
    src = top_rule.restart_source or top_rule.source
    if restarts is Restart.NONE:
        parts.append(f"restarts nothing ({src})")
    elif restarts is Restart.INSTANCE:
        if top_rule.no_restart_if_alone_not_growing and cred_alone:
            parts.append(f"sent in a call of its own and not growing, so it restarts nothing ({sources.UPDATE})")
        elif top_rule.no_restart_if_alone_not_growing:
            parts.append(f"the list grows (or its old size is unknown), so it restarts the instance ({sources.UPDATE})")
        else:
            parts.append(f"restarts the instance ({src})")
    elif restarts is Restart.CHANGED_CONTAINERS:
        name = c.item or "?"
        if c.kind == "added" and c.whole:
            parts.append(f"container {name} starts; the others keep running ({src})")
        elif c.kind == "removed" and c.whole:
            parts.append(f"container {name} stops; the others keep running ({src})")
        elif instance_restarts:
            parts.append(f"container {name} is re-created; the instance restarts anyway ({src})")
        else:
            parts.append(f"container {name} is re-created; the others keep running ({src})")
    elif restarts is Restart.MOUNTING_CONTAINERS:
        vol = c.item or "?"
        users = sorted(
            x.name
            for x in desired.containers
            if any(m.name == vol for m in x.volume_mounts or ()) and x.name in restarted
        )
        parts.append(f"restarts the containers that mount it: {', '.join(users) or 'none'} ({src})")
    return Explanation(_describe(c), "; ".join(parts), c.path)


def _rounding_notes(desired: ContainerGroupSpec) -> tuple[str, ...]:
    try:
        r = desired.cpu_memory_rounding()
    except Exception:  # validation reports it; the planner only informs
        return ()
    if r is None or r.exact:
        return ()
    return (
        f"cpu/memory {desired.cpu:g}/{desired.memory:g} is not a supported pair; the service provisions "
        f"{r.cpu:g}/{r.memory:g} (or the nearest larger pair in its region), which is not a change "
        f"({sources.INSTANCE_SPECS})",
    )


def _status_note(status: str | None) -> str | None:
    if status is None or status in UPDATABLE_STATUSES or status in TERMINAL_STATUSES or status in REPLACE_STATUSES:
        return None
    return f"the instance is {status}: the update waits for Pending or Running before it is sent ({sources.UPDATE})"
