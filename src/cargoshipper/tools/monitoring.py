"""Monitoring: how droplets are doing, and alert policies.

``droplet_metrics`` answers "how is droplet X doing" in one call. The API serves each metric
from its own endpoint as a Prometheus matrix, over UNIX-second windows; the tool asks the ones
needed at once and summarises each series: min, mean, max, last and a series of at most 30
points (averaged over equal time buckets; ``null`` where no sample fell), plus the step the API
used. CPU comes as cumulative seconds per mode: used % is, for each step, the growth of the
non-idle modes over the growth of all of them. Memory comes as total/available (free/cached)
bytes: used = total - available. Bandwidth is in Mbps, as the API gives it; disk is per
filesystem (size, free, used %). A droplet without the metrics agent answers with empty series:
the tool says so and how to install it, without asking for the rest. Several droplets (ids,
names or a tag) are compared as one table: a row per droplet, mean and max per metric.

Alert policies: three tools, to keep the toolset within 5,000 characters of tools/list
(separate get, create and update tools would repeat ten parameters and cost about 2,200 more):

* ``alert_policy_list`` lists them, or shows one (``alert_uuid``): a policy's list view is
  already all of it;
* ``alert_policy_set`` creates one or, with ``alert_uuid``, changes one: GET, merge, PUT (the
  API's PUT replaces the whole policy, so what is not given is sent back as it was);
* ``alert_policy_delete`` deletes one (asks first).

Everything is checked before anything is sent: the type (the API's ``v1/...`` names, or short
ones: ``cpu``, ``memory``, ``disk``, ``lb/droplet_health``...), compare, window, the value
(0-100 for percents), at least one target, the droplets named as entities (ids or names, all
must exist), and email targets: DigitalOcean only accepts verified addresses, so they must be
the account's own (``account.get``). Slack webhook URLs are credentials: views mask them.
"""

from __future__ import annotations

import itertools
import math
import re
import statistics
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import anyio
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from ..access import DOAccess
from ..registry import Access, Toolset
from ..trust import Plan, Target, mask_secrets
from ._common import (
    TAG_PATTERN,
    UUID_PATTERN,
    ItemResult,
    ListResult,
    PageNumber,
    PerPage,
    compact,
    fetch_list,
    list_result,
)

TOOLSET = Toolset(
    "monitoring",
    "Droplet metrics (CPU, memory, load, bandwidth, disk) and alert policies.",
    default=False,
)

LOOKUP = "alert_policy_list shows the uuids"
DROPLET_LOOKUP = "droplet_list shows the ids"
UUID = re.compile(UUID_PATTERN)
TAG = re.compile(TAG_PATTERN)
INSTALL = "curl -sSL https://repos.insights.digitalocean.com/install.sh | sudo bash"
MAX_POINTS = 30
MAX_DROPLETS = 10
MAX_DAYS = 31  # a window's longest span
RELATIVE = re.compile(r"(\d{1,5})\s*(m|min|h|d|w)")
UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}

Metric = Literal["cpu", "memory", "load", "bandwidth", "disk"]
ALL_METRICS: tuple[str, ...] = ("cpu", "memory", "load", "bandwidth", "disk")
COMPARED: tuple[str, ...] = ("cpu", "memory")  # several droplets: what is asked by default
#: metric -> (key, operation, extra query) of the requests it needs
REQUESTS: dict[str, list[tuple[str, str, dict[str, str]]]] = {
    "cpu": [("cpu", "monitoring.get_droplet_cpu_metrics", {})],
    "memory": [
        ("total", "monitoring.get_droplet_memory_total_metrics", {}),
        ("available", "monitoring.get_droplet_memory_available_metrics", {}),
    ],
    "load": [
        ("load_1", "monitoring.get_droplet_load1_metrics", {}),
        ("load_5", "monitoring.get_droplet_load5_metrics", {}),
        ("load_15", "monitoring.get_droplet_load15_metrics", {}),
    ],
    "bandwidth": [
        (
            f"{interface}_{direction.removesuffix('bound')}",  # public_in, public_out, ...
            "monitoring.get_droplet_bandwidth_metrics",
            {"interface": interface, "direction": direction},
        )
        for interface in ("public", "private")
        for direction in ("inbound", "outbound")
    ],
    "disk": [
        ("fs_size", "monitoring.get_droplet_filesystem_size_metrics", {}),
        ("fs_free", "monitoring.get_droplet_filesystem_free_metrics", {}),
    ],
}
FALLBACK_MEMORY = [  # when an agent reports no "available" memory
    ("mem_free", "monitoring.get_droplet_memory_free_metrics", {}),
    ("mem_cached", "monitoring.get_droplet_memory_cached_metrics", {}),
]

Points = list[tuple[float, float]]


async def _gather(jobs: dict[Any, Callable[[], Awaitable[Any]]]) -> dict[Any, Any]:
    """Run the jobs at once; their results by key, or the first error (never a group)."""
    results: dict[Any, Any] = {}
    errors: list[Exception] = []

    async def run(key: Any, job: Callable[[], Awaitable[Any]]) -> None:
        try:
            results[key] = await job()
        except Exception as error:  # raised below, as itself
            errors.append(error)

    async with anyio.create_task_group() as group:
        for key, job in jobs.items():
            group.start_soon(run, key, job)
    if errors:
        raise errors[0]
    return results


# -- the window ------------------------------------------------------------------------------


