"""``Secret``: a value that must never be shown, carried from the spec to the signed request.

Registry passwords and config-file contents are ``SecretStr`` in the spec; values the program
marked secret are plain strings there, because their type is the field's.  From the planner on,
both travel sealed in a :class:`Secret`: ``repr``, ``str``, ``dataclasses.asdict`` and log lines
see ``[secret]``, and only the wire encoder, right before a request is signed, calls
:meth:`Secret.reveal`.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

T = TypeVar("T")

MASK = "[secret]"


class Secret(Generic[T]):
    """An opaque holder: equal to another holder of an equal value, shown as ``[secret]``."""

    __slots__ = ("_value",)

    def __init__(self, value: T) -> None:
        object.__setattr__(self, "_value", value)

    def reveal(self) -> T:
        """The value itself: for the wire encoder and for comparisons, never for display."""
        return self._value  # type: ignore[no-any-return]

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a Secret is immutable")

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return format(MASK, spec)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", repr(type(self._value))))

    def __copy__(self) -> Secret[T]:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret[T]:
        return self  # immutable: dataclasses.asdict() copies a plan without ever unwrapping it

    def __reduce__(self) -> Any:
        raise TypeError("a Secret is never pickled")


def reveal(value: Any) -> Any:
    """``value`` with every :class:`Secret` inside it (dicts, lists) unwrapped."""
    if isinstance(value, Secret):
        return reveal(value.reveal())
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [reveal(v) for v in value]
    return value


def sealed_values(value: Any) -> list[str]:
    """Every string a :class:`Secret` inside ``value`` holds (what an error text must not echo)."""
    out: list[str] = []
    if isinstance(value, Secret):
        out.extend(_leaves(value.reveal()))  # a structure sealed whole: every value in it
    elif isinstance(value, dict):
        for v in value.values():
            out.extend(sealed_values(v))
    elif isinstance(value, (list, tuple)):
        for v in value:
            out.extend(sealed_values(v))
    return out


def _leaves(value: Any) -> list[str]:
    if isinstance(value, Secret):
        return _leaves(value.reveal())
    if isinstance(value, dict):
        return [x for v in value.values() for x in _leaves(v)]
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in _leaves(v)]
    return [] if value is None or isinstance(value, bool) else [str(value)]
