"""Waiting for long operations: poll with backoff, report progress, stop at a timeout."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio

#: ``await progress(done, total, message)``: the MCP progress notification, or nothing.
Progress = Callable[[float, float | None, str | None], Awaitable[None]]

MAX_POLL_INTERVAL = 5.0
QUICK_POLLING = 10.0  # seconds polled at the base interval before backing off


@dataclass
class Waited:
    """How a wait ended: ``done`` is False when the timeout came first."""

    done: bool
    value: dict[str, Any]
    elapsed: float


async def poll_until(
    fetch: Callable[[], Awaitable[dict[str, Any]]],
    is_done: Callable[[dict[str, Any]], bool],
    describe: Callable[[dict[str, Any]], str],
    *,
    timeout: float,
    interval: float,
    progress: Progress | None = None,
) -> Waited:
    """Fetch until ``is_done`` holds or ``timeout`` seconds pass, reporting progress on the way."""
    start = time.monotonic()
    while True:
        value = await fetch()
        elapsed = time.monotonic() - start
        if is_done(value):
            if progress:
                await progress(timeout, timeout, describe(value))
            return Waited(True, value, elapsed)
        if elapsed >= timeout:
            return Waited(False, value, elapsed)
        if progress:
            await progress(min(elapsed, timeout), timeout, f"{describe(value)} ({elapsed:.0f} s)")
        await anyio.sleep(min(interval, max(0.0, timeout - elapsed)))
        if elapsed >= QUICK_POLLING:  # quick at first, when most operations finish
            interval = min(interval * 1.5, max(MAX_POLL_INTERVAL, interval))


def action_finished(action: dict[str, Any]) -> bool:
    return action.get("status") in ("completed", "errored")


def describe_action(action: dict[str, Any]) -> str:
    kind = action.get("type", "action")
    return f"{kind} action {action.get('id')}: {action.get('status', 'unknown')}"
