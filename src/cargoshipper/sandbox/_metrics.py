"""Synthetic Droplet metrics, shaped like DigitalOcean's (Prometheus range queries).

Every value is a pure function of the Droplet (id, size, creation time) and the timestamp: a
daily sine with a per-Droplet phase and level, plus hash noise. The same query always answers the
same numbers and two Droplets differ. Points are ``step`` seconds apart, aligned to multiples of
``step``, and only fall in the Droplet's life (creation to now).

* ``cpu``: per-``mode`` counters (idle, iowait, irq, nice, softirq, steal, system, user) of
  CPU-seconds summed over the vCPUs since boot (the Droplet's creation), as node_exporter counts
  them: at every point the modes add up to ``vcpus * seconds since boot``;
* ``memory_*`` and ``filesystem_*``: bytes; ``load_*``: load averages;
* ``bandwidth``: megabits per second of one interface (public/private) and direction.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass

from ._models import JSON

DAY = 86_400
MIB = 1024**2
GIB = 1024**3
POINTS = 300  # about this many points per series at most
#: CPU modes as the API lists them, and each one's share of the busy time.
CPU_SHARES = {
    "iowait": 0.04,
    "irq": 0.0,
    "nice": 0.05,
    "softirq": 0.02,
    "steal": 0.03,
    "system": 0.24,
    "user": 0.62,
}
FILESYSTEM = {"device": "/dev/vda1", "fstype": "ext4", "mountpoint": "/"}
#: Typical megabits per second of (interface, direction) at the daily peak, per Droplet scale.
BANDWIDTH = {
    ("public", "inbound"): 0.4,
    ("public", "outbound"): 1.2,
    ("private", "inbound"): 0.15,
    ("private", "outbound"): 0.1,
}
_OMEGA = 2 * math.pi / DAY


@dataclass(frozen=True)
class Host:
    """What the metrics of one Droplet depend on."""

    id: int
    vcpus: int
    memory_mib: int
    disk_gib: int
    boot: int  # unix seconds of its creation

    @property
    def labels(self) -> dict[str, str]:
        return {"host_id": str(self.id)}


def step_for(start: int, end: int) -> int:
    """Seconds between points: a whole number of minutes, at least 1, for about ``POINTS``."""
    return 60 * max(1, math.ceil((end - start) / POINTS / 60))


def timestamps(host: Host, start: int, end: int, now: int) -> list[int]:
    """The points of a window: multiples of its step within [start, end] and the host's life."""
    step = step_for(start, end)
    low, high = max(start, host.boot), min(end, now)
    first = -(-low // step) * step
    return list(range(first, high + 1, step))


# -- building blocks ---------------------------------------------------------------------------


def _unit(host: Host, name: str, ts: int = 0) -> float:
    """A uniform number in [0, 1), fixed for (host, name, ts)."""
    digest = hashlib.blake2b(f"{host.id}/{name}/{ts}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _phase(host: Host, name: str) -> float:
    return 2 * math.pi * _unit(host, name)


def _wave(host: Host, name: str, ts: int) -> float:
    """A daily sine between 0 and 1 with the host's phase."""
    return 0.5 + 0.5 * math.sin(_OMEGA * ts + _phase(host, name))


def _number(value: float, digits: int = 2) -> str:
    """A sample value as the API writes it: a string, without trailing zeros."""
    text = f"{round(value, digits):.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _busy_level(host: Host) -> tuple[float, float]:
    """(mean, amplitude) of the share of CPU time the host is busy."""
    mean = 0.04 + 0.16 * _unit(host, "cpu-level")
    return mean, 0.6 * mean


def busy(host: Host, ts: int) -> float:
    """The share of CPU time busy at ``ts`` (between 0.016 and 0.32)."""
    mean, amplitude = _busy_level(host)
    return mean + amplitude * math.sin(_OMEGA * ts + _phase(host, "cpu"))


def _busy_seconds(host: Host, ts: int) -> float:
    """CPU-seconds of one vCPU busy since boot: the integral of ``busy``."""
    mean, amplitude = _busy_level(host)
    phase = _phase(host, "cpu")

    def antiderivative(t: int) -> float:
        return mean * t - amplitude / _OMEGA * math.cos(_OMEGA * t + phase)

    return antiderivative(ts) - antiderivative(host.boot)


# -- series ------------------------------------------------------------------------------------

Series = list[JSON]  # [{"metric": {...labels...}, "values": [[ts, "value"], ...]}]


def _series(labels: dict[str, str], points: list[int], value: Callable[[int], str]) -> JSON:
    return {"metric": labels, "values": [[ts, value(ts)] for ts in points]}


def cpu(host: Host, points: list[int]) -> Series:
    def counter(mode: str) -> Callable[[int], str]:
        def value(ts: int) -> str:
            busy_seconds = _busy_seconds(host, ts)
            if mode == "idle":
                return _number(host.vcpus * (ts - host.boot - busy_seconds))
            return _number(host.vcpus * CPU_SHARES[mode] * busy_seconds)

        return value

    modes = sorted(["idle", *CPU_SHARES])
    return [_series({**host.labels, "mode": mode}, points, counter(mode)) for mode in modes]


def memory_total(host: Host) -> int:
    """MemTotal: the size's memory less what the kernel keeps, in whole pages."""
    return int(host.memory_mib * MIB * 0.96) // 4096 * 4096


def _memory(host: Host, ts: int) -> dict[str, float]:
    total = memory_total(host)
    used = 0.15 + 0.35 * _unit(host, "memory") + 0.15 * _wave(host, "memory", ts)
    available = total * (1 - used - 0.03 * _unit(host, "memory-noise", ts))
    cached = min(total * (0.1 + 0.15 * _wave(host, "cache", ts)), 0.8 * available)
    return {
        "total": total,
        "available": available,
        "cached": cached,
        "free": available - 0.85 * cached,
    }


def memory(host: Host, points: list[int], kind: str) -> Series:
    """``kind``: total, available, cached or free."""
    return [_series(host.labels, points, lambda ts: str(int(_memory(host, ts)[kind])))]


def load(host: Host, points: list[int], minutes: int) -> Series:
    """The ``minutes`` (1, 5, 15) load average: the busy vCPUs, smoother for longer averages."""
    jitter = {1: 0.4, 5: 0.2, 15: 0.05}[minutes]

    def value(ts: int) -> str:
        noise = 1 + jitter * (2 * _unit(host, f"load-{minutes}", ts) - 1)
        return _number(host.vcpus * busy(host, ts) * noise)

    return [_series(host.labels, points, value)]


def filesystem_size(host: Host) -> int:
    """The root filesystem's size: the disk less ext4's overhead, in whole blocks."""
    return int(host.disk_gib * GIB * 0.97) // 4096 * 4096


def filesystem(host: Host, points: list[int], kind: str) -> Series:
    """``kind``: size or free, of the root filesystem."""
    size = filesystem_size(host)

    def value(ts: int) -> str:
        if kind == "size":
            return str(size)
        used = 0.12 + 0.3 * _unit(host, "disk") + 0.02 * _wave(host, "disk", ts)
        return str(int(size * (1 - used)) // 4096 * 4096)

    return [_series({**FILESYSTEM, **host.labels}, points, value)]


def bandwidth(host: Host, points: list[int], interface: str, direction: str) -> Series:
    """Megabits per second through one interface, in one direction."""
    peak = BANDWIDTH[interface, direction] * (0.2 + 1.6 * _unit(host, f"bw-{interface}"))
    name = f"bw-{interface}-{direction}"

    def value(ts: int) -> str:
        noise = 0.7 + 0.6 * _unit(host, name, ts)
        return _number(peak * (0.1 + 0.9 * _wave(host, name, ts)) * noise, 6)

    labels = {"direction": direction, **host.labels, "interface": interface}
    return [_series(labels, points, value)]
