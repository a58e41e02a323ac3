"""End to end: an MCP client with no dialog calls a delete, a person decides it on the
approval page in a real browser (Playwright driving Debian's chromium), and the agent never
sees a secret that approves anything."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest
from mcp import Client
from playwright.async_api import Browser, expect
from pydantic import BaseModel

from cargoshipper.server import build_server
from cargoshipper.trust import PendingApproval
from conftest import ERAS, settings_for
from helpers import error_text

pytestmark = pytest.mark.anyio

APP_1 = 501_000_101  # seeded droplet "app-1", tagged web


class Seen:
    """Everything the agent's client received: results, progress, notifications."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.progress: list[str] = []

    async def on_message(self, message: Any) -> None:
        # as on the wire: str() of a model would show field names like "progress_token="
        if isinstance(message, BaseModel):
            self.texts.append(message.model_dump_json(by_alias=True, exclude_none=True))
        else:
            self.texts.append(str(message))

    async def on_progress(self, progress: float, total: float | None, message: str | None) -> None:
        self.progress.append(f"{progress} {total} {message}")
        self.texts.append(str(message))

    def result(self, result: Any) -> Any:
        self.texts.extend(getattr(block, "text", str(block)) for block in result.content)
        self.texts.append(json.dumps(result.structured_content, default=str))
        return result


def deletes_of(sandbox, droplet: int) -> int:
    return sum(
        1
        for method, path, _ in sandbox.world.requests
        if method == "DELETE" and path.rstrip("/").endswith(f"/droplets/{droplet}")
    )


def all_deletes(sandbox) -> int:
    return sum(1 for method, _, _ in sandbox.world.requests if method == "DELETE")


async def wait_for_pending(server) -> PendingApproval:
    with anyio.fail_after(10):
        while not (pending := await server.guard.approvals.pending()):
            await anyio.sleep(0.05)
    (item,) = pending
    return item


def assert_no_secret(seen: Seen, server, item: PendingApproval) -> None:
    secrets = {
        "the page secret": server.guard.page.secret,
        "the link secret": item.link_secret,
        "a login link": "token=",
        "a request link": "/r/",
    }
    assert seen.texts, "the client received nothing"
    for text in seen.texts:
        for what, secret in secrets.items():
            assert secret not in text, f"the agent saw {what}: {text!r}"


def assert_person_told(capsys: pytest.CaptureFixture[str], server, item: PendingApproval) -> None:
    """The secrets went to the person, on CargoShipper's own stderr (never over MCP)."""
    stderr = capsys.readouterr().err
    assert server.guard.page.login_url in stderr
    assert server.guard.page.link_for(item) in stderr


async def decide_on_the_page(browser: Browser, server, item: PendingApproval, button: str) -> None:
    tab = await browser.new_page()
    await tab.goto(server.guard.page.login_url)
    assert tab.url == f"{server.guard.page.base_url}/"  # the secret left the address bar
    preview = tab.locator(f"#request-{item.id} .preview")
    await expect(preview).to_contain_text("app-1")
    await expect(preview).to_have_text(item.preview)
    await tab.click(f"#{button}-{item.id}")
    expected = {"approve": "approved", "deny": "denied"}[button]
    await expect(tab.locator("#result")).to_contain_text(expected)
    await tab.close()


async def call_and_decide(
    client: Client, seen: Seen, server, browser: Browser, sandbox, button: str
) -> tuple[Any, PendingApproval]:
    """Call droplet_delete; while it waits, decide it on the page; the call's result."""
    results: list[Any] = []

    async def call() -> None:
        result = await client.call_tool(
            "droplet_delete", {"droplet_id": APP_1}, progress_callback=seen.on_progress
        )
        results.append(seen.result(result))

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(call)
        item = await wait_for_pending(server)
        assert item.tool == "droplet_delete"
        assert all_deletes(sandbox) == 0, "deleted before a person decided"
        assert APP_1 in sandbox.world.droplets
        await decide_on_the_page(browser, server, item, button)
    (result,) = results
    return result, item


async def call_again(client: Client, seen: Seen, server) -> Any:
    """droplet_delete once more; a new pending request it opens is denied (terminal)."""
    results: list[Any] = []

    async def call() -> None:
        result = await client.call_tool(
            "droplet_delete", {"droplet_id": APP_1}, progress_callback=seen.on_progress
        )
        results.append(seen.result(result))

    with anyio.fail_after(15):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(call)
            while not results:
                for item in await server.guard.approvals.pending():
                    await server.guard.approvals.decide(item.id, False, "terminal")
                await anyio.sleep(0.05)
    (result,) = results
    return result


@pytest.mark.parametrize("mode", ERAS)
async def test_a_person_approves_a_delete_on_the_page(
    sandbox, browser: Browser, mode: str, capsys: pytest.CaptureFixture[str]
):
    server = build_server(settings_for(sandbox.url, confirm="auto", approval_wait=30))
    seen = Seen()
    async with Client(server, mode=mode, message_handler=seen.on_message) as client:
        assert server.guard.page is not None, "the lifespan did not start the approval page"
        result, item = await call_and_decide(client, seen, server, browser, sandbox, "approve")
        assert not result.is_error, error_text(result)
        assert APP_1 not in sandbox.world.droplets
        assert deletes_of(sandbox, APP_1) == 1 and all_deletes(sandbox) == 1
        assert item.status == "used" and item.decided_by == "page"
        assert result.structured_content["resources"] == [{"id": APP_1, "name": "app-1"}]

        # the approval was spent: the same call again deletes nothing (the droplet is gone:
        # a 404; were it to ask anew instead, the new request is denied so the call returns)
        again = await call_again(client, seen, server)
        assert again.is_error or "denied" in error_text(again), error_text(again)
        assert deletes_of(sandbox, APP_1) == 1 and all_deletes(sandbox) == 1

        assert_no_secret(seen, server, item)
        assert_person_told(capsys, server, item)
    assert seen.progress, "the waiting call reported no progress"


@pytest.mark.parametrize("mode", ERAS)
async def test_a_person_denies_a_delete_on_the_page(
    sandbox, browser: Browser, mode: str, capsys: pytest.CaptureFixture[str]
):
    server = build_server(settings_for(sandbox.url, confirm="auto", approval_wait=30))
    seen = Seen()
    async with Client(server, mode=mode, message_handler=seen.on_message) as client:
        result, item = await call_and_decide(client, seen, server, browser, sandbox, "deny")
        text = error_text(result)
        assert not result.is_error, text
        assert "denied" in text and "Nothing was changed" in text
        assert APP_1 in sandbox.world.droplets
        assert all_deletes(sandbox) == 0
        assert item.decided_by == "page"
        assert_no_secret(seen, server, item)
        assert_person_told(capsys, server, item)
    assert seen.progress, "the waiting call reported no progress"
