"""The monitoring toolset: droplet metrics (the arithmetic on Prometheus matrices, and the tool
through MCP clients against the sandbox's synthetic series) and alert policies (checked before
anything is sent; updates merge)."""

from __future__ import annotations

import contextlib
import json
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client
from mcp.server.mcpserver.exceptions import ToolError

from cargoshipper.server import build_server
from cargoshipper.tools import droplets, monitoring
from cargoshipper.tools.monitoring import (
    MAX_POINTS,
    Buckets,
    alert_type,
    cpu_used,
    disk_used,
    matrix,
    memory_used,
    points,
    summary,
    window,
)
from conftest import TEST_TOKEN, settings_for
from helpers import Dialog, call_error, call_ok

pytestmark = pytest.mark.anyio

APP_1, APP_2, DB_1 = 501_000_101, 501_000_102, 501_000_103  # seeded; db-1 has no agent
SEEDED_POLICY = "5e1c7a2d-3b4f-4c6e-8a9d-0f1e2d3c4b5a"  # cpu > 80 on tag web
EMAIL = "sammy@example.com"
WEBHOOK = "https://hooks.slack.com/services/T1234567/AAAAAAAA/ZZZZZZ"
NOW = 1_750_000_000


@contextlib.asynccontextmanager
async def serve(sandbox, era: str = "auto", elicitation=None, **settings) -> AsyncIterator[Client]:
    settings.setdefault("confirm", "never")
    tools = [*monitoring.TOOLSET.tools, *droplets.TOOLSET.tools]
    server = build_server(settings_for(sandbox.url, **settings), tools=tools)
    async with Client(server, mode=era, elicitation_callback=elicitation) as connected:
        yield connected


@pytest.fixture
async def client(sandbox, era) -> AsyncIterator[Client]:
    async with serve(sandbox, era) as connected:
        yield connected


