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


@pytest.mark.parametrize(
    ("answer", "secret"),
    [
        (
            {"app": {"spec": {"envs": [{"key": "DB", "value": "pw-9f8e", "type": "SECRET"}]}}},
            "pw-9f8e",
        ),
        ({"alert": {"webhook": "https://hooks.example.com/T0/B0/xoxb-777"}}, "xoxb-777"),
        ({"destination": {"url": "https://admin:s3cr3t-url@logs.example.com/"}}, "s3cr3t-url"),
        ({"auths": {"registry.digitalocean.com": {"auth": "ZG86c2VjcmV0LWF1dGg="}}}, "ZG86c2Vj"),
        ({"users": [{"user": {"client_key_data": "LS0tLS1CRUdJTiBrZXk="}}]}, "LS0tLS1C"),
        ({"key": {"name": "fn", "secret": "fn-key-5566"}}, "fn-key-5566"),
        ({"alerts": {"slack": [{"channel": "#ops", "url": "https://hooks/T/B/zz9"}]}}, "zz9"),
        ({"keys": [{"access_key": "AK1", "secret_key": "sk-123456"}]}, "sk-123456"),
    ],
)
def test_secrets_are_found_by_what_they_are(answer, secret):
    assert secret not in str(mask_secrets(answer, "<secret>"))
    assert secret not in str(redact({"body": answer}))


def test_a_webhook_is_masked_by_its_key_even_without_credentials():
    masked = mask_secrets({"slack": [{"webhook_url": "https://hooks.slack.com/x"}]}, "<s>")
    assert masked == {"slack": [{"webhook_url": "<s>"}]}
