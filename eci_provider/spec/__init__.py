"""The desired container group: the models, each field's rule, and what is generated from them.

This is the one source of truth the other layers read: ``plan`` decides from the rules,
``cloud`` encodes from them, ``emulator`` enforces them, and ``schema.json``,
``docs/update-rules.md`` and the typed ``args`` are generated from them.
"""

from .model import RESERVED_TAG_PREFIX, SERVICE_TAG_PREFIXES, ContainerGroupSpec, revealed

__all__ = ["RESERVED_TAG_PREFIX", "SERVICE_TAG_PREFIXES", "ContainerGroupSpec", "revealed"]
