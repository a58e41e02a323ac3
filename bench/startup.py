"""Spawn to first tools/list answer over stdio: what an MCP host waits for at every start.

Runs `cargoshipper serve --sandbox` five times with a raw JSON-RPC client (legacy handshake:
initialize, initialized, tools/list) and prints each time and the median.
Run: .venv/bin/python bench/startup.py
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

MESSAGES = [
    {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "bench", "version": "1"},
        },
    },
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
]


def first_tool_list() -> tuple[float, int]:
    start = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "cargoshipper", "serve", "--sandbox", "--audit-log", "off"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert server.stdin and server.stdout
    for message in MESSAGES:
        server.stdin.write(json.dumps(message) + "\n")
    server.stdin.flush()
    while True:
        reply = json.loads(server.stdout.readline())
        if reply.get("id") == 2:
            break
    elapsed = time.perf_counter() - start
    server.kill()
    server.wait()
    return elapsed, len(reply["result"]["tools"])


def main() -> None:
    runs = [first_tool_list() for _ in range(5)]
    times = [elapsed for elapsed, _ in runs]
    print("spawn -> first tools/list (s):", ", ".join(f"{t:.3f}" for t in times))
    print(f"median {statistics.median(times):.3f} s, {runs[0][1]} tools")


if __name__ == "__main__":
    main()
