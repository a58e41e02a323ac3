"""Which values are secrets, so they stay out of logs and out of results nobody asked for.

A value is a secret by its key (``password``, ``*_token``, registry ``auth``, kubeconfig
``client_key_data``...), by what it is (a URL carrying a user and password), or by how the
API labels it (App Platform env values of ``type: SECRET``).
"""

from __future__ import annotations

import re
from typing import Any

#: Keys whose values are secrets (or may carry one, like a connection URI with a password).
SECRET_KEYS = frozenset(
    {
        "user_data",
        "password",
        "token",
        "secret",
        "private_key",
        "kubeconfig",
        "uri",
        "private_uri",
        "auth",  # registry docker credentials
        "client_key_data",
        "client-key-data",
        "client_certificate_data",
        "webhook",  # Slack and other webhooks carry their own credential in the URL
        "webhook_url",
        "url_with_credentials",
    }
)
SECRET_SUFFIXES = ("password", "_token", "_secret", "_key", "_keys")
NOT_SECRET = frozenset({"public_key", "ssh_keys"})
#: Objects whose ``url`` is a webhook (its path is the credential), e.g. alert ``slack`` lists.
WEBHOOK_HOLDERS = frozenset({"slack", "webhooks"})
#: ``scheme://user:password@host``: credentials inside a URL, under any key.
#: Quantifiers are bounded so a huge string costs linear time, not quadratic.
URL_WITH_CREDENTIALS = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]{0,30}://[^/\s:@]{1,256}:[^/\s@]{1,256}@")


def is_secret(key: str) -> bool:
    key = key.lower()
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
    if isinstance(value, str) and URL_WITH_CREDENTIALS.search(value):
        return replace(value)
    if isinstance(value, dict):
        labelled = str(value.get("type", "")).upper() == "SECRET"  # App Platform env values
        webhook = key.lower() in WEBHOOK_HOLDERS
        return {
            k: replace(item)
            if item and ((labelled and k == "value") or (webhook and k == "url"))
            else mask(k, item, replace)
            for k, item in value.items()
        }
    if isinstance(value, list):
        return [
            mask(key, item, replace) if isinstance(item, dict | list) else item for item in value
        ]
    return value


#: ``key: value`` lines of a YAML or similar text body (a kubeconfig), key and value bounded.
_TEXT_FIELD = re.compile(
    r"^(\s{0,40}-?\s{0,4})([A-Za-z0-9_.-]{1,64})(\s{0,4}:[ \t]{1,40})\S.{0,65536}$", re.M
)


def mask_text(text: str, marker: str) -> str:
    """A text body (e.g. a kubeconfig's YAML) with the values of secret keys and URLs with
    credentials replaced by ``marker``."""

    def field(found: re.Match[str]) -> str:
        indent, key, colon = found.groups()
        return f"{indent}{key}{colon}{marker}" if is_secret(key) else found[0]

    return URL_WITH_CREDENTIALS.sub(marker, _TEXT_FIELD.sub(field, text))
