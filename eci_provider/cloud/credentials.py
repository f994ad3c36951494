"""Access keys that never print.

The secret and the STS token are kept out of ``repr``/``str`` and out of pickles (the class
refuses to be pickled), because a Pulumi dynamic provider is pickled into the stack state and
anything reachable from it would be stored there.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

ENV_ACCESS_KEY_ID = "ALIBABA_CLOUD_ACCESS_KEY_ID"
ENV_ACCESS_KEY_SECRET = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
ENV_SECURITY_TOKEN = "ALIBABA_CLOUD_SECURITY_TOKEN"


class MissingCredentials(ValueError):
    """No access key was given and none is set in the environment."""


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    access_key_secret: str = field(repr=False)
    security_token: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        sts = ", security_token=***" if self.security_token else ""
        return f"Credentials(access_key_id={_mask(self.access_key_id)!r}, access_key_secret=***{sts})"

    __str__ = __repr__

    def __reduce__(self) -> object:
        raise TypeError("Credentials must not be pickled: read them in configure() instead")

    def secrets(self) -> tuple[str, ...]:
        """Values to scrub from any text that leaves the process."""
        return tuple(s for s in (self.access_key_secret, self.security_token) if s)

    @classmethod
    def resolve(
        cls,
        access_key_id: str | None = None,
        access_key_secret: str | None = None,
        security_token: str | None = None,
    ) -> Credentials:
        """Arguments first, then the standard ``ALIBABA_CLOUD_*`` environment variables."""
        ak = access_key_id or os.environ.get(ENV_ACCESS_KEY_ID)
        sk = access_key_secret or os.environ.get(ENV_ACCESS_KEY_SECRET)
        token = security_token or os.environ.get(ENV_SECURITY_TOKEN) or None
        if not ak or not sk:
            raise MissingCredentials(
                f"no Alibaba Cloud access key: set eci:accessKeyId and eci:accessKeySecret (secret) in the stack "
                f"config, or {ENV_ACCESS_KEY_ID} and {ENV_ACCESS_KEY_SECRET} in the environment"
            )
        return cls(ak, sk, token)


def _mask(value: str) -> str:
    return value[:4] + "***" if len(value) > 6 else "***"
