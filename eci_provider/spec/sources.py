"""Where each rule comes from, named so that a reader can look it up.

Every rule the planner, the emulator and the generated documents apply cites one of these
names: a published Alibaba Cloud document, or, where those are silent, one of this project's
interpretations, each explained in the "Interpretations" section of docs/update-rules.md
(generated from :data:`INTERPRETATIONS` by :mod:`eci_provider.spec.rules_doc`).  Code cites an
interpretation through :func:`interpreted`, so that none is cited without its explanation.
"""

from __future__ import annotations

from dataclasses import dataclass

CREATE = "CreateContainerGroup API reference"
CREATE_2019 = "CreateContainerGroup API reference (2019 edition)"
DESCRIBE = "DescribeContainerGroups API reference"
UPDATE = "UpdateContainerGroup API reference"
METADATA = "Alibaba Cloud API metadata"
INSTANCE_SPECS = "ECI instance specifications (vCPU and memory)"
INTERPRETATION = "docs/update-rules.md (interpretation)"

#: Each source, and where a reader finds it.
SOURCES: dict[str, str] = {
    CREATE: "Alibaba Cloud ECI API reference (version 2018-08-08), CreateContainerGroup: parameters, limits and "
    "error codes.",
    CREATE_2019: "The same page as published in 2019, for the few limits the current edition no longer states.",
    DESCRIBE: "Alibaba Cloud ECI API reference, DescribeContainerGroups: the response, instance states and how "
    "long finished instances are kept.",
    UPDATE: "Alibaba Cloud ECI API reference, UpdateContainerGroup: the updatable parameters, RenewUpdate and "
    "IncrementalUpdate, and what restarts.",
    METADATA: "Alibaba Cloud's machine-readable OpenAPI metadata for ECI 2018-08-08 (OpenAPI Explorer), from "
    "which the API reference pages are generated: which parameters UpdateContainerGroup accepts.",
    INSTANCE_SPECS: 'Alibaba Cloud ECI user guide, "Specify vCPU and memory to create an instance": the '
    "supported vCPU/memory pairs, the rounding up, and the 2 vCPU / 4 GiB default.",
    INTERPRETATION: "This project's reading where the documents above are silent; see Interpretations below.",
}


@dataclass(frozen=True)
class Interpretation:
    """One reading of behaviour the documents leave open: what is assumed, and where it applies."""

    title: str
    reading: str
    #: Top-level spec fields whose rules rest on it (``Rule.source`` or ``restart_source``).
    fields: tuple[str, ...] = ()


INTERPRETATIONS: dict[str, Interpretation] = {
    "container-restarts": Interpretation(
        "A container change restarts that container only",
        "A container whose own spec changed (matched by name) is re-created; the containers whose spec did not "
        "change keep running. A container that is added starts, one that is removed stops.",
        ("containers",),
    ),
    "volume-restarts": Interpretation(
        "A volume change restarts the containers that mount it",
        "Changing a volume re-creates every container that mounts it; the others keep running.",
        ("volumes",),
    ),
    "undocumented-restarts": Interpretation(
        "Undocumented restarts count as instance restarts",
        "The UpdateContainerGroup reference does not say what a change to the instance Cpu or Memory, or to "
        "DnsConfig, restarts. It is treated as an instance restart, and the plan says it is inferred.",
        ("cpu", "memory", "dns_config"),
    ),
    "instance-size": Interpretation(
        "Without cpu and memory, the instance size follows the containers",
        "When cpu or memory is not set, the instance gets the smallest supported pair that covers the containers' "
        "total (2 vCPU / 4 GiB when nothing is requested). A container change that alters that total resizes "
        "the instance, which is treated like a cpu/memory change: an instance restart.",
    ),
    "size-envelope": Interpretation(
        "Memory above a size's range is refused, not moved to a larger size",
        "A vCPU/memory pair is rounded up to a supported pair, but memory above the largest for its vCPU size is "
        "an error, so that a typo fails at preview instead of silently doubling the bill.",
    ),
    "unusable-instance": Interpretation(
        "An instance that failed to start, or is being deleted, is replaced",
        "An instance that is ScheduleFailed or Terminating cannot become Running again, so a new one is created.",
    ),
    "finished-instance": Interpretation(
        "A finished instance stays finished",
        "An instance that is Succeeded, Failed or Expired is left alone when its spec is unchanged (a finished "
        "job stays finished) and replaced when the spec changed, since only Pending and Running instances accept "
        "UpdateContainerGroup.",
    ),
    "some-to-none": Interpretation(
        "Removing all items of a list means replacement",
        "An empty list cannot be written in the flattened request format, so UpdateContainerGroup cannot take "
        "an instance from some tags, volumes, init containers or registry credentials, or a DNS config, to "
        "none: going from some to none replaces the group.",
    ),
    "merge-and-renew": Interpretation(
        "IncrementalUpdate merges; a removal needs RenewUpdate",
        "IncrementalUpdate merges the sent Tag, Volume and AcrRegistryInfo items by key, and the sent DnsConfig "
        "members, and keeps everything else. Removing an item or a member therefore needs RenewUpdate, which "
        "replaces the list or struct whole. A parameter that is not sent is unchanged under both update types.",
    ),
    "create-only-in-items": Interpretation(
        "Create-only settings inside updatable lists",
        "An item re-sent under the same key keeps the create-only settings it was created with (for example a "
        "container's SecurityContextPrivileged); an item added by an update gets none, so an added item that "
        "needs one forces a replacement.",
    ),
    "pinned-address": Interpretation(
        "A pinned address means deleting before creating",
        "When the spec pins something two instances cannot hold at once (PrivateIpAddress, EipInstanceId, "
        "FixedIp), a replacement deletes the old instance before it creates the new one, which means downtime; "
        "otherwise it creates first.",
    ),
}


def interpreted(key: str) -> str:
    """The source to cite for interpretation ``key`` (a ``KeyError`` if docs/update-rules.md does not
    explain it)."""
    if key not in INTERPRETATIONS:
        raise KeyError(f"no interpretation {key!r} in eci_provider.spec.sources.INTERPRETATIONS")
    return INTERPRETATION
