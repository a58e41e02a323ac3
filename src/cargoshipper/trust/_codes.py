"""Single-use confirmation codes for clients that cannot show a confirmation dialog."""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def fingerprint(tool: str, arguments: dict[str, Any]) -> str:
    """A digest of the tool and its exact arguments (the code itself excluded)."""
    canonical = json.dumps([tool, arguments], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class _Issued:
    fingerprint: str
    preview: str
    expires: float


class ConfirmationCodes:
    """Issues codes bound to one tool call's arguments; each code works once, for ``ttl`` s."""

    def __init__(self, ttl: float, clock=time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._issued: dict[str, _Issued] = {}
        self._lock = threading.Lock()

    def issue(self, tool: str, arguments: dict[str, Any], preview: str) -> str:
        """A new code for this call, whose ``preview`` is what the human was shown."""
        code = "".join(secrets.choice(_ALPHABET) for _ in range(8))
        code = f"{code[:4]}-{code[4:]}"
        issued = _Issued(fingerprint(tool, arguments), preview, self._clock() + self._ttl)
        with self._lock:
            self._forget_expired()
            self._issued[code] = issued
        return code

    def redeem(self, code: str, tool: str, arguments: dict[str, Any], preview: str) -> str | None:
        """Use up ``code``; return None if it fits, else why it was refused.

        The code fits only the same arguments *and* the same preview: if the resources changed
        since (a droplet gained the tag being deleted), the human has not seen this plan."""
        key = code.strip().upper()
        with self._lock:
            self._forget_expired()
            issued = self._issued.get(key)
            if issued is None:
                return "the confirmation code is unknown, already used, or expired"
            if issued.fingerprint != fingerprint(tool, arguments):
                return "the confirmation code was issued for different arguments"
            del self._issued[key]
            if issued.preview != preview:
                return f"what the call would do changed since the preview (now: {preview})"
            return None

    def _forget_expired(self) -> None:
        now = self._clock()
        for code in [code for code, issued in self._issued.items() if issued.expires <= now]:
            del self._issued[code]

    @property
    def ttl(self) -> float:
        return self._ttl