def api(sandbox, method: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{sandbox.url}{path}", data=data, method=method)
    request.add_header("Authorization", f"Bearer {TEST_TOKEN}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request) as answer:
        text = answer.read()
    return json.loads(text) if text else None


def alert_posts(sandbox) -> int:
    return sandbox.world.count("POST", "/v2/monitoring/alerts")


def series(labels: dict[str, str], values: list[tuple[int, float]]) -> dict[str, Any]:
    return {"metric": labels, "values": [[t, str(v)] for t, v in values]}


# -- the arithmetic --------------------------------------------------------------------------

#: The spec's CPU example (three samples of eight per-mode counters, 120 s apart).
SPEC_CPU = {
    "idle": (122901.18, 123020.92, 123140.8),
    "iowait": (14.99, 15.01, 15.01),
    "irq": (0, 0, 0),
    "nice": (66.35, 66.35, 66.35),
    "softirq": (2.13, 2.13, 2.13),
    "steal": (7.89, 7.9, 7.91),
    "system": (140.09, 140.2, 140.23),
    "user": (278.57, 278.65, 278.69),
}


def test_cpu_used_is_the_non_idle_share_of_each_step():
    times = (1635386880, 1635387000, 1635387120)
    result = [
        series({"host_id": "1", "mode": mode}, list(zip(times, values, strict=True)))
        for mode, values in SPEC_CPU.items()
    ]
    used = cpu_used(result)
    assert [t for t, _ in used] == [times[1], times[2]]
    first_total = sum(v[1] - v[0] for v in SPEC_CPU.values())
    first_busy = first_total - (SPEC_CPU["idle"][1] - SPEC_CPU["idle"][0])
    assert used[0][1] == pytest.approx(100 * first_busy / first_total)
    assert all(0 <= value <= 100 for _, value in used)


def test_cpu_used_skips_a_counter_reset_and_needs_modes():
    idle = series({"mode": "idle"}, [(0, 100), (60, 150), (120, 5), (180, 55)])
    user = series({"mode": "user"}, [(0, 10), (60, 20), (120, 1), (180, 11)])
    assert cpu_used([idle, user]) == [(60, pytest.approx(100 * 10 / 60)), (180, 100 * 10 / 60)]
    # Prism's generated example: one series without a mode label, two samples
    tiny = {"metric": {"host_id": "19201920"}, "values": [[1435781430, "1"], [1435781445, "1"]]}
    assert cpu_used([tiny]) == []
    assert cpu_used([]) == []


def test_memory_used_from_available_else_free_and_cached():
    total = [(0, 1000.0), (60, 1000.0), (120, 0.0)]
    used_bytes, used_percent = memory_used(total, [(0, 250.0), (60, 1200.0)])
    assert used_bytes == [(0, 750.0), (60, 0.0)]  # clamped: never below 0 or above total
    assert used_percent == [(0, 75.0), (60, 0.0)]
    _, fallback = memory_used(total, [], free=[(0, 100.0)], cached=[(0, 300.0)])
    assert fallback == [(0, 60.0)]


def test_disk_used_per_filesystem():
    labels = {"device": "/dev/vda1", "fstype": "ext4", "mountpoint": "/"}
    size = [series(labels, [(0, 100.0), (60, 100.0)])]
    free = [series(labels, [(0, 40.0), (60, 30.0)])]
    (disk,) = disk_used(size, free)
    assert disk["mountpoint"] == "/" and disk["size_bytes"] == 100 and disk["free_bytes"] == 30
    assert disk["used_percent"] == {"min": 60.0, "mean": 65.0, "max": 70.0, "last": 70.0}
    assert disk_used(size, []) == []


def test_malformed_samples_are_dropped():
    body = {"data": {"result": [{"values": [[1, "2"], [2, "NaN"], ["x", "1"], [3], [4, None]]}]}}
    assert points(matrix(body)[0]) == [(1.0, 2.0)]
    assert matrix(None) == [] and matrix({"data": {"result": "x"}}) == []


def test_a_long_series_is_at_most_thirty_averaged_points():
    found = [(float(t), float(t % 7)) for t in range(0, 6 * 3600, 60)]  # 360 samples
    buckets = Buckets([found], 60)
    shown = summary(found, 1, buckets)
    assert len(shown["series"]) <= MAX_POINTS and buckets.width == 720
    assert shown["min"] <= min(v for v in shown["series"] if v is not None)
    assert max(v for v in shown["series"] if v is not None) <= shown["max"]
    assert shown["min"] <= shown["mean"] <= shown["max"]
    short = [(0.0, 1.0), (60.0, 2.0)]
    assert summary(short, 1, Buckets([short], 60))["series"] == [1.0, 2.0]


def test_windows():
    assert window("1h", None, NOW) == (NOW - 3600, NOW)
    assert window("7d", None, NOW) == (NOW - 7 * 86400, NOW)
    assert window("2025-06-15T12:00:00Z", "2025-06-15T18:00:00+00:00", NOW * 2) == (
        1749988800,
        1750010400,
    )
    assert window("6h", "2025-06-15T18:00:00", NOW * 2) == (1750010400 - 6 * 3600, 1750010400)
    assert window("1h", "2999-01-01T00:00:00Z", NOW) == (NOW - 3600, NOW)  # never past now
    for start, end, message in [
        ("yesterday", None, "neither a duration"),
        ("1h", "soon", "neither a duration"),
        ("90d", None, "at most 31 days"),
        ("2999-01-01T00:00:00Z", None, "before end"),
    ]:
        with pytest.raises(ToolError, match=message):
            window(start, end, NOW)


# -- droplet_metrics through MCP ---------------------------------------------------------------


def _check(stats: dict[str, Any], low: float | None = None, high: float | None = None) -> None:
    assert stats["min"] <= stats["mean"] <= stats["max"], stats
    assert stats["min"] <= stats["last"] <= stats["max"], stats
    if low is not None:
        assert low <= stats["min"] and stats["max"] <= high, stats
    shown = [v for v in stats.get("series", []) if v is not None]
    assert len(stats.get("series", [])) <= MAX_POINTS
    assert all(stats["min"] <= v <= stats["max"] for v in shown), stats


async def test_one_droplet_over_six_hours(client, sandbox, sent):
    item = (await call_ok(client, "droplet_metrics", droplets=[APP_1], start="6h"))["item"]
    assert set(item) >= {"cpu", "memory", "load", "bandwidth_mbps", "disk", "step_seconds"}
    assert "no_data" not in item
    _check(item["cpu"]["used_percent"], 0, 100)
    _check(item["memory"]["used_percent"], 0, 100)
    _check(item["memory"]["used_bytes"], 0, item["memory"]["total_bytes"])
    for key in ("load_1", "load_5", "load_15"):
        _check(item["load"][key], 0, 1000)
    assert set(item["bandwidth_mbps"]) == {"public_in", "public_out", "private_in", "private_out"}
    for stats in item["bandwidth_mbps"].values():
        _check(stats, 0, 10_000)
    (disk,) = item["disk"]
    assert disk["mountpoint"] == "/" and 0 < disk["free_bytes"] < disk["size_bytes"]
    _check(disk["used_percent"], 0, 100)
    assert item["series_step_seconds"] >= item["step_seconds"] > 0

    # the window sent is UNIX seconds, 6 hours wide; the mean agrees with the raw counters
    (cpu_request,) = [p for op, p in sent if op == "monitoring.get_droplet_cpu_metrics"]
    start, end = int(cpu_request["start"]), int(cpu_request["end"])
    assert end - start == 6 * 3600 and cpu_request["host_id"] == str(APP_1)
    raw = api(
        sandbox,
        "GET",
        f"/v2/monitoring/metrics/droplet/cpu?host_id={APP_1}&start={start}&end={end}",
    )
    modes = {s["metric"]["mode"]: s["values"] for s in raw["data"]["result"]}
    grown = {mode: float(v[-1][1]) - float(v[0][1]) for mode, v in modes.items()}
    overall = 100 * (sum(grown.values()) - grown["idle"]) / sum(grown.values())
    assert item["cpu"]["used_percent"]["mean"] == pytest.approx(overall, abs=0.2)


async def test_a_droplet_by_name_and_only_some_metrics(client, sent):
    result = await client.call_tool(
        "droplet_metrics", {"droplets": ["app-2"], "metrics": ["memory", "load"]}
    )
    assert not result.is_error
    item = result.structured_content["item"]
    assert {"memory", "load"} <= set(item) and not {"cpu", "bandwidth_mbps", "disk"} & set(item)
    assert result.content[0].text.startswith(f"Droplet app-2 ({APP_2}), 1h to ")
    asked = {op for op, _ in sent if op.startswith("monitoring.")}
    assert asked == {
        "monitoring.get_droplet_memory_total_metrics",
        "monitoring.get_droplet_memory_available_metrics",
        "monitoring.get_droplet_load1_metrics",
        "monitoring.get_droplet_load5_metrics",
        "monitoring.get_droplet_load15_metrics",
    }


async def test_a_droplet_without_the_agent_is_told_how_to_fix_it(client, sent):
    result = await client.call_tool("droplet_metrics", {"droplets": ["db-1"], "start": "24h"})
    assert not result.is_error
    text = result.content[0].text
    assert text.startswith(f"Droplet db-1 ({DB_1}) sends no metrics")
    assert "curl -sSL https://repos.insights.digitalocean.com/install.sh | sudo bash" in text
    assert "monitoring=true" in text
    # one request told: nothing more is asked of a droplet that reports nothing
    assert len([op for op, _ in sent if op.startswith("monitoring.")]) == 1


async def test_several_droplets_side_by_side(client):
    result = await client.call_tool("droplet_metrics", {"tag_name": "env:prod", "start": "24h"})
    assert not result.is_error
    item = result.structured_content["item"]
    assert item["columns"] == ["droplet", "cpu_mean_%", "cpu_max_%", "mem_mean_%", "mem_max_%"]
    assert [row[0] for row in item["rows"]] == [f"app-1 ({APP_1})", f"app-2 ({APP_2})"]
    for row in item["rows"]:
        assert 0 <= row[1] <= row[2] <= 100 and 0 <= row[3] <= row[4] <= 100
    assert item["rows"][0][1:] != item["rows"][1][1:]  # two droplets, two stories
    assert item["no_metrics"] == [f"db-1 ({DB_1})"] and "install.sh" in item["fix"]
    assert "no metrics from db-1" in result.content[0].text
    both = await call_ok(
        client, "droplet_metrics", droplets=[APP_1, "app-2"], metrics=["load", "disk"]
    )
    assert both["item"]["columns"] == [
        "droplet",
        "load1_mean",
        "load1_max",
        "disk_used_max_%",
    ]


async def test_bad_metric_requests_send_nothing(client, sandbox):
    since = len(sandbox.world.requests)
    for arguments, expected in [
        ({}, "one of them"),
        ({"droplets": [APP_1], "tag_name": "web"}, "one of them"),
        ({"droplets": [APP_1], "start": "last week"}, "neither a duration"),
        ({"droplets": [APP_1], "start": "60d"}, "at most 31 days"),
        ({"droplets": [APP_1], "end": "2000-01-01T00:00:00Z", "start": "2000-02-01"}, "before"),
        ({"tag_name": "bad tag!"}, "Invalid tag"),
    ]:
        assert expected in await call_error(client, "droplet_metrics", **arguments)
    assert sandbox.world.requests[since:] == []
    assert "No droplet named 'ghost'" in await call_error(
        client, "droplet_metrics", droplets=["ghost"]
    )
    assert not [r for r in sandbox.world.requests[since:] if "/monitoring/" in r[1]]


# -- alert policies ----------------------------------------------------------------------------


def test_alert_types_short_and_long():
    assert alert_type("cpu") == "v1/insights/droplet/cpu"
    assert alert_type(" Memory ") == "v1/insights/droplet/memory_utilization_percent"
    assert alert_type("disk") == "v1/insights/droplet/disk_utilization_percent"
    assert alert_type("lb/droplet_health") == "v1/insights/lbaas/droplet_health"
    assert alert_type("db/cpu_alerts") == "v1/dbaas/alerts/cpu_alerts"
    assert alert_type("autoscale/scale_up") == "v1/droplet/autoscale_alerts/scale_up"
    assert alert_type("v1/insights/droplet/load_5") == "v1/insights/droplet/load_5"
    with pytest.raises(ToolError, match="public_outbound_bandwidth"):
        alert_type("network")


async def test_create_with_slack_and_droplet_names(client, sandbox, sent):
    created = await call_ok(
        client,
        "alert_policy_set",
        type="memory",
        value=90,
        compare="GreaterThan",
        window="10m",
        entities=["app-1", APP_2],
        slack=[{"channel": "#ops", "url": WEBHOOK}],
        description="memory on the apps",
    )
    (post,) = [p["body"] for op, p in sent if op == "monitoring.create_alert_policy"]
    assert post == {
        "type": "v1/insights/droplet/memory_utilization_percent",
        "description": "memory on the apps",
        "compare": "GreaterThan",
        "value": 90,
        "window": "10m",
        "entities": [str(APP_1), str(APP_2)],
        "tags": [],
        "alerts": {"email": [], "slack": [{"channel": "#ops", "url": WEBHOOK}]},
        "enabled": True,
    }
    item = created["item"]
    assert item["rule"] == "memory > 90% for 10m"
    assert WEBHOOK not in json.dumps(created)  # a webhook URL is a credential
    assert item["slack"] == [{"channel": "#ops", "url": "<webhook hidden>"}]
    assert sandbox.world.table("alert_policies")[item["uuid"]]["alerts"]["slack"][0]["url"] == (
        WEBHOOK
    )


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"type": "cpu", "value": 120, "emails": [EMAIL]}, "percentage: value must be 0-100"),
        ({"type": "cpu", "value": -1, "emails": [EMAIL]}, "0 or more"),
        ({"type": "load_1", "value": 0, "compare": "LessThan", "emails": [EMAIL]}, "never fires"),
        ({"type": "network", "value": 1, "emails": [EMAIL]}, "Unknown alert type"),
        ({"type": "cpu", "value": 80}, "at least one target"),
        ({"type": "cpu", "value": 80, "emails": [], "slack": []}, "at least one target"),
        ({"value": 80, "emails": [EMAIL]}, "needs type"),
        ({"type": "cpu", "emails": [EMAIL]}, "needs value"),
        ({"type": "cpu", "value": 80, "emails": ["not-an-email"]}, "is not an email address"),
        ({"type": "cpu", "value": 80, "emails": ["bob@example.org"]}, "bob@example.org cannot"),
        (
            {"type": "cpu", "value": 80, "slack": [{"channel": "#x", "url": "http://h/x"}]},
            "https webhook URL",
        ),
        ({"type": "cpu", "value": 80, "slack": [{"url": WEBHOOK}]}, "needs a channel"),
        (
            {"type": "cpu", "value": 80, "emails": [EMAIL], "entities": ["ghost"]},
            "no droplet 'ghost'",
        ),
        (
            {"type": "lb/droplet_health", "value": 1, "emails": [EMAIL], "entities": ["123"]},
            "takes load balancer ids (UUIDs)",
        ),
        ({"type": "cpu", "value": 80, "emails": [EMAIL], "tags": ["bad tag"]}, "Invalid tag"),
        ({"type": "cpu", "value": 80, "emails": [EMAIL], "window": "2m"}, "window"),
    ],
)
async def test_bad_policies_send_nothing(client, sandbox, arguments, expected):
    assert expected in await call_error(client, "alert_policy_set", **arguments)
    assert alert_posts(sandbox) == 0


