"""Which groups to import, and reading them with DescribeContainerGroups.

By ID, or every group of the region, narrowed by tags (a DescribeContainerGroups filter, so the
service does the filtering) and by a name prefix.  The API's ``ContainerGroupName`` filter
matches a whole name only, so a prefix is matched here, on the pages the service returns.

Faults are the client's business: throttling, 5xx and lost answers are retried there, and what
still fails arrives as an :class:`~eci_provider.cloud.errors.EciError`.  An answer that cannot
be decoded is a :class:`~eci_provider.cloud.errors.MalformedResponseError` naming the group, never
a group left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..cloud.client import EciClient
from ..cloud.wire import GROUP_ID, Observed, observe

__all__ = ["GROUP_ID", "MissingGroups", "NothingSelected", "Selection", "fetch"]


@dataclass(frozen=True)
class Selection:
    """``ids``, or ``every_group`` narrowed by ``tags`` (all must match) and ``name_prefix``."""

    ids: tuple[str, ...] = ()
    every_group: bool = False
    tags: tuple[tuple[str, str], ...] = ()
    name_prefix: str | None = None

    def __post_init__(self) -> None:
        if bool(self.ids) == self.every_group:
            raise ValueError("select groups by ID or every group, not both and not neither")
        if self.ids and (self.tags or self.name_prefix):
            raise ValueError("tags and a name prefix narrow every_group; they do not apply to IDs")

    def describe(self) -> str:
        parts = [f"tag {k}={v}" for k, v in self.tags]
        if self.name_prefix:
            parts.append(f"name prefix {self.name_prefix}")
        return ", ".join(parts) or "no filter"


class MissingGroups(LookupError):
    """Groups asked for by ID that the region does not have."""

    def __init__(self, ids: list[str], region: str) -> None:
        super().__init__(ids, region)
        self.ids = ids
        self.region = region


class NothingSelected(LookupError):
    """``every_group`` matched no group."""


def fetch(client: EciClient, selection: Selection) -> list[Observed]:
    """The selected groups, decoded: in the order of ``selection.ids``, else by name and ID."""
    if selection.ids:
        found = {g["ContainerGroupId"]: g for g in client.describe_container_groups(selection.ids, with_event=False)}
        missing = [i for i in dict.fromkeys(selection.ids) if i not in found]
        if missing:
            raise MissingGroups(missing, client.region_id)
        raw = [found[i] for i in dict.fromkeys(selection.ids)]
    else:
        listed = client.describe_container_groups(tags=dict(selection.tags), with_event=False)
        prefix = selection.name_prefix or ""
        raw = [g for g in listed if str(g.get("ContainerGroupName") or "").startswith(prefix)]
        raw.sort(key=lambda g: (str(g.get("ContainerGroupName") or ""), g["ContainerGroupId"]))
        if not raw:
            raise NothingSelected(f"no container group in {client.region_id} matches ({selection.describe()})")
    return [observe(g) for g in raw]
