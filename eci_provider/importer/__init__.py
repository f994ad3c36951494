"""``eci-provider import``: a Pulumi program (or a spec document) for existing container groups.

Reading (:mod:`.select`) goes through :class:`~eci_provider.cloud.client.EciClient` and the
provider's own settings (:class:`~eci_provider.provider.settings.Settings`: the same region,
endpoint and credential resolution as a stack, flags standing in for the stack config).
Decoding is the provider's (:func:`eci_provider.cloud.wire.observe`); :mod:`.convert` turns the
observed spec into the smallest one that declares it, :mod:`.assemble` names and validates the
results, and :mod:`.python` and :mod:`.document` write them out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal

from ..cloud.wire import Observed
from .assemble import ImportedGroup, assemble
from .convert import Placeholder, draft
from .document import MARKER, render_json, render_yaml
from .python import render_python
from .select import GROUP_ID, MissingGroups, NothingSelected, Selection, fetch

if TYPE_CHECKING:
    from ..provider.settings import Settings

__all__ = [
    "FORMATS",
    "GROUP_ID",
    "MARKER",
    "ImportedGroup",
    "MissingGroups",
    "NothingSelected",
    "Placeholder",
    "Selection",
    "imported",
    "read_groups",
    "render",
    "settings_for",
]

Format = Literal["python", "json", "yaml"]
_RENDERERS: dict[str, Callable[[Sequence[ImportedGroup], str], str]] = {
    "python": render_python,
    "json": render_json,
    "yaml": render_yaml,
}
FORMATS: tuple[str, ...] = tuple(_RENDERERS)


def settings_for(region: str | None, endpoint: str | None) -> Settings:
    """The provider's settings with flags in place of the stack config (``None``: not given),
    so that the environment fallbacks and the ``embedded:`` endpoint work exactly as in a stack."""
    from ..provider.settings import Settings  # the provider package loads Pulumi: only when needed

    given = {"eci:region": region, "eci:endpoint": endpoint}
    return Settings.from_config(given.get)


def read_groups(settings: Settings, selection: Selection) -> list[Observed]:
    """The selected groups as DescribeContainerGroups reports them, decoded."""
    from ..provider.settings import connect

    with connect(settings).client as client:
        return fetch(client, selection)


def imported(observed: Sequence[Observed]) -> list[ImportedGroup]:
    return assemble([draft(o) for o in observed])


def render(groups: Sequence[ImportedGroup], region: str, fmt: str) -> str:
    return _RENDERERS[fmt](groups, region)