async def test_an_unverified_account_email_is_refused(client, sandbox):
    sandbox.world.account["email_verified"] = False
    error = await call_error(client, "alert_policy_set", type="cpu", value=80, emails=[EMAIL])
    assert "NOT verified yet" in error and alert_posts(sandbox) == 0


async def test_update_keeps_everything_not_given(client, sandbox, sent):
    before = api(sandbox, "GET", f"/v2/monitoring/alerts/{SEEDED_POLICY}")["policy"]
    result = await client.call_tool(
        "alert_policy_set", {"alert_uuid": SEEDED_POLICY, "window": "30m", "enabled": False}
    )
    assert not result.is_error, result.content[0].text
    assert "window: 5m -> 30m" in result.content[0].text
    assert "enabled: True -> False" in result.content[0].text
    (put,) = [p["body"] for op, p in sent if op == "monitoring.update_alert_policy"]
    assert put == {k: v for k, v in before.items() if k != "uuid"} | {
        "window": "30m",
        "enabled": False,
    }
    # lists given replace: [] clears the email, a webhook takes its place
    result = await client.call_tool(
        "alert_policy_set",
        {"alert_uuid": SEEDED_POLICY, "emails": [], "slack": [{"channel": "#ops", "url": WEBHOOK}]},
    )
    assert result.content[0].text.startswith(
        f"Updated alert policy {SEEDED_POLICY}: emails: ['{EMAIL}'] -> []; "
        "slack: [] -> ['#ops (new webhook)']."
    )
    assert WEBHOOK not in result.content[0].text
    alerts = api(sandbox, "GET", f"/v2/monitoring/alerts/{SEEDED_POLICY}")["policy"]["alerts"]
    assert alerts == {"email": [], "slack": [{"channel": "#ops", "url": WEBHOOK}]}


