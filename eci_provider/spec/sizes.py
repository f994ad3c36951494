"""The vCPU/memory envelope of an ECI instance, and how the service rounds a request.

Source: ECI instance specifications (vCPU and memory), an Alibaba Cloud user guide page: "If
your specified vCPU and memory do not match a supported ECI specification, the system
automatically rounds them up to the nearest supported specification."  Only the table supported
in every region is known; some regions have more pairs (for example 8 vCPU / 14 GiB), so a region
may round to a *smaller* pair than we predict.  That is why the planner accepts any observed pair
between the request and our prediction.
"""

from __future__ import annotations

from dataclasses import dataclass

#: vCPU → supported memory sizes (GiB), supported in all regions (ECI instance specifications, 2026-06).
SPEC_TABLE: dict[float, tuple[float, ...]] = {
    0.25: (0.5, 1),
    0.5: (1, 2),
    1: (2, 4, 8),
    2: (1, 2, 4, 8, 16),
    4: (2, 4, 8, 16, 32),
    8: (4, 8, 16, 32, 64),
    12: (12, 24, 48, 96),
    16: (16, 32, 64, 128),
    24: (24, 48, 96, 192),
    32: (32, 64, 128, 256),
    52: (96, 192, 384),
    64: (128, 256, 512),
}
MAX_VCPU = 64.0


@dataclass(frozen=True)
class Rounding:
    """The pair the service provisions for a request, and whether it differs from it."""

    cpu: float
    memory: float
    exact: bool


class SpecOutOfRange(ValueError):
    """The request lies outside the documented envelope (``InvalidParameter.CPU.Memory``)."""


def round_up(cpu: float, memory: float) -> Rounding:
    """Round ``(cpu, memory)`` up to a supported pair, or raise :class:`SpecOutOfRange`.

    The vCPU is rounded up to the next row of the table; memory is then rounded up inside that
    row.  Memory above the row's maximum is rejected rather than moved to a larger vCPU size:
    the envelope is "at most 64 vCPU, with the memory range for that size" (docs/update-rules.md,
    interpretation "size-envelope": a typo fails at preview instead of silently doubling the bill).
    """
    if cpu <= 0 or memory <= 0:
        raise SpecOutOfRange("vCPU and memory must be positive")
    if cpu > MAX_VCPU:
        raise SpecOutOfRange(f"{_num(cpu)} vCPU is above the {_num(MAX_VCPU)} vCPU maximum of an instance")
    row = min(c for c in SPEC_TABLE if c >= cpu)
    sizes = SPEC_TABLE[row]
    if memory > sizes[-1]:
        raise SpecOutOfRange(
            f"{_num(memory)} GiB is above the {_num(sizes[-1])} GiB maximum for {_num(row)} vCPU "
            f"(supported: {', '.join(_num(s) for s in sizes)} GiB)"
        )
    mem = min(s for s in sizes if s >= memory)
    return Rounding(float(row), float(mem), exact=(row == cpu and mem == memory))


def satisfies(requested: float, observed: float, predicted: float) -> bool:
    """Whether an observed size is an acceptable rounding of a requested one."""
    return requested - 1e-9 <= observed <= predicted + 1e-9


def _num(x: float) -> str:
    return f"{x:g}"


#: ECI instance specifications: "Default when nothing is specified: 2 vCPU / 4 GiB".
DEFAULT_SIZE = (2.0, 4.0)


def instance_size(cpu: float | None, memory: float | None, sums: tuple[float, float]) -> tuple[float, float]:
    """The vCPU/memory pair an instance gets (what Describe reports as ``Cpu``/``Memory``).

    Both set: the service's rounding.  Otherwise the missing value comes from the containers'
    sums (``sums``), and the smallest table pair covering both is chosen; with nothing
    requested at all, the documented default.  This is one interpretation ("instance-size" in
    docs/update-rules.md), used by both the
    planner (a container change that alters it resizes, so restarts, the instance) and the
    emulator, so that the two cannot disagree about it.
    """
    if cpu is not None and memory is not None:
        r = round_up(cpu, memory)
        return r.cpu, r.memory
    want_cpu = cpu if cpu is not None else sums[0]
    want_mem = memory if memory is not None else sums[1]
    if want_cpu <= 0 and want_mem <= 0:
        return DEFAULT_SIZE
    for row, sizes in sorted(SPEC_TABLE.items()):
        if row + 1e-9 < want_cpu:
            continue
        fit = [m for m in sizes if m + 1e-9 >= want_mem]
        if fit:
            return float(row), float(min(fit))
    raise SpecOutOfRange(f"no instance size offers {want_cpu:g} vCPU and {want_mem:g} GiB (containers' sums)")
