"""The approval page over HTTP (no browser), its runtime file, and the terminal commands."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx2
import pytest

from cargoshipper.approval_page import (
    LOGIN_HELP,
    RUNTIME_DIR_ENV,
    UNKNOWN_LINK,
    ApprovalPage,
    runtime_files,
)
from cargoshipper.trust import Approvals, PendingApproval

pytestmark = pytest.mark.anyio

TARGET = {"kind": "droplet", "id": 42, "name": "web-1", "tags": ["prod"]}


async def open_request(approvals: Approvals, droplet: int, preview: str) -> PendingApproval:
    requests = [{"operation": "droplet_delete", "effect": "delete", "targets": [TARGET]}]
    return await approvals.open("droplet_delete", {"droplet_id": droplet}, preview, requests)


@pytest.fixture
async def page(tmp_path: Path) -> AsyncIterator[ApprovalPage]:
    audit = tmp_path / "audit.jsonl"
    record = {"time": "2026-01-02T03:04:05+00:00", "event": "intent", "tool": "droplet_delete"}
    audit.write_text(json.dumps({**record, "arguments": {"name": "<script>x</script>"}}) + "\n")
    async with ApprovalPage(Approvals(), audit, runtime_dir=tmp_path / "run") as running:
        yield running


@pytest.fixture
async def http(page: ApprovalPage) -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(base_url=page.base_url, trust_env=False) as client:
        yield client


def store(page: ApprovalPage) -> Approvals:
    return page._approvals


async def log_in(http: httpx2.AsyncClient, page: ApprovalPage) -> None:
    response = await http.get(f"/?token={page.secret}")
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie


def csrf_of(html: str, item: PendingApproval) -> str:
    form = html[html.index(f'action="/decide/{item.id}"') :]
    return form.split('name="csrf" value="', 1)[1].split('"', 1)[0]


async def test_without_the_secret_the_page_refuses(page: ApprovalPage, http: httpx2.AsyncClient):
    await open_request(store(page), 1, "Delete droplet web-1")
    for path in ("/", "/?token=wrong", f"/?token={page.secret[:-1]}"):
        response = await http.get(path)
        assert response.status_code == 403
        assert response.text == LOGIN_HELP
        assert "web-1" not in response.text
    assert (await http.get("/api/pending")).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert (await http.get("/api/pending", headers=wrong)).status_code == 401


async def test_login_link_sets_a_cookie_and_shows_the_page(
    page: ApprovalPage, http: httpx2.AsyncClient
):
    item = await open_request(store(page), 1, "Delete droplet web-1 (42)")
    await log_in(http, page)
    response = await http.get("/")
    assert response.status_code == 200
    assert f'<section class="request" id="request-{item.id}">' in response.text
    assert "Delete droplet web-1 (42)" in response.text
    assert "droplet web-1 (42) tags: prod" in response.text  # the targets column
    assert f'id="approve-{item.id}"' in response.text and f'id="deny-{item.id}"' in response.text
    assert '<pre id="audit">' in response.text and "droplet_delete" in response.text
    headers = response.headers
    assert headers["cache-control"] == "no-store"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
    assert "default-src 'none'" in headers["content-security-policy"]
    assert "form-action 'self'" in headers["content-security-policy"]


async def test_page_buttons_decide_with_the_csrf_field(
    page: ApprovalPage, http: httpx2.AsyncClient
):
    first = await open_request(store(page), 1, "Delete droplet one")
    second = await open_request(store(page), 2, "Delete droplet two")
    await log_in(http, page)
    html = (await http.get("/")).text

    no_csrf = await http.post(f"/decide/{first.id}", data={"decision": "approve"})
    assert no_csrf.status_code == 403 and first.status == "pending"
    swapped = {"decision": "approve", "csrf": csrf_of(html, first)}  # first's field, second's id
    assert (await http.post(f"/decide/{second.id}", data=swapped)).status_code == 403
    assert second.status == "pending"

    done = await http.post(
        f"/decide/{first.id}", data={"decision": "approve", "csrf": csrf_of(html, first)}
    )
    assert done.status_code == 200 and '<p id="result">approved</p>' in done.text
    assert (first.status, first.decided_by) == ("approved", "page")
    assert second.status == "pending"

    again = await http.post(
        f"/decide/{first.id}", data={"decision": "deny", "csrf": csrf_of(html, first)}
    )
    assert again.status_code == 409 and first.status == "approved"

    denied = await http.post(
        f"/decide/{second.id}", data={"decision": "deny", "csrf": csrf_of(html, second)}
    )
    assert '<p id="result">denied</p>' in denied.text and second.status == "denied"
    assert 'id="recent"' in denied.text


async def test_foreign_hosts_are_refused(page: ApprovalPage, http: httpx2.AsyncClient):
    for host in ("evil.example", f"evil.example:{page.port}", "127.0.0.1:1"):
        response = await http.get(f"/?token={page.secret}", headers={"Host": host})
        assert response.status_code == 421
        assert "set-cookie" not in response.headers
    localhost = await http.get(f"/?token={page.secret}", headers={"Host": f"localhost:{page.port}"})
    assert localhost.status_code == 303


async def test_cross_origin_posts_are_refused(page: ApprovalPage, http: httpx2.AsyncClient):
    item = await open_request(store(page), 1, "Delete droplet web-1")
    await log_in(http, page)
    form = {"decision": "approve", "csrf": csrf_of((await http.get("/")).text, item)}
    for origin in ("http://evil.example", "null", f"http://127.0.0.1:{page.port + 1}"):
        refused = await http.post(f"/decide/{item.id}", data=form, headers={"Origin": origin})
        assert refused.status_code == 403
    link = await http.post(
        f"/r/{item.link_secret}", data=form, headers={"Origin": "http://evil.example"}
    )
    assert link.status_code == 403 and item.status == "pending"
    allowed = await http.post(f"/decide/{item.id}", data=form, headers={"Origin": page.base_url})
    assert allowed.status_code == 200 and item.status == "approved"


async def test_json_api_for_the_terminal(page: ApprovalPage, http: httpx2.AsyncClient):
    first = await open_request(store(page), 1, "Delete droplet one")
    second = await open_request(store(page), 2, "Delete droplet two")
    bearer = {"Authorization": f"Bearer {page.secret}"}

    listed = (await http.get("/api/pending", headers=bearer)).json()
    assert [entry["id"] for entry in listed] == [first.id, second.id]
    assert "link_secret" not in listed[0] and listed[0]["preview"] == "Delete droplet one"

    unauthorized = await http.post(f"/api/decide/{first.id}", json={"decision": "approve"})
    assert unauthorized.status_code == 401 and first.status == "pending"
    bad = await http.post(f"/api/decide/{first.id}", json={"decision": "yes"}, headers=bearer)
    assert bad.status_code == 400

    approved = await http.post(
        f"/api/decide/{first.id}", json={"decision": "approve"}, headers=bearer
    )
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert first.decided_by == "terminal"
    again = await http.post(f"/api/decide/{first.id}", json={"decision": "deny"}, headers=bearer)
    assert again.status_code == 409 and "error" in again.json()
    unknown = await http.post("/api/decide/ap-nope", json={"decision": "deny"}, headers=bearer)
    assert unknown.status_code == 404 and "error" in unknown.json()

    denied = await http.post(f"/api/decide/{second.id}", json={"decision": "deny"}, headers=bearer)
    assert denied.json()["status"] == "denied" and second.status == "denied"
    assert (await http.get("/api/pending", headers=bearer)).json() == []


async def test_a_request_link_shows_and_decides_that_request_only(
    page: ApprovalPage, http: httpx2.AsyncClient
):
    first = await open_request(store(page), 1, "Delete droplet one")
    second = await open_request(store(page), 2, "Delete droplet two")
    assert page.link_for(first) == f"{page.base_url}/r/{first.link_secret}"

    shown = await http.get(f"/r/{first.link_secret}")  # no cookie needed
    assert shown.status_code == 200
    assert "Delete droplet one" in shown.text and f'id="approve-{first.id}"' in shown.text
    assert "Delete droplet two" not in shown.text and second.id not in shown.text
    assert 'id="audit"' not in shown.text  # the link shows nothing else

    # the link holder has no cookie: the page's own form for the other request is refused
    assert (
        await http.post(f"/decide/{second.id}", data={"decision": "approve"})
    ).status_code == 403
    done = await http.post(f"/r/{first.link_secret}", data={"decision": "approve"})
    assert done.status_code == 200 and '<p id="result">approved</p>' in done.text
    assert first.status == "approved" and second.status == "pending"

    for link in (first.link_secret, "not-a-link"):
        gone = await http.get(f"/r/{link}")
        assert gone.status_code == 404 and gone.text == UNKNOWN_LINK
    late = await http.post(f"/r/{first.link_secret}", data={"decision": "deny"})
    assert late.status_code == 409 and first.status == "approved"


async def test_agent_chosen_text_is_escaped(page: ApprovalPage, http: httpx2.AsyncClient):
    evil = await open_request(store(page), 1, 'Delete droplet <script>alert("x")</script>')
    evil.requests[0]["targets"] = [{**TARGET, "name": "<img src=x onerror=alert(1)>"}]
    evil.requests[0]["note"] = "</td><script>alert(2)</script>"
    await log_in(http, page)
    for response in (await http.get("/"), await http.get(f"/r/{evil.link_secret}")):
        assert "<script>" not in response.text and "<img" not in response.text
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in response.text
        assert "&lt;img src=x onerror=alert(1)&gt;" in response.text
    home = (await http.get("/")).text
    assert "&lt;script&gt;x&lt;/script&gt;" in home  # the audit log line too


async def test_runtime_file_lives_as_long_as_the_page(tmp_path: Path, capsys):
    run = tmp_path / "run"
    async with ApprovalPage(Approvals(), None, runtime_dir=run) as page:
        assert page.login_url == f"{page.base_url}/?token={page.secret}"
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert "keep this link private" in err and page.login_url in err
        [path] = run.glob("approval-page-*.json")
        assert stat.S_IMODE(run.stat().st_mode) == 0o700
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        info = {"url": page.base_url, "secret": page.secret, "pid": os.getpid()}
        assert json.loads(path.read_text()) == info
        assert runtime_files(run) == [info]

        dead = subprocess.Popen([sys.executable, "-c", "pass"])  # a pid that is gone
        dead.wait()
        stale = run / f"approval-page-{dead.pid}-1.json"
        stale.write_text(json.dumps({"url": "http://127.0.0.1:1", "secret": "s", "pid": dead.pid}))
        assert runtime_files(run) == [info] and not stale.exists()
    assert list(run.iterdir()) == []
    assert runtime_files(run) == []


def test_runtime_dir_default(monkeypatch, tmp_path: Path):
    from cargoshipper.approval_page import default_runtime_dir

    monkeypatch.delenv(RUNTIME_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "xdg"))
    assert default_runtime_dir() == tmp_path / "xdg" / "cargoshipper"
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert default_runtime_dir() == tmp_path / "state" / "cargoshipper" / "run"
    monkeypatch.setenv(RUNTIME_DIR_ENV, str(tmp_path / "mine"))
    assert default_runtime_dir() == tmp_path / "mine"


# -- the terminal commands -------------------------------------------------------------------


async def cli(run: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    import anyio

    env = {**os.environ, RUNTIME_DIR_ENV: str(run)}
    command = [sys.executable, "-m", "cargoshipper", *args]
    return await anyio.run_process(command, env=env, check=False)


async def test_cli_pending_approve_deny(page: ApprovalPage, tmp_path: Path):
    run = tmp_path / "run"
    first = await open_request(store(page), 1, "Delete droplet one\n  and its backups")
    second = await open_request(store(page), 2, "Delete droplet two")

    pending = await cli(run, "pending")
    assert pending.returncode == 0, pending.stderr
    out = pending.stdout.decode()
    assert f"{first.id}  droplet_delete" in out and f"{second.id}  droplet_delete" in out
    assert "Delete droplet one\n      and its backups" in out

    approved = await cli(run, "approve", first.id)
    assert approved.returncode == 0, approved.stderr
    assert approved.stdout.decode().strip() == f"{first.id} approved (droplet_delete)"
    assert (first.status, first.decided_by) == ("approved", "terminal")

    again = await cli(run, "deny", first.id)
    assert again.returncode == 1 and b"no longer pending" in again.stderr
    unknown = await cli(run, "approve", "ap-unknown")
    assert unknown.returncode == 1 and b"no request ap-unknown" in unknown.stderr

    wrong_pid = await cli(run, "deny", second.id, "--pid", "1")
    assert wrong_pid.returncode == 2 and second.status == "pending"
    denied = await cli(run, "deny", second.id, "--pid", str(os.getpid()))
    assert denied.returncode == 0 and second.status == "denied"
    assert b"Nothing is waiting" in (await cli(run, "pending")).stdout


async def test_cli_without_a_running_page(tmp_path: Path):
    for args in (("pending",), ("approve", "ap-1")):
        result = await cli(tmp_path / "empty", *args)
        assert result.returncode == 2
        assert b"no CargoShipper server with an approval page is running" in result.stderr
