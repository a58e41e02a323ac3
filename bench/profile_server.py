"""Where one CargoShipper HTTP server process spends its CPU on droplet_get calls.

Two runs against the sandbox (own process, TCP_NODELAY, high rate limit; see throughput.py),
each with ``--clients`` raw JSON-RPC clients (2025-11-25 sessions) calling droplet_get for
``--seconds``:

1. No profiler: CPU per call of each thread of the server (/proc/<pid>/task/<tid>/stat), i.e.
   the event loop (MCP, Starlette, uvicorn, pydantic) against the worker threads (pydo,
   azure-core, requests).
2. cProfile in every thread of the server (the main thread and, through threading.setprofile,
   each worker thread as it starts), timed with time.thread_time (CPU, not waiting), reset
   after a 2 s warm-up (SIGUSR1) and merged at exit: the top functions by own and cumulative
   CPU time, per tool call. cProfile slows Python code down (several times with this timer),
   so read its numbers as shares, not as absolute costs.

Run: .venv/bin/python bench/profile_server.py [--seconds 8] [--clients 10] [--top 30]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pstats
import signal
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import throughput as tp

PROFILED_BOOT = """
import cProfile, signal, sys, threading, time
from cargoshipper import cli

profilers = []

def _profile_this_thread(frame, event, arg):  # each new thread: its own CPU-time profiler
    sys.setprofile(None)
    profiler = cProfile.Profile(time.thread_time)
    profilers.append(profiler)
    profiler.enable()

out = sys.argv[1]
threading.setprofile(_profile_this_thread)
main_profiler = cProfile.Profile(time.thread_time)
profilers.append(main_profiler)
signal.signal(signal.SIGUSR1, lambda *_: [p.clear() for p in profilers])  # warm-up done
main_profiler.enable()
try:
    cli.main(sys.argv[2:])
finally:
    main_profiler.disable()
    import pstats
    stats = pstats.Stats(main_profiler)
    for profiler in profilers[1:]:
        try:
            stats.add(profiler)
        except TypeError:  # a thread that ended before the warm-up did (pydo's preload)
            pass
    stats.dump_stats(out)
"""


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds per thread name (comm) of process ``pid``, threads of one name summed."""
    found: dict[str, float] = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat", "rb") as stat:
                raw = stat.read()
        except OSError:
            continue
        name = raw[raw.index(b"(") + 1 : raw.rindex(b")")].decode(errors="replace")
        name = "event loop (main)" if tid == str(pid) else f"thread {name}"
        fields = raw.rsplit(b")", 1)[1].split()
        found[name] = found.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tp.CLOCK_TICK
    return found


async def drive(port: int, clients: int, seconds: float) -> int:
    """``clients`` sessions calling droplet_get for ``seconds``; returns the calls made."""
    kind = tp.SERVERS["cargoshipper"]
    loop = asyncio.get_running_loop()
    calls = 0
    until = loop.time() + seconds

    async def one() -> None:
        nonlocal calls
        client = tp.McpClient(port, kind, "raw", modern=False)
        try:
            await client.initialize()
            while loop.time() < until:
                await client.call()
                calls += 1
        finally:
            await client.close()

    await asyncio.gather(*(one() for _ in range(clients)))
    return calls


async def warm(port: int) -> int:
    return await drive(port, 1, 0.5)


async def by_thread(procs: tp.Processes, api_url: str, args: argparse.Namespace) -> None:
    server, port, _ = tp.start_server(procs, tp.SERVERS["cargoshipper"], api_url)
    await warm(port)
    before = thread_cpu(server.pid)
    calls = await drive(port, args.clients, args.seconds)
    after = thread_cpu(server.pid)
    procs.stop(server)
    print(
        f"1. no profiler: {calls} calls in {args.seconds:g} s ({calls / args.seconds:.0f}/s), "
        f"{args.clients} clients; server CPU per call by thread:"
    )
    total = 0.0
    for name in sorted(after, key=lambda n: after[n] - before.get(n, 0.0), reverse=True):
        used = after[name] - before.get(name, 0.0)
        total += used
        if used > 0:
            print(f"   {name:<28} {used / calls * 1e3:6.2f} ms")
    print(f"   {'total':<28} {total / calls * 1e3:6.2f} ms\n")


async def profiled(procs: tp.Processes, api_url: str, args: argparse.Namespace) -> None:
    out = Path(procs.log_dir) / "server.prof"
    env = {**tp.clean_env(), "DIGITALOCEAN_TOKEN": tp.TOKEN, "DIGITALOCEAN_API_URL": api_url}
    port = tp.free_port()
    argv = [
        sys.executable,
        "-c",
        PROFILED_BOOT,
        str(out),
        "serve",
        "--transport",
        "http",
        "--port",
        str(port),
        "--audit-log",
        "off",
    ]
    server = procs.start("profiled", argv, env)
    tp.wait_listening(server, port)
    await drive(port, args.clients, 2.0)  # warm-up: imports, pydo client, threads, sessions
    os.kill(server.pid, signal.SIGUSR1)  # the profilers start afresh
    await asyncio.sleep(0.2)
    calls = await drive(port, args.clients, args.seconds)
    os.kill(server.pid, signal.SIGINT)  # uvicorn shuts down; the boot code writes the stats
    server.wait(timeout=30)
    procs.stop(server)
    stats = pstats.Stats(str(out))
    total_calls = calls
    print(
        f"2. cProfile (CPU time of each thread), all threads, after a 2 s warm-up: {calls} calls "
        f"in {args.seconds:g} s, {args.clients} clients"
    )
    rows = []
    entries = stats.stats.items()  # type: ignore[attr-defined]
    for (filename, line, function), (_cc, ncalls, tottime, cumtime, _callers) in entries:
        rows.append((tottime, cumtime, ncalls, _short(filename), line, function))
    for title, key in (("own time", 0), ("cumulative time", 1)):
        print(f"\n   top {args.top} by {title}, ms per tool call (profiled):")
        print(f"   {'own':>7} {'cum':>7} {'n/call':>7}  function")
        for tottime, cumtime, ncalls, filename, line, function in sorted(
            rows, key=lambda r: r[key], reverse=True
        )[: args.top]:
            print(
                f"   {tottime / total_calls * 1e3:7.3f} {cumtime / total_calls * 1e3:7.3f} "
                f"{ncalls / total_calls:7.1f}  {filename}:{line} {function}"
            )
    print(f"\n   full profile: {out} (python -m pstats {out})")


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/src/", "/lib/python3"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


async def run(args: argparse.Namespace, procs: tp.Processes) -> None:
    _sandbox, api_url = tp.start_sandbox(procs, stock=False)
    await by_thread(procs, api_url, args)
    await profiled(procs, api_url, args)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, tp._interrupt)
    procs = tp.Processes(Path(tempfile.mkdtemp(prefix="bench-profile-")))
    try:
        asyncio.run(run(args, procs))
    except KeyboardInterrupt:
        return 130
    finally:
        procs.stop_all()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
