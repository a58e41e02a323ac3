"""Which values are secrets, so they stay out of logs and out of results nobody asked for."""

from __future__ import annotations

from typing import Any

#: Keys whose values are secrets (or may carry one, like a connection URI with a password).
SECRET_KEYS = frozenset(
    {"user_data", "password", "token", "secret", "private_key", "kubeconfig", "uri", "private_uri"}
)
SECRET_SUFFIXES = ("password", "_token", "_secret", "_key")
NOT_SECRET = frozenset({"public_key"})


def is_secret(key: str) -> bool:
    return key not in NOT_SECRET and (key in SECRET_KEYS or key.endswith(SECRET_SUFFIXES))


def redact(arguments: dict[str, Any]) -> dict[str, Any]:
    """Arguments safe to log: secret values (at any depth, e.g. inside an api_call body)
    replaced by their size."""
    return {
        key: mask(key, value, lambda v: f"<redacted {len(str(v))} chars>")
        for key, value in arguments.items()
        if value is not None
    }


def mask_secrets(value: Any, marker: str) -> Any:
    """A JSON value with every secret replaced by ``marker`` (e.g. in an API answer)."""
    return mask("", value, lambda _: marker)


def mask(key: str, value: Any, replace: Any) -> Any:
    """``value`` (found under ``key``) with secrets at any depth replaced by ``replace(v)``."""
    if value is not None and is_secret(key) and not isinstance(value, dict | list):
        return replace(value)
    if isinstance(value, dict):
        return {k: mask(k, item, replace) for k, item in value.items()}
    if isinstance(value, list):
        return [
            mask(key, item, replace) if isinstance(item, dict | list) else item for item in value
        ]
    return value