def _instant(text: str, reference: int, what: str) -> int:
    """``6h`` (that long before ``reference``) or an ISO-8601 time, in UNIX seconds."""
    text = text.strip()
    relative = RELATIVE.fullmatch(text.lower())
    if relative:
        return reference - int(relative[1]) * UNITS[relative[2]]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ToolError(
            f"{what} {text[:40]!r} is neither a duration (1h, 6h, 24h, 7d) nor an ISO-8601 time "
            "(e.g. 2025-06-01T12:00:00Z). Nothing was sent."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return int(moment.timestamp())
    except (OverflowError, OSError, ValueError):
        raise ToolError(f"{what} {text[:40]!r} is out of range. Nothing was sent.") from None


def window(start: str, end: str | None, now: int | None = None) -> tuple[int, int]:
    """(start, end) in UNIX seconds: ``start`` a duration back from ``end`` (default now) or a
    time; ``end`` a time (or a duration back from now)."""
    now = int(datetime.now(UTC).timestamp()) if now is None else now
    stop = now if end is None else min(_instant(end, now, "end"), now)
    begin = _instant(start, stop, "start")
    if begin >= stop:
        raise ToolError(f"start must be before end ({_iso(stop)}). Nothing was sent.")
    if stop - begin > MAX_DAYS * 86400:
        raise ToolError(f"Ask for at most {MAX_DAYS} days at once. Nothing was sent.")
    return begin, stop


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _span(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


# -- reading Prometheus matrices --------------------------------------------------------------


def matrix(body: Any) -> list[dict[str, Any]]:
    """The series of an answer ``{"data": {"result": [{"metric": {...}, "values": [...]}]}}``;
    anything else is no series."""
    data = body.get("data") if isinstance(body, dict) else None
    result = data.get("result") if isinstance(data, dict) else None
    return [s for s in result if isinstance(s, dict)] if isinstance(result, list) else []


def points(series: dict[str, Any]) -> Points:
    """``[[t, "1.5"], ...]`` as sorted (t, value) pairs; malformed and NaN samples dropped."""
    found: dict[float, float] = {}
    for pair in series.get("values") or []:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            continue
        try:
            moment, value = float(pair[0]), float(pair[1])
        except (TypeError, ValueError):
            continue
        if math.isfinite(moment) and math.isfinite(value):
            found[moment] = value
    return sorted(found.items())


def _labels(series: dict[str, Any]) -> dict[str, str]:
    metric = series.get("metric")
    return {str(k): str(v) for k, v in metric.items()} if isinstance(metric, dict) else {}


def first_series(result: list[dict[str, Any]]) -> Points:
    """The first series with samples (a droplet's gauge has one)."""
    return next((found for series in result if (found := points(series))), [])


def cpu_used(result: list[dict[str, Any]]) -> Points:
    """Used CPU % per step from cumulative seconds per mode: 100 x (growth of all modes but
    idle) / (growth of all modes). Steps where a counter went back (a reboot) are skipped."""
    modes: dict[str, dict[float, float]] = {}
    for series in result:
        mode = _labels(series).get("mode")
        if not mode:
            continue
        sums = modes.setdefault(mode, {})
        for moment, value in points(series):
            sums[moment] = sums.get(moment, 0.0) + value
    if "idle" not in modes or len(modes) < 2:
        return []
    moments = sorted(set.intersection(*(set(sums) for sums in modes.values())))
    totals = [(t, sum(sums[t] for sums in modes.values()), modes["idle"][t]) for t in moments]
    used: Points = []
    for (_, total0, idle0), (moment, total1, idle1) in itertools.pairwise(totals):
        grown, idle = total1 - total0, idle1 - idle0
        if grown <= 0 or idle < 0 or idle > grown:
            continue
        used.append((moment, 100.0 * (grown - idle) / grown))
    return used


def memory_used(
    total: Points, available: Points, free: Points = (), cached: Points = ()
) -> tuple[Points, Points]:
    """(used bytes, used %) per sample: total - available, else total - free - cached."""
    have, spare, cache = dict(available), dict(free), dict(cached)
    used_bytes: Points = []
    used_percent: Points = []
    for moment, whole in total:
        if whole <= 0:
            continue
        if moment in have:
            used = whole - have[moment]
        elif moment in spare:
            used = whole - spare[moment] - cache.get(moment, 0.0)
        else:
            continue
        used = min(max(used, 0.0), whole)
        used_bytes.append((moment, used))
        used_percent.append((moment, 100.0 * used / whole))
    return used_bytes, used_percent


def disk_used(size: list[dict[str, Any]], free: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per filesystem (device, mountpoint): last size and free bytes, used % (no series)."""

    def key(series: dict[str, Any]) -> tuple[str | None, str | None]:
        labels = _labels(series)
        return labels.get("device"), labels.get("mountpoint")

    frees = {key(series): dict(points(series)) for series in free}
    disks = []
    for series in size:
        spare = frees.get(key(series), {})
        both = [(t, s, spare[t]) for t, s in points(series) if s > 0 and t in spare]
        if not both:
            continue
        device, mountpoint = key(series)
        percent = [(t, 100.0 * min(max(s - f, 0.0), s) / s) for t, s, f in both]
        disks.append(
            compact(
                {
                    "mountpoint": mountpoint,
                    "device": device,
                    "size_bytes": int(both[-1][1]),
                    "free_bytes": int(both[-1][2]),
                    "used_percent": summary(percent, 1),
                }
            )
        )
    return disks


def step_of(found: Points) -> int | None:
    """The API's step: the median gap between samples."""
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(found) if b[0] > a[0]]
    return int(statistics.median(gaps)) if gaps else None


class Buckets:
    """Equal time buckets over a droplet's samples, at most MAX_POINTS of them."""

    def __init__(self, series: list[Points], step: int | None) -> None:
        moments = [t for found in series for t, _ in found]
        self.start = min(moments, default=0.0)
        span = max(moments, default=0.0) - self.start + (step or 1)
        self.width = max(step or 1, math.ceil(span / MAX_POINTS))
        self.count = max(1, min(MAX_POINTS, math.ceil(span / self.width)))

    def series(self, found: Points, digits: int) -> list[float | None]:
        sums = [0.0] * self.count
        counts = [0] * self.count
        for moment, value in found:
            index = min(self.count - 1, max(0, int((moment - self.start) // self.width)))
            sums[index] += value
            counts[index] += 1
        return [round(s / c, digits) if c else None for s, c in zip(sums, counts, strict=True)]


def summary(found: Points, digits: int, buckets: Buckets | None = None) -> dict[str, Any]:
    """min, mean, max, last (rounded; rounding keeps min <= mean <= max) and the series."""
    values = [value for _, value in found]
    mean = min(max(statistics.fmean(values), min(values)), max(values))
    shown: dict[str, Any] = {
        "min": _round(min(values), digits),
        "mean": _round(mean, digits),
        "max": _round(max(values), digits),
        "last": _round(values[-1], digits),
    }
    if buckets is not None:
        shown["series"] = buckets.series(found, digits)
    return shown


def _round(value: float, digits: int) -> float | int:
    return round(value) if digits == 0 else round(value, digits)


# -- droplets --------------------------------------------------------------------------------


def _droplet_label(droplet: dict[str, Any]) -> str:
    return f"{droplet.get('name')} ({droplet.get('id')})"


async def _droplets(
    do: DOAccess, droplets: list[int | str] | None, tag_name: str | None
) -> tuple[list[dict[str, Any]], str]:
    """The droplets asked for (ids, names or a tag), at most MAX_DROPLETS, and a note when the
    tag has more."""
    if bool(droplets) == bool(tag_name):
        raise ToolError("Give droplets (ids or names) or tag_name, one of them. Nothing was sent.")
    if tag_name:
        if not TAG.fullmatch(tag_name):
            raise ToolError(f"Invalid tag {tag_name[:40]!r}: letters, digits, '_', ':' or '-'.")
        found = (await do.list_all("droplets.list", "droplets", tag_name=tag_name)).items
        if not found:
            raise ToolError(f"No droplet is tagged {tag_name!r}. Nothing was sent.")
        more = len(found) - MAX_DROPLETS
        note = f" (the first {MAX_DROPLETS} of {len(found)} tagged {tag_name})" if more > 0 else ""
        return found[:MAX_DROPLETS], note
    asked = list(dict.fromkeys(str(d).strip() for d in droplets or []))
    if len(asked) > MAX_DROPLETS:
        raise ToolError(f"At most {MAX_DROPLETS} droplets at once; nothing was sent.")
    ids = [d for d in asked if d.isascii() and d.isdigit()]
    names = [d for d in asked if d not in ids]
    bad = [n for n in names if not n or len(n) > 255 or not n.isprintable()]
    if bad:
        raise ToolError(f"{bad[0][:40]!r} is not a droplet id or name. Nothing was sent.")
    jobs: dict[Any, Callable[[], Awaitable[Any]]] = {
        ("id", d): (lambda d=d: _droplet_by_id(do, int(d))) for d in ids
    }
    if names:
        jobs["names"] = lambda: do.list_all("droplets.list", "droplets")
    got = await _gather(jobs)
    found = [got[("id", d)] for d in ids]
    listed = got["names"].items if names else []
    unknown = []
    for name in names:
        same = [d for d in listed if d.get("name") == name]
        unknown += [name] if not same else []
        found += same
    if unknown:
        raise ToolError(
            f"No droplet named {', '.join(map(repr, unknown))} ({DROPLET_LOOKUP}). "
            "Nothing was sent."
        )
    unique = list({d.get("id"): d for d in found}.values())
    more = len(unique) - MAX_DROPLETS
    note = f" (the first {MAX_DROPLETS} of {len(unique)} named)" if more > 0 else ""
    return unique[:MAX_DROPLETS], note


async def _droplet_by_id(do: DOAccess, droplet_id: int) -> dict[str, Any]:
    body = await do.call(
        "droplets.get",
        droplet_id=droplet_id,
        subject=f"droplet {droplet_id}",
        lookup_hint=DROPLET_LOOKUP,
    )
    return body["droplet"]


def _fix(droplet: dict[str, Any]) -> str:
    """Why a droplet sends nothing, and how to fix it."""
    label = _droplet_label(droplet)
    if "monitoring" in (droplet.get("features") or []):
        return (
            f"Droplet {label} has monitoring on but its agent reported nothing in this window "
            f"(stopped, or the droplet is new): check `systemctl status do-agent` on it, or "
            f"reinstall the agent: `{INSTALL}`."
        )
    return (
        f"Droplet {label} sends no metrics: the DigitalOcean metrics agent is not installed "
        f"(monitoring is off). Install it on the droplet: `{INSTALL}` (data shows within "
        "minutes), or create droplets with monitoring=true."
    )


async def _fetch(
    do: DOAccess, droplet_id: int, span: tuple[int, int], wanted: list[tuple[str, str, dict]]
) -> dict[str, list[dict[str, Any]]]:
    start, end = span

    async def one(operation: str, extra: dict[str, str]) -> list[dict[str, Any]]:
        body = await do.call(
            operation,
            host_id=str(droplet_id),
            start=str(start),
            end=str(end),
            subject=f"metrics of droplet {droplet_id}",
            **extra,
        )
        return matrix(body)

    jobs = {key: (lambda o=operation, e=extra: one(o, e)) for key, operation, extra in wanted}
    return await _gather(jobs)


async def _measure(
    do: DOAccess, droplet: dict[str, Any], span: tuple[int, int], metrics: list[str]
) -> dict[str, Any] | None:
    """The raw series of one droplet, per request key; None when it reports nothing (the
    first metric asked came back empty: the rest is not asked)."""
    droplet_id = int(droplet["id"])
    first, rest = metrics[0], metrics[1:]
    raw = await _fetch(do, droplet_id, span, REQUESTS[first])
    if not any(points(s) for result in raw.values() for s in result):
        return None
    raw |= await _fetch(do, droplet_id, span, [r for m in rest for r in REQUESTS[m]])
    if "memory" in metrics and not first_series(raw.get("available", [])):
        raw |= await _fetch(do, droplet_id, span, FALLBACK_MEMORY)
    return raw


def _report(raw: dict[str, Any], metrics: list[str]) -> dict[str, Any]:
    """The summary of one droplet's series: per metric, and which metrics had no data."""
    cpu = cpu_used(raw.get("cpu", []))
    total = first_series(raw.get("total", []))
    used_bytes, used_percent = memory_used(
        total,
        first_series(raw.get("available", [])),
        first_series(raw.get("mem_free", [])),
        first_series(raw.get("mem_cached", [])),
    )
    loads = {key: first_series(raw.get(key, [])) for key in ("load_1", "load_5", "load_15")}
    bandwidth = {
        key: first_series(raw.get(key, []))
        for key in ("public_in", "public_out", "private_in", "private_out")
    }
    raw_samples = [first_series(result) for result in raw.values()]
    step = next((s for found in raw_samples if (s := step_of(found))), None)
    buckets = Buckets([cpu, used_percent, *loads.values(), *bandwidth.values()], step)
    report: dict[str, Any] = {"step_seconds": step}
    if any([cpu, used_percent, *loads.values(), *bandwidth.values()]):
        report["series_start"] = _iso(buckets.start)
        report["series_step_seconds"] = buckets.width
    if "cpu" in metrics and cpu:
        report["cpu"] = {"used_percent": summary(cpu, 1, buckets)}
    if "memory" in metrics and used_percent:
        report["memory"] = {
            "used_percent": summary(used_percent, 1, buckets),
            "used_bytes": summary(used_bytes, 0),
            "total_bytes": int(total[-1][1]),
        }
    if "load" in metrics and any(loads.values()):
        report["load"] = {key: summary(found, 2, buckets) for key, found in loads.items() if found}
    if "bandwidth" in metrics and any(bandwidth.values()):
        report["bandwidth_mbps"] = {
            key: summary(found, 3, buckets) for key, found in bandwidth.items() if found
        }
    if "disk" in metrics:
        disks = disk_used(raw.get("fs_size", []), raw.get("fs_free", []))
        if disks:
            report["disk"] = disks[:10]
    names = {"bandwidth": "bandwidth_mbps"}
    missing = [m for m in metrics if names.get(m, m) not in report]
    if missing:
        report["no_data"] = missing
    return report


def _headline(report: dict[str, Any]) -> str:
    parts = []
    if "cpu" in report:
        cpu = report["cpu"]["used_percent"]
        parts.append(f"CPU {cpu['mean']}% mean, {cpu['max']}% max")
    if "memory" in report:
        memory = report["memory"]
        gib = memory["total_bytes"] / 2**30
        parts.append(
            f"memory {memory['used_percent']['mean']}% mean, {memory['used_percent']['max']}% "
            f"max of {gib:.1f} GiB"
        )
    if "load" in report:
        last = [
            str(report["load"][k]["last"])
            for k in ("load_1", "load_5", "load_15")
            if k in report["load"]
        ]
        parts.append(f"load {'/'.join(last)}")
    if "bandwidth_mbps" in report:
        public = report["bandwidth_mbps"]
        shown = [
            f"{k.split('_')[1]} {public[k]['mean']}"
            for k in ("public_in", "public_out")
            if k in public
        ]
        if shown:
            parts.append(f"public Mbps mean {', '.join(shown)}")
    for disk in report.get("disk", [])[:2]:
        parts.append(f"disk {disk.get('mountpoint')} {disk['used_percent']['last']}% used")
    if report.get("no_data"):
        parts.append(f"no data: {', '.join(report['no_data'])}")
    return "; ".join(parts)


#: Several droplets: the table's columns per metric, (name, where in the report).
COLUMNS: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "cpu": [
        ("cpu_mean_%", ("cpu", "used_percent", "mean")),
        ("cpu_max_%", ("cpu", "used_percent", "max")),
    ],
    "memory": [
        ("mem_mean_%", ("memory", "used_percent", "mean")),
        ("mem_max_%", ("memory", "used_percent", "max")),
    ],
    "load": [
        ("load1_mean", ("load", "load_1", "mean")),
        ("load1_max", ("load", "load_1", "max")),
    ],
    "bandwidth": [
        (f"{key}_mbps_{stat}", ("bandwidth_mbps", key, stat))
        for key in ("public_in", "public_out", "private_in", "private_out")
        for stat in ("mean", "max")
    ],
    "disk": [("disk_used_max_%", ("disk",))],
}


def _cell(report: dict[str, Any], where: tuple[str, ...]) -> Any:
    if where == ("disk",):
        disks = report.get("disk") or []
        return max((d["used_percent"]["max"] for d in disks), default=None)
    value: Any = report
    for key in where:
        value = value.get(key) if isinstance(value, dict) else None
    return value


@TOOLSET.tool(Access.READ)
async def droplet_metrics(
    do: DOAccess,
    droplets: Annotated[
        list[int | str] | None,
        Field(description="Ids or names; several: one table."),
    ] = None,
    tag_name: Annotated[
        str | None, Field(description=f"Or a tag (first {MAX_DROPLETS} droplets).")
    ] = None,
    metrics: Annotated[
        list[Metric] | None,
        Field(description="Default: all for one droplet; cpu, memory for several."),
    ] = None,
    start: Annotated[
        str, Field(description="1h, 6h, 24h, 7d (back from end) or an ISO-8601 time.")
    ] = "1h",
    end: Annotated[str | None, Field(description="ISO-8601 time (default now).")] = None,
) -> ItemResult:
    """How droplets are doing: CPU %, memory, load, bandwidth, disk; min/mean/max/last and
    30 points a series. Says how to fix one sending no metrics."""
    span = window(start, end)
    found, note = await _droplets(do, droplets, tag_name)
    several = len(found) > 1 or bool(tag_name)
    wanted = list(dict.fromkeys(metrics or (COMPARED if several else ALL_METRICS)))
    raws = await _gather(
        {index: (lambda d=d: _measure(do, d, span, wanted)) for index, d in enumerate(found)}
    )
    when = {"start": _iso(span[0]), "end": _iso(span[1])}
    period = f"{_span(span[1] - span[0])} to {when['end']}"
    if not several:
        droplet, raw = found[0], raws[0]
        about = {"droplet": {"id": droplet.get("id"), "name": droplet.get("name")}} | when
        if raw is None:
            fix = _fix(droplet)
            return ItemResult(item=about | {"reporting": False, "fix": fix}).titled(fix)
        report = _report(raw, wanted)
        return ItemResult(item=about | report).titled(
            f"Droplet {_droplet_label(droplet)}, {period}: {_headline(report)}."
        )
    columns = [column for metric in wanted for column in COLUMNS[metric]]
    rows, silent = [], []
    for index, droplet in enumerate(found):
        raw = raws[index]
        if raw is None:
            silent.append(droplet)
            continue
        report = _report(raw, wanted)
        rows.append([_droplet_label(droplet), *(_cell(report, where) for _, where in columns)])
    item: dict[str, Any] = when | {"columns": ["droplet", *(n for n, _ in columns)], "rows": rows}
    if silent:
        item["no_metrics"] = [_droplet_label(d) for d in silent]
        item["fix"] = (
            f"Install the metrics agent on them: `{INSTALL}`, or create droplets with "
            "monitoring=true."
        )
    quiet = f"; no metrics from {', '.join(item['no_metrics'])}" if silent else ""
    return ItemResult(item=item).titled(f"{len(rows)} droplet(s) compared{note}, {period}{quiet}.")


# -- alert policies --------------------------------------------------------------------------

ALERT_TYPES = (
    "v1/insights/droplet/load_1",
    "v1/insights/droplet/load_5",
    "v1/insights/droplet/load_15",
    "v1/insights/droplet/memory_utilization_percent",
    "v1/insights/droplet/disk_utilization_percent",
    "v1/insights/droplet/cpu",
    "v1/insights/droplet/disk_read",
    "v1/insights/droplet/disk_write",
    "v1/insights/droplet/public_outbound_bandwidth",
    "v1/insights/droplet/public_inbound_bandwidth",
    "v1/insights/droplet/private_outbound_bandwidth",
    "v1/insights/droplet/private_inbound_bandwidth",
    "v1/insights/lbaas/avg_cpu_utilization_percent",
    "v1/insights/lbaas/connection_utilization_percent",
    "v1/insights/lbaas/droplet_health",
    "v1/insights/lbaas/tls_connections_per_second_utilization_percent",
    "v1/insights/lbaas/increase_in_http_error_rate_percentage_5xx",
    "v1/insights/lbaas/increase_in_http_error_rate_percentage_4xx",
    "v1/insights/lbaas/increase_in_http_error_rate_count_5xx",
    "v1/insights/lbaas/increase_in_http_error_rate_count_4xx",
    "v1/insights/lbaas/high_http_request_response_time",
    "v1/insights/lbaas/high_http_request_response_time_50p",
    "v1/insights/lbaas/high_http_request_response_time_95p",
    "v1/insights/lbaas/high_http_request_response_time_99p",
    "v1/dbaas/alerts/load_15_alerts",
    "v1/dbaas/alerts/memory_utilization_alerts",
    "v1/dbaas/alerts/disk_utilization_alerts",
    "v1/dbaas/alerts/cpu_alerts",
    "v1/droplet/autoscale_alerts/current_instances",
    "v1/droplet/autoscale_alerts/target_instances",
    "v1/droplet/autoscale_alerts/current_cpu_utilization",
    "v1/droplet/autoscale_alerts/target_cpu_utilization",
    "v1/droplet/autoscale_alerts/current_memory_utilization",
    "v1/droplet/autoscale_alerts/target_memory_utilization",
    "v1/droplet/autoscale_alerts/scale_up",
    "v1/droplet/autoscale_alerts/scale_down",
)
#: API prefix -> short prefix, and what its entities are
FAMILIES = {
    "v1/insights/droplet/": ("", "droplet"),
    "v1/insights/lbaas/": ("lb/", "load balancer"),
    "v1/dbaas/alerts/": ("db/", "database cluster"),
    "v1/droplet/autoscale_alerts/": ("autoscale/", "autoscale pool"),
}
PERCENT = frozenset(
    {
        "v1/insights/droplet/cpu",
        "v1/insights/droplet/memory_utilization_percent",
        "v1/insights/droplet/disk_utilization_percent",
        "v1/insights/lbaas/avg_cpu_utilization_percent",
        "v1/insights/lbaas/connection_utilization_percent",
        "v1/insights/lbaas/tls_connections_per_second_utilization_percent",
        "v1/dbaas/alerts/memory_utilization_alerts",
        "v1/dbaas/alerts/disk_utilization_alerts",
        "v1/dbaas/alerts/cpu_alerts",
    }
)
COMPARE = {"GreaterThan": ">", "LessThan": "<"}
WINDOWS = ("5m", "10m", "30m", "1h")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,}$")


def short_type(kind: str) -> str:
    """``v1/insights/droplet/cpu`` -> ``cpu``; ``v1/insights/lbaas/droplet_health`` ->
    ``lb/droplet_health``."""
    for prefix, (short, _) in FAMILIES.items():
        if kind.startswith(prefix):
            return short + kind.removeprefix(prefix)
    return kind


ALIASES = {
    "memory": "v1/insights/droplet/memory_utilization_percent",
    "disk": "v1/insights/droplet/disk_utilization_percent",
}
SHORT_TYPES = {short_type(kind): kind for kind in ALERT_TYPES} | ALIASES
SHOWN_AS = {kind: alias for alias, kind in ALIASES.items()}  # memory, not memory_utilization_...


def alert_type(text: str) -> str:
    """The API's type for its own name or a short one (case and spaces ignored)."""
    given = str(text).strip().lower()
    found = given if given in ALERT_TYPES else SHORT_TYPES.get(given)
    if found is None:
        shorts = ", ".join(sorted(short_type(k) for k in ALERT_TYPES))
        raise ToolError(
            f"Unknown alert type {str(text)[:60]!r}. Use one of: {shorts} (or the API's "
            "v1/... name). Nothing was sent."
        )
    return found


def _family(kind: str) -> str:
    """What a type's entities are: droplet, load balancer, ... ("resource" if unknown)."""
    found = (noun for prefix, (_, noun) in FAMILIES.items() if kind.startswith(prefix))
    return next(found, "resource")


def _unit(kind: str) -> str:
    if kind in PERCENT:
        return "%"
    if kind.endswith("bandwidth"):
        return " Mbps"
    if kind.endswith(("disk_read", "disk_write")):
        return " MBps"
    return ""


def _rule(policy: dict[str, Any]) -> str:
    """``cpu > 80% for 5m``."""
    kind = str(policy.get("type"))
    sign = COMPARE.get(str(policy.get("compare")), str(policy.get("compare")))
    value = policy.get("value")
    value = f"{value:g}" if isinstance(value, int | float) else str(value)
    name = SHOWN_AS.get(kind) or short_type(kind)
    return f"{name} {sign} {value}{_unit(kind)} for {policy.get('window')}"


def policy_view(policy: dict[str, Any]) -> dict[str, Any]:
    """A policy, compact; Slack webhook URLs (credentials) masked."""
    alerts = policy.get("alerts") if isinstance(policy.get("alerts"), dict) else {}
    view = {
        "uuid": policy.get("uuid"),
        "rule": _rule(policy),
        "type": policy.get("type"),
        "compare": policy.get("compare"),
        "value": policy.get("value"),
        "window": policy.get("window"),
        "description": policy.get("description"),
        "entities": policy.get("entities"),
        "tags": policy.get("tags"),
        "enabled": policy.get("enabled"),
        "emails": alerts.get("email"),
        "slack": alerts.get("slack"),
    }
    view = compact(view) | {"enabled": bool(policy.get("enabled"))}
    kind = str(policy.get("type"))
    if not (policy.get("entities") or policy.get("tags")) and kind in ALERT_TYPES:
        view["applies_to"] = f"every {_family(kind)}"
    return mask_secrets(view, "<webhook hidden>")


async def _get_policy(do: DOAccess, alert_uuid: str) -> dict[str, Any]:
    body = await do.call(
        "monitoring.get_alert_policy",
        alert_uuid=alert_uuid,
        subject=f"alert policy {alert_uuid}",
        lookup_hint=LOOKUP,
    )
    return body["policy"]


def _check_value(kind: str, compare: str, value: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ToolError(f"value must be a number; got {str(value)[:40]!r}. Nothing was sent.")
    if value < 0:
        raise ToolError(f"value must be 0 or more; got {value:g}. Nothing was sent.")
    if kind in PERCENT and value > 100:
        raise ToolError(
            f"{short_type(kind)} is a percentage: value must be 0-100; got {value:g}. "
            "Nothing was sent."
        )
    if compare == "LessThan" and value == 0:
        raise ToolError("LessThan 0 never fires: give a value above 0. Nothing was sent.")
    return int(value) if float(value).is_integer() else float(value)


def _check_slack(slack: list[Any]) -> list[dict[str, str]]:
    checked = []
    for index, target in enumerate(slack):
        if not isinstance(target, dict) or set(target) - {"channel", "url"}:
            raise ToolError(
                f"slack[{index}] must be {{channel, url}} (an incoming webhook URL). "
                "Nothing was sent."
            )
        channel, url = str(target.get("channel") or "").strip(), str(target.get("url") or "")
        parts = urlsplit(url.strip())
        if not channel or len(channel) > 80 or not channel.isprintable():
            raise ToolError(f"slack[{index}] needs a channel, e.g. #ops. Nothing was sent.")
        if parts.scheme != "https" or not parts.hostname or not url.isprintable():
            raise ToolError(
                f"slack[{index}].url must be an https webhook URL "
                "(https://hooks.slack.com/services/...). Nothing was sent."
            )
        checked.append({"channel": channel, "url": url.strip()})
    return checked


async def _check_emails(do: DOAccess, emails: list[str]) -> list[str]:
    """The emails, if all are the account's verified one (the only kind the API accepts)."""
    emails = list(dict.fromkeys(str(e).strip() for e in emails))
    malformed = [e for e in emails if not EMAIL.fullmatch(e)]
    if malformed:
        raise ToolError(f"{malformed[0][:80]!r} is not an email address. Nothing was sent.")
    account = (await do.call("account.get", subject="the account"))["account"]
    own = str(account.get("email") or "")
    verified = bool(account.get("email_verified"))
    others = [e for e in emails if e.casefold() != own.casefold()]
    if others or not verified:
        state = "verified" if verified else "NOT verified yet: verify it first"
        which = f"{', '.join(others)} cannot receive alerts: " if others else ""
        raise ToolError(
            f"{which}DigitalOcean sends alert emails only to verified addresses of the account; "
            f"this account's is {own} ({state}). Nothing was sent. Use it, or a Slack webhook "
            "(slack) for other recipients."
        )
    return emails


async def _entities(do: DOAccess, kind: str, entities: list[Any]) -> list[str]:
    """Entities as the API takes them: droplet ids (names resolved, all checked to exist) or
    UUIDs of load balancers, database clusters, autoscale pools."""
    family = _family(kind)
    given = [str(e).strip() for e in entities]
    if family == "resource":  # a type the API added since: sent as given
        return list(dict.fromkeys(given))
    if family != "droplet":
        bad = [e for e in given if not UUID.fullmatch(e)]
        if bad:
            raise ToolError(
                f"{short_type(kind)} takes {family} ids (UUIDs) as entities; {bad[0][:60]!r} "
                "is not one. Nothing was sent."
            )
        return list(dict.fromkeys(e.lower() for e in given))
    droplets = (await do.list_all("droplets.list", "droplets")).items if given else []
    ids: list[str] = []
    problems = []
    for entity in given:
        by_id = [d for d in droplets if str(d.get("id")) == entity]
        same = by_id or [d for d in droplets if d.get("name") == entity]
        if len(same) == 1:
            ids.append(str(same[0].get("id")))
        elif same:
            which = ", ".join(_droplet_label(d) for d in same[:5])
            problems.append(f"{entity!r} is ambiguous ({which}): give the id")
        else:
            problems.append(f"no droplet {entity[:60]!r}")
    if problems:
        raise ToolError(f"{'; '.join(problems)} ({DROPLET_LOOKUP}). Nothing was sent.")
    return list(dict.fromkeys(ids))


AlertUuid = Annotated[str, Field(pattern=UUID_PATTERN, description="Alert policy uuid.")]
TypeText = Annotated[
    str | None,
    Field(
        description="cpu, memory, disk, load_1/5/15, public|private_inbound|outbound_bandwidth, "
        "disk_read/write, lb/..., db/..., autoscale/..., or v1/..."
    ),
]
Compare = Literal["GreaterThan", "LessThan"]
Window = Literal["5m", "10m", "30m", "1h"]
Entities = Annotated[
    list[int | str] | None,
    Field(description="Droplet ids or names (lb/db/autoscale: UUIDs); none, no tags: all."),
]
Tags = Annotated[list[str] | None, Field(description="Droplet tags.")]
Emails = Annotated[list[str] | None, Field(description="Only the account's verified email.")]
Slack = Annotated[
    list[dict[str, Any]] | None, Field(description="[{channel, url}]: incoming webhooks.")
]
PolicyDescription = Annotated[
    str | None, Field(max_length=255, description="Default: the rule, e.g. cpu > 80% for 5m.")
]


def _put_body(policy: dict[str, Any]) -> dict[str, Any]:
    """The whole policy as the API's POST and PUT take it."""
    alerts = policy.get("alerts") if isinstance(policy.get("alerts"), dict) else {}
    slack = [
        {"channel": s.get("channel"), "url": s.get("url")}
        for s in alerts.get("slack") or []
        if isinstance(s, dict)
    ]
    return {
        "type": policy.get("type"),
        "description": str(policy.get("description") or _rule(policy)),
        "compare": policy.get("compare"),
        "value": policy.get("value"),
        "window": policy.get("window"),
        "entities": [str(e) for e in policy.get("entities") or []],
        "tags": [str(t) for t in policy.get("tags") or []],
        "alerts": {"email": list(alerts.get("email") or []), "slack": slack},
        "enabled": bool(policy.get("enabled", True)),
    }


async def _policy_body(
    do: DOAccess, before: dict[str, Any] | None, given: dict[str, Any]
) -> dict[str, Any]:
    """The body to send: ``before`` (None for a create) with the given fields, all checked."""
    policy = dict(before or {})
    if given.get("type") is not None:
        policy["type"] = alert_type(given["type"])
    for key in ("compare", "value", "window", "description", "enabled"):
        if given.get(key) is not None:
            policy[key] = given[key]
    kind = str(policy.get("type") or "")
    stored = before is not None and kind == before.get("type")  # a type newer than this list
    if kind not in ALERT_TYPES and not (stored and kind):
        raise ToolError(f"Unknown alert type {kind[:60]!r}; give type. Nothing was sent.")
    if policy.get("compare") not in COMPARE:
        raise ToolError("compare must be GreaterThan or LessThan. Nothing was sent.")
    if policy.get("window") not in WINDOWS:
        raise ToolError(f"window must be one of {', '.join(WINDOWS)}. Nothing was sent.")
    policy["value"] = _check_value(kind, str(policy["compare"]), policy.get("value"))
    tags = given.get("tags")
    if tags is not None:
        bad = [t for t in tags if not isinstance(t, str) or not TAG.fullmatch(t)]
        if bad:
            raise ToolError(f"Invalid tag {str(bad[0])[:40]!r}. Nothing was sent.")
        policy["tags"] = list(dict.fromkeys(tags))
    alerts = dict(policy.get("alerts") or {})
    if given.get("slack") is not None:
        alerts["slack"] = _check_slack(given["slack"])
    if given.get("emails") is not None:
        alerts["email"] = await _check_emails(do, given["emails"]) if given["emails"] else []
    policy["alerts"] = alerts
    if not (alerts.get("email") or alerts.get("slack")):
        raise ToolError(
            "An alert policy needs at least one target: emails (the account's verified email) "
            "or slack webhooks. Nothing was sent."
        )
    if given.get("entities") is not None:
        policy["entities"] = await _entities(do, kind, given["entities"])
    elif before is not None and given.get("type") is not None:
        old, new = _family(str(before.get("type"))), _family(kind)
        if old != new and policy.get("entities"):
            raise ToolError(
                f"The policy's entities are {old}s; a {short_type(kind)} policy takes {new}s: "
                "give entities too. Nothing was sent."
            )
    return _put_body(policy)


@TOOLSET.tool(Access.READ)
async def alert_policy_list(
    do: DOAccess,
    alert_uuid: Annotated[
        str | None, Field(pattern=UUID_PATTERN, description="Only this policy.")
    ] = None,
    page: PageNumber = 1,
    per_page: PerPage = 50,
) -> ListResult:
    """List alert policies, or one: uuid, rule (e.g. cpu > 80% for 5m), entities, tags,
    targets."""
    if alert_uuid is None:
        found = await fetch_list(
            do,
            "monitoring.list_alert_policy",
            "policies",
            page=page,
            per_page=per_page,
            all_pages=False,
        )
        return list_result(found, policy_view, "alert policies")
    policy = await _get_policy(do, alert_uuid)
    state = "on" if policy.get("enabled") else "off"
    one = ListResult(
        items=[policy_view(policy)], total=1, page=1, per_page=1, has_more=False, next_page=None
    )
    return one.titled(f"Alert policy {alert_uuid}: {_rule(policy)} ({state}).")


def _targets(body: dict[str, Any]) -> str:
    alerts = body["alerts"]
    shown = [*alerts["email"], *(f"slack {s['channel']}" for s in alerts["slack"])]
    family = _family(body["type"])
    scope = [*(f"{family} {e}" for e in body["entities"]), *(f"tag {t}" for t in body["tags"])]
    where = ", ".join(scope) or f"every {_family(body['type'])}"
    return f"on {where}; notifies {', '.join(shown)}"


@TOOLSET.tool(Access.WRITE)
async def alert_policy_set(
    do: DOAccess,
    alert_uuid: Annotated[
        str | None,
        Field(pattern=UUID_PATTERN, description="Change this policy; omit to create one."),
    ] = None,
    type: TypeText = None,
    value: Annotated[float | None, Field(description="Threshold: % (0-100), Mbps, load...")] = None,
    compare: Annotated[Compare | None, Field(description="Default GreaterThan.")] = None,
    window: Annotated[Window | None, Field(description="For how long; default 5m.")] = None,
    entities: Entities = None,
    tags: Tags = None,
    emails: Emails = None,
    slack: Slack = None,
    enabled: Annotated[bool | None, Field(description="Default true; false pauses it.")] = None,
    description: PolicyDescription = None,
) -> ItemResult:
    """Create an alert policy (type, value, a target), e.g. cpu > 80 for 5m on tag web; or
    change one: what is given replaces, the rest stays."""
    given = {
        "type": type,
        "value": value,
        "compare": compare,
        "window": window,
        "entities": entities,
        "tags": tags,
        "emails": emails,
        "slack": slack,
        "enabled": enabled,
        "description": description,
    }
    if alert_uuid is None:
        return await _create_policy(do, given)
    return await _update_policy(do, alert_uuid, given)


async def _create_policy(do: DOAccess, given: dict[str, Any]) -> ItemResult:
    missing = [key for key in ("type", "value") if given[key] is None]
    if missing:
        raise ToolError(
            f"A new alert policy needs {' and '.join(missing)} (e.g. type=cpu value=80); to "
            "change one, give alert_uuid. Nothing was sent."
        )
    defaults = {"compare": "GreaterThan", "window": "5m", "enabled": True}
    given = {key: value for key, value in given.items() if value is not None}
    body = await _policy_body(do, None, {"entities": [], "tags": [], **defaults, **given})
    created = await do.call(
        "monitoring.create_alert_policy",
        body=body,
        subject="alert policy",
        look_for=f"an alert policy {body['description']!r} (alert_policy_list)",
    )
    policy = created["policy"]
    return ItemResult(item=policy_view(policy)).titled(
        f"Created alert policy {policy.get('uuid')}: {_rule(body)} {_targets(body)}."
    )


async def _update_policy(do: DOAccess, alert_uuid: str, given: dict[str, Any]) -> ItemResult:
    if all(value is None for value in given.values()):
        raise ToolError("Give something to change (e.g. value=90). Nothing was sent.")
    before = await _get_policy(do, alert_uuid)
    body = await _policy_body(do, before, given)
    old = _put_body(before)
    if body == old:
        raise ToolError(
            f"Nothing to change: the policy is already {_rule(body)}. Nothing was sent."
        )
    answer = await do.call(
        "monitoring.update_alert_policy",
        alert_uuid=alert_uuid,
        body=body,
        subject=f"alert policy {alert_uuid}",
        lookup_hint=LOOKUP,
    )
    policy = answer.get("policy") if isinstance(answer, dict) else None
    shown = policy_view(policy or body | {"uuid": alert_uuid})
    return ItemResult(item=shown).titled(
        f"Updated alert policy {alert_uuid}: {'; '.join(_changes(old, body))}."
    )


def _changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """``value: 80 -> 90``, ``emails: [...] -> []``, ``slack: [#ops] -> [#ops (new webhook)]``."""
    found = [f"{k}: {old[k]} -> {new[k]}" for k in new if k != "alerts" and old[k] != new[k]]
    before, after = old["alerts"], new["alerts"]
    if before["email"] != after["email"]:
        found.append(f"emails: {before['email']} -> {after['email']}")
    if before["slack"] != after["slack"]:
        hooks = {s["url"] for s in before["slack"]}
        channels = [
            s["channel"] + ("" if s["url"] in hooks else " (new webhook)") for s in after["slack"]
        ]
        found.append(f"slack: {[s['channel'] for s in before['slack']]} -> {channels}")
    return found


async def plan_alert_policy_delete(do: DOAccess, alert_uuid: str, **_: Any) -> Plan:
    if not UUID.fullmatch(str(alert_uuid)):
        raise ToolError(f"alert_uuid must be a policy's uuid ({LOOKUP}).")
    policy = await _get_policy(do, alert_uuid)
    name = str(policy.get("description") or _rule(policy))
    return Plan(
        "delete",
        "delete",
        (Target("alert policy", alert_uuid, name),),
        extra=f"Its rule {_rule(policy)} stops alerting.",
        requests=(("monitoring.delete_alert_policy", {"alert_uuid": alert_uuid}),),
    )


@TOOLSET.tool(Access.DESTRUCTIVE, idempotent=True, plan=plan_alert_policy_delete)
async def alert_policy_delete(
    do: DOAccess, alert_uuid: AlertUuid, plan: Plan | None = None
) -> ItemResult:
    """Delete an alert policy (its alerts stop)."""
    plan = plan or await plan_alert_policy_delete(do, alert_uuid)
    ((operation, request),) = plan.requests
    await do.call(operation, **request, subject=f"alert policy {alert_uuid}", lookup_hint=LOOKUP)
    name = plan.targets[0].name
    return ItemResult(item={"uuid": alert_uuid, "description": name, "deleted": True}).titled(
        f"Alert policy {name} ({alert_uuid}) deleted."
    )