async def test_updates_that_change_nothing_or_break_the_policy_send_nothing(client, sandbox):
    since = len(sandbox.world.requests)
    error = await call_error(client, "alert_policy_set", alert_uuid=SEEDED_POLICY, value=80)
    assert "Nothing to change" in error
    error = await call_error(client, "alert_policy_set", alert_uuid=SEEDED_POLICY, emails=[])
    assert "at least one target" in error
    error = await call_error(client, "alert_policy_set", alert_uuid=SEEDED_POLICY)
    assert "Give something to change" in error
    error = await call_error(
        client, "alert_policy_set", alert_uuid=SEEDED_POLICY, type="memory", value=101
    )
    assert "0-100" in error
    assert [r for r in sandbox.world.requests[since:] if r[0] != "GET"] == []
    missing = "00000000-0000-4000-8000-000000000000"
    error = await call_error(client, "alert_policy_set", alert_uuid=missing, value=1)
    assert "alert_policy_list shows the uuids" in error


async def test_list_all_or_one(client):
    listed = await call_ok(client, "alert_policy_list")
    assert [p["uuid"] for p in listed["items"]] == [SEEDED_POLICY]
    (seeded,) = listed["items"]
    assert seeded["rule"] == "cpu > 80% for 5m" and seeded["tags"] == ["web"]
    assert seeded["emails"] == [EMAIL] and seeded["enabled"] is True
    one = await client.call_tool("alert_policy_list", {"alert_uuid": SEEDED_POLICY})
    assert one.structured_content["items"] == [seeded]
    assert one.content[0].text.startswith(f"Alert policy {SEEDED_POLICY}: cpu > 80% for 5m (on)")


