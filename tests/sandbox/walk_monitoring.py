"""The conformance walk over the monitoring routes: Droplet metrics and alert policies."""

from __future__ import annotations

from cargoshipper.sandbox import Sandbox

from ._client import Api, Exchange

METRICS = "/v2/monitoring/metrics/droplet"
ALERTS = "/v2/monitoring/alerts"
MISSING = "00000000-0000-4000-8000-000000000000"
APP_1, DB_1 = 501_000_101, 501_000_103  # with and without the metrics agent
SIMPLE = (
    "cpu",
    "filesystem_free",
    "filesystem_size",
    "load_1",
    "load_5",
    "load_15",
    "memory_available",
    "memory_cached",
    "memory_free",
    "memory_total",
)
POLICY = {
    "type": "v1/insights/droplet/cpu",
    "description": "walk: CPU high",
    "compare": "GreaterThan",
    "value": 80,
    "window": "5m",
    "entities": [str(APP_1)],
    "tags": ["web"],
    "alerts": {"email": ["sammy@example.com"], "slack": []},
    "enabled": True,
}
SLACK = {"channel": "ops", "url": "https://hooks.slack.com/services/T1/B2/C3"}


def _expect(exchange: Exchange, status: int) -> Exchange:
    assert exchange.status == status, (exchange.method, exchange.path, exchange.body[:300])
    return exchange


def walk_monitoring(api: Api, sb: Sandbox) -> None:
    _walk_metrics(api, int(sb.world.epoch()))
    _walk_alerts(api)


def _walk_metrics(api: Api, now: int) -> None:
    window = {"host_id": str(APP_1), "start": str(now - 3600), "end": str(now)}
    for name in SIMPLE:
        _expect(api.get(f"{METRICS}/{name}", query=window), 200)
    for interface in ("public", "private"):
        for direction in ("inbound", "outbound"):
            query = {**window, "interface": interface, "direction": direction}
            _expect(api.get(f"{METRICS}/bandwidth", query=query), 200)
    _expect(api.get(f"{METRICS}/cpu", query={**window, "host_id": str(DB_1)}), 200)  # empty
    _expect(api.get(f"{METRICS}/load_1", query={**window, "host_id": "1"}), 200)  # empty
    _expect(api.get(f"{METRICS}/cpu", query={"start": "1", "end": "2"}), 400)
    _expect(api.get(f"{METRICS}/cpu", query={**window, "start": "yesterday"}), 400)
    _expect(api.get(f"{METRICS}/cpu", query={**window, "start": str(now + 60)}), 400)
    _expect(api.get(f"{METRICS}/bandwidth", query={**window, "interface": "public"}), 400)


def _walk_alerts(api: Api) -> None:
    _expect(api.get(ALERTS), 200)
    made = _expect(api.post(ALERTS, POLICY), 200).json["policy"]
    _expect(api.post(ALERTS, {**POLICY, "tags": [], "entities": []}), 200)
    _expect(api.get(ALERTS, query={"per_page": 1, "page": 2}), 200)
    for bad in (
        {"alerts": {"email": ["bob@example.com"], "slack": []}},  # not a verified email
        {"alerts": {"email": [], "slack": [{"channel": "ops"}]}},
        {"type": "v1/insights/droplet/teleport"},
        {"window": "2h"},
        {"compare": "EqualTo"},
        {"value": "eighty"},
        {"entities": ["1"]},  # no such Droplet
        {"description": ""},
    ):
        _expect(api.post(ALERTS, {**POLICY, **bad}), 422)
    _expect(api.post(ALERTS, {"type": POLICY["type"]}), 422)
    _expect(api.post(ALERTS, raw=b'{"type": '), 400)
    path = f"{ALERTS}/{made['uuid']}"
    _expect(api.get(path), 200)
    _expect(api.get(f"{ALERTS}/{MISSING}"), 404)
    update = {**POLICY, "value": 90, "alerts": {"email": [], "slack": [SLACK]}}
    _expect(api.put(path, update), 200)
    _expect(api.put(path, {**update, "enabled": "yes"}), 422)
    _expect(api.put(f"{ALERTS}/{MISSING}", update), 404)
    _expect(api.delete(path), 204)
    _expect(api.delete(path), 404)
