"""Secrets in API answers stay hidden unless the call asks for them."""

from __future__ import annotations

import pytest

from cargoshipper.trust import mask_secrets, redact
from helpers import call_ok

pytestmark = pytest.mark.anyio

DATABASE = {
    "database": {
        "name": "prod-db",
        "connection": {
            "uri": "postgresql://doadmin:s3cr3t@db.example.com:25060/defaultdb",
            "host": "db.example.com",
            "user": "doadmin",
            "password": "s3cr3t",
        },
        "users": [{"name": "app", "password": "an0ther"}],
    }
}


def test_database_credentials_are_masked_in_answers():
    masked = mask_secrets(DATABASE, "<secret>")
    text = str(masked)
    assert "s3cr3t" not in text and "an0ther" not in text
    assert masked["database"]["connection"]["host"] == "db.example.com"
    assert masked["database"]["connection"]["password"] == "<secret>"


def test_redact_replaces_secret_arguments_by_their_size():
    safe = redact({"name": "x", "body": {"password": "hunter2"}, "user_data": "#!/bin/sh"})
    assert safe == {
        "name": "x",
        "body": {"password": "<redacted 7 chars>"},
        "user_data": "<redacted 9 chars>",
    }


async def test_api_call_shows_public_keys_but_not_secrets(client):
    keys = await call_ok(client, "api_call", operation="ssh_keys.list")
    assert all(key["public_key"].startswith("ssh-") for key in keys["body"]["ssh_keys"])