async def test_deleting_a_policy_asks_first(sandbox):
    dialog = Dialog("accept")
    async with serve(sandbox, "auto", dialog, confirm="auto") as client:
        deleted = await call_ok(client, "alert_policy_delete", alert_uuid=SEEDED_POLICY)
    assert deleted["item"]["deleted"] is True
    assert dialog.questions == [
        f"Delete 1 alert policy: CPU above 80% on the web Droplets ({SEEDED_POLICY}). "
        "Its rule cpu > 80% for 5m stops alerting. Approve?"
    ]
    assert sandbox.world.table("alert_policies") == {}


async def test_a_type_newer_than_this_server_is_kept_on_update():
    from cargoshipper.tools.monitoring import _policy_body

    before = {
        "type": "v1/insights/droplet/new_metric",
        "description": "new",
        "compare": "GreaterThan",
        "value": 1,
        "window": "5m",
        "entities": [123],
        "tags": [],
        "alerts": {"email": [], "slack": [{"channel": "#ops", "url": WEBHOOK}]},
        "enabled": True,
        "uuid": SEEDED_POLICY,
    }
    body = await _policy_body(None, before, {"value": 2})  # nothing to look up: no requests
    assert body["type"] == "v1/insights/droplet/new_metric" and body["value"] == 2
    assert body["entities"] == ["123"]  # strings, as the PUT schema has them
    with pytest.raises(ToolError, match="Unknown alert type"):
        await _policy_body(None, None, {"type": None, "value": 2})
