"""The approval page in a real browser: Playwright driving Debian's chromium (no
``playwright install``; ``.ci/run`` installs chromium on a clean machine)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from cargoshipper.approval_page import ApprovalPage
from cargoshipper.trust import Approvals, PendingApproval

pytestmark = pytest.mark.anyio


async def open_request(approvals: Approvals, droplet: int, name: str) -> PendingApproval:
    target = {"kind": "droplet", "id": droplet, "name": name, "tags": []}
    requests = [{"operation": "droplet_delete", "effect": "delete", "targets": [target]}]
    preview = f"Delete droplet {name} ({droplet}) and its <b>backups</b>"
    return await approvals.open("droplet_delete", {"droplet_id": droplet}, preview, requests)


@pytest.fixture
async def page(tmp_path: Path) -> AsyncIterator[ApprovalPage]:
    async with ApprovalPage(Approvals(), None, runtime_dir=tmp_path / "run") as running:
        yield running


async def test_approve_and_deny_on_the_page(page: ApprovalPage, browser: Browser):
    approvals: Approvals = page._approvals
    first = await open_request(approvals, 41, "web-1")
    second = await open_request(approvals, 42, "web-2")
    tab = await browser.new_page()

    await tab.goto(page.login_url)
    assert tab.url == f"{page.base_url}/"  # the secret left the address bar
    await expect(tab.locator(f"#request-{first.id} .preview")).to_have_text(first.preview)
    await expect(tab.locator(f"#request-{second.id} .preview")).to_have_text(second.preview)

    await tab.click(f"#approve-{first.id}")
    await expect(tab.locator("#result")).to_have_text("approved")
    assert (first.status, first.decided_by) == ("approved", "page")
    assert second.status == "pending"
    await expect(tab.locator(f"#request-{first.id}")).to_have_count(0)

    await tab.click(f"#deny-{second.id}")
    await expect(tab.locator("#result")).to_have_text("denied")
    assert second.status == "denied"
    await expect(tab.locator("#recent")).to_contain_text(first.id)


async def test_a_request_link_in_the_browser(page: ApprovalPage, browser: Browser):
    approvals: Approvals = page._approvals
    first = await open_request(approvals, 41, "web-1")
    second = await open_request(approvals, 42, "web-2")
    tab = await browser.new_page()

    await tab.goto(page.link_for(second))
    await expect(tab.locator(".request")).to_have_count(1)
    await expect(tab.locator(f"#request-{second.id} .preview")).to_have_text(second.preview)
    await tab.click(f"#approve-{second.id}")
    await expect(tab.locator("#result")).to_have_text("approved")
    assert second.status == "approved" and first.status == "pending"

    other = await browser.new_page()  # no login cookie: the whole page stays closed
    response = await other.goto(page.base_url)
    assert response is not None and response.status == 403
