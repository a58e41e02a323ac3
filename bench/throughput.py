"""Throughput of CargoShipper vs the official DigitalOcean MCP server, against one fake API.

Both servers run over Streamable HTTP against the SAME loopback sandbox (its own process, rate
limit raised to 10,000,000 an hour). N concurrent MCP clients (default 1, 10, 50) each call the
droplet-get tool in a loop: a warm-up, then ``--seconds`` measured. Printed per server and client
count: calls/s, p50 and p99 latency, errors, and CPU per call of the server, the sandbox and
this load generator (from /proc/<pid>/stat, utime + stime). Then the ratio CargoShipper/official,
CargoShipper's CPU per call against its target (<= 1 ms), two CargoShipper replicas against one
(target >= 1.6x), and the first call after a start (cold, and 1 s after the start)
against a warm one.

Servers:
  official      @digitalocean/mcp (npm, Go): ``--transport http --bind-addr 127.0.0.1:PORT
                --digitalocean-api-endpoint SANDBOX --services droplets``; tool ``droplet-get``
                {"ID": id}. npx resolves the package; its Go binary is then run directly (no
                node wrapper in the process tree or the CPU count).
  cargoshipper  ``python -m cargoshipper serve --transport http --port PORT --audit-log off``
                with DIGITALOCEAN_TOKEN + DIGITALOCEAN_API_URL; tool ``droplet_get``
                {"droplet_id": id}.

Clients: raw JSON-RPC over HTTP/1.1 keep-alive, one connection per MCP client, all in this
process on asyncio (``--client raw``, the default: ~0.2 ms of client CPU per call, so the
servers are measured, not the client). ``--client httpx2`` uses one httpx2.AsyncClient per MCP
client instead (~0.8-1.4 ms of client CPU per call: on 2 cores it then caps the official
server's rate). Both speak the 2025-11-25 protocol that both servers answer (initialize,
notifications/initialized, then tools/call with the Mcp-Session-Id the server gave, if any);
``--modern`` adds CargoShipper rows on the sessionless 2026-07-28 protocol.

The sandbox is a thread-per-connection stdlib server. Three of its settings would measure the
sandbox rather than the servers, so by default this benchmark changes them in its process
(``--stock-sandbox`` keeps them):
  - TCP_NODELAY (``_Handler.disable_nagle_algorithm``): it writes an answer's headers and body
    in two sends, so a client that keeps the connection alive (pydo does) otherwise waits ~40 ms
    per call for a delayed ACK;
  - idle keep-alive timeout 5 s, not 120 s (``_Handler.timeout``): the official server opens a
    new upstream connection per call and leaves the old one open, so the sandbox otherwise
    holds a thread and a file descriptor per call and stops accepting at the fd limit (20,000
    here) after ~20 s at 1,000 calls/s;
  - listen backlog 1,024, not 5 (``_Server.request_queue_size``): 50 clients connecting at once
    otherwise overflow it, and a dropped SYN costs 1 s.
After each server stops, the run waits (up to 15 s) for the sandbox's open connections to close.

Everything shares 2 cores, so each row also shows the CPU the rest of the machine used in its
window ("other load"); a warning names the disturbed rows, and ``--wait-quiet SECONDS`` waits
before each cell for the machine to be quiet (other sessions' test suites run here too).

Every process started here runs in its own process group, is told to stop if this one dies
(PR_SET_PDEATHSIG) and is stopped (SIGTERM, then SIGKILL) on exit, Ctrl-C or SIGTERM.

Run: .venv/bin/python bench/throughput.py             (full: 10 s per cell, ~4 min)
     .venv/bin/python bench/throughput.py --quick     (2 s per cell, ~80 s)
     .venv/bin/python bench/throughput.py --modern --wait-quiet 60    (+ 2026-07-28 rows, ~5 min)
     .venv/bin/python bench/throughput.py --seconds 5 --clients 1,10,50 --servers cargoshipper
Where CargoShipper's CPU goes: bench/profile_server.py.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OFFICIAL_PACKAGE = "@digitalocean/mcp@1.0.70"
PROTOCOL = "2025-11-25"
MODERN_PROTOCOL = "2026-07-28"
BUSY_WARNING = 20.0  # % of the machine used by other processes during a cell
TOKEN = "sandbox-token"
DROPLET_ID = 501000101  # in the sandbox's seeded demo account
CLOCK_TICK = os.sysconf("SC_CLK_TCK")
REQUEST_TIMEOUT = 30.0

SANDBOX_BOOT = """
import sys
from cargoshipper.sandbox import _server
if sys.argv[3] == "nodelay":
    _server._Handler.disable_nagle_algorithm = True  # one send per answer, as a real API
    _server._Handler.timeout = 5  # idle keep-alive connections closed after 5 s, not 120 s
    _server._Server.request_queue_size = 1024  # listen backlog, not 5
from cargoshipper.sandbox.__main__ import main
raise SystemExit(main(["--port", sys.argv[1], "--rate-limit", sys.argv[2]]))
"""


# -- processes -------------------------------------------------------------------------------


try:
    _PRCTL = ctypes.CDLL(None, use_errno=True).prctl  # loaded here: no dlopen after a fork
except (OSError, AttributeError):
    _PRCTL = None


def _die_with_parent() -> None:
    """preexec_fn: SIGTERM this child if the benchmark dies, even by SIGKILL (Linux)."""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Processes:
    """Every process this benchmark starts; ``stop_all`` ends them, and their process groups."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.running: list[subprocess.Popen[bytes]] = []
        self.count = 0

    def start(self, name: str, argv: Sequence[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        self.count += 1
        log = open(self.log_dir / f"{self.count:02d}-{name}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            list(argv),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: children (npx -> node -> go) stop with it
            preexec_fn=_die_with_parent,
        )
        log.close()
        proc.log_path = log.name  # type: ignore[attr-defined]
        self.running.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[bytes]) -> None:
        if proc in self.running:
            self.running.remove(proc)
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # anything its children left in the group

    def stop_all(self) -> None:
        for proc in reversed(list(self.running)):
            self.stop(proc)


def settle(sandbox: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """Wait for the sandbox to close the connections a stopped server left open."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if len(os.listdir(f"/proc/{sandbox.pid}/fd")) < 64:
                return
        except OSError:
            return
        time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_listening(proc: subprocess.Popen[bytes], port: int, timeout: float = 60.0) -> float:
    """Seconds until ``port`` accepts a connection; raises if the process exits first."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if proc.poll() is not None:
            log = Path(proc.log_path).read_text(errors="replace")[-2000:]  # type: ignore[attr-defined]
            raise RuntimeError(f"{proc.args[:3]} exited with {proc.returncode}:\n{log}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return time.perf_counter() - start
        time.sleep(0.005)
    raise RuntimeError(f"nothing listens on port {port} after {timeout:.0f} s")


def group_cpu(pgid: int) -> float:
    """CPU seconds (user + system) of the live processes in process group ``pgid``."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # after "pid (comm)": state ppid pgrp ... utime(11) stime(12)
            total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICK


def machine_busy() -> float:
    """CPU seconds all cores spent busy since boot (/proc/stat: all but idle and iowait)."""
    with open("/proc/stat") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:]]
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / CLOCK_TICK


def self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def clean_env() -> dict[str, str]:
    """This environment without any DigitalOcean or CargoShipper setting (no real token leaks
    into the benchmark, no local option changes what is measured)."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DIGITALOCEAN_", "CARGOSHIPPER_"))
    }


@dataclass
class ServerKind:
    name: str
    tool: str
    arguments: dict[str, Any]
    start: Callable[[Processes, str, int], subprocess.Popen[bytes]]


def start_sandbox(procs: Processes, stock: bool) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    mode = "stock" if stock else "nodelay"
    argv = [sys.executable, "-c", SANDBOX_BOOT, str(port), "10000000", mode]
    proc = procs.start("sandbox", argv, clean_env())
    wait_listening(proc, port)
    return proc, f"http://127.0.0.1:{port}"


def start_cargoshipper(procs: Processes, api_url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**clean_env(), "DIGITALOCEAN_TOKEN": TOKEN, "DIGITALOCEAN_API_URL": api_url}
    argv = [sys.executable, "-m", "cargoshipper", "serve", "--transport", "http"]
    return procs.start("cargoshipper", [*argv, "--port", str(port), "--audit-log", "off"], env)


_official_binary: list[str] = []


def official_command() -> list[str]:
    """The official server's Go binary, as npx unpacked it (its --help names it), else npx."""
    if not _official_binary:
        npx = shutil.which("npx")
        if npx is None:
            raise RuntimeError("npx is not installed: the official server comes from npm")
        out = subprocess.run(
            [npx, "-y", OFFICIAL_PACKAGE, "--help"],
            capture_output=True,
            text=True,
            timeout=300,
            env=clean_env(),
        )
        found = re.search(r"Usage of (\S+mcp-digitalocean\S*):", out.stdout + out.stderr)
        if found and os.access(found.group(1), os.X_OK):
            _official_binary.append(found.group(1))
        else:
            _official_binary.extend([npx, "-y", OFFICIAL_PACKAGE])
    return list(_official_binary)


def start_official(procs: Processes, api_url: str, port: int) -> subprocess.Popen[bytes]:
    argv = [
        *official_command(),
        "--transport",
        "http",
        "--bind-addr",
        f"127.0.0.1:{port}",
        "--digitalocean-api-endpoint",
        api_url,
        "--services",
        "droplets",
    ]
    return procs.start("official", argv, {**clean_env(), "DIGITALOCEAN_API_TOKEN": TOKEN})


SERVERS = {
    "official": ServerKind("official", "droplet-get", {"ID": DROPLET_ID}, start_official),
    "cargoshipper": ServerKind(
        "cargoshipper", "droplet_get", {"droplet_id": DROPLET_ID}, start_cargoshipper
    ),
}
OURS = ("cargoshipper",)


# -- clients ---------------------------------------------------------------------------------


class CallFailed(Exception):
    pass


class RawConnection:
    """HTTP/1.1 over one keep-alive connection: the least client work per request."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            sock = self.writer.get_extra_info("socket")
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        assert self.reader is not None
        head = [f"{method} /mcp HTTP/1.1", f"Host: 127.0.0.1:{self.port}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        head.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        status_line = await self.reader.readline()
        if not status_line:
            await self.close()
            raise CallFailed("connection closed")
        status = int(status_line.split()[1])
        answer: dict[str, str] = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            answer[name.strip().lower()] = value.strip()
        if answer.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while size := int((await self.reader.readline()).split(b";")[0], 16):
                chunks.append(await self.reader.readexactly(size))
                await self.reader.readline()
            await self.reader.readline()  # the blank line after the last chunk
            data = b"".join(chunks)
        elif "content-length" in answer:
            data = await self.reader.readexactly(int(answer["content-length"]))
        else:
            data = await self.reader.read()
            await self.close()
        if answer.get("connection", "").lower() == "close":
            await self.close()
        return status, answer, data

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None


class HttpxConnection:
    """The same requests through one httpx2.AsyncClient (one connection)."""

    def __init__(self, port: int) -> None:
        import httpx2

        self.url = f"http://127.0.0.1:{port}/mcp"
        self.client = httpx2.AsyncClient(
            limits=httpx2.Limits(max_connections=1), timeout=REQUEST_TIMEOUT
        )

    async def request(
        self, method: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        response = await self.client.request(method, self.url, headers=headers, content=body)
        return response.status_code, dict(response.headers), response.content

    async def close(self) -> None:
        await self.client.aclose()


def json_rpc_reply(headers: dict[str, str], body: bytes, wanted_id: int) -> dict[str, Any]:
    """The JSON-RPC answer to ``wanted_id`` from a JSON or an SSE (``data:``) body."""
    if headers.get("content-type", "").startswith("text/event-stream"):
        for line in body.split(b"\n"):
            if line.startswith(b"data:"):
                message = json.loads(line[5:])
                if message.get("id") == wanted_id:
                    return message
        raise CallFailed(f"no answer to id {wanted_id} in the event stream")
    return json.loads(body)


class McpClient:
    """One MCP client: a session (2025-11-25) or none (2026-07-28), calling one tool."""

    def __init__(self, port: int, kind: ServerKind, transport: str, modern: bool) -> None:
        self.connection = (HttpxConnection if transport == "httpx2" else RawConnection)(port)
        self.kind = kind
        self.modern = modern
        self.session: str | None = None
        self.next_id = 0
        self.headers = {
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
            "Authorization": f"Bearer {TOKEN}",
            "MCP-Protocol-Version": MODERN_PROTOCOL if modern else PROTOCOL,
        }
        params: dict[str, Any] = {"name": kind.tool, "arguments": kind.arguments}
        if modern:
            self.headers |= {"Mcp-Method": "tools/call", "Mcp-Name": kind.tool}
            params["_meta"] = {
                "io.modelcontextprotocol/protocolVersion": MODERN_PROTOCOL,
                "io.modelcontextprotocol/clientCapabilities": {},
            }
        self.call_params = params

    async def send(self, message: dict[str, Any], method: str = "POST") -> dict[str, Any] | None:
        headers = dict(self.headers)
        if self.session:
            headers["Mcp-Session-Id"] = self.session
        body = json.dumps(message, separators=(",", ":")).encode() if message else b""
        status, answer, data = await asyncio.wait_for(
            self.connection.request(method, headers, body), REQUEST_TIMEOUT
        )
        if "id" not in message:
            if status >= 400:
                raise CallFailed(f"HTTP {status} to {message.get('method') or method}")
            return None
        if status != 200:
            raise CallFailed(f"HTTP {status}: {data[:200]!r}")
        if "mcp-session-id" in answer:
            self.session = answer["mcp-session-id"]
        reply = json_rpc_reply(answer, data, message["id"])
        if "error" in reply:
            raise CallFailed(f"JSON-RPC error {reply['error']}")
        return reply["result"]

    def _request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self.next_id += 1
        return {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}

    async def initialize(self) -> None:
        if self.modern:
            return
        self.session = None
        await self.send(
            self._request(
                "initialize",
                {
                    "protocolVersion": PROTOCOL,
                    "capabilities": {},
                    "clientInfo": {"name": "bench-throughput", "version": "1"},
                },
            )
        )
        await self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    async def call(self) -> None:
        result = await self.send(self._request("tools/call", self.call_params))
        assert result is not None
        if result.get("isError"):
            raise CallFailed(f"tool error: {json.dumps(result)[:300]}")
        text = "".join(block.get("text", "") for block in result.get("content", []))
        if str(DROPLET_ID) not in text:
            raise CallFailed(f"no droplet {DROPLET_ID} in the answer: {text[:200]}")

    async def close(self) -> None:
        if self.session:  # end the legacy session, as a client that is done does
            with contextlib.suppress(Exception):
                await self.send({}, method="DELETE")
        await self.connection.close()


# -- measuring -------------------------------------------------------------------------------


@dataclass
class Cell:
    label: str
    clients: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    server_cpu: float = 0.0
    sandbox_cpu: float = 0.0
    client_cpu: float = 0.0
    other_cpu: float = 0.0  # busy CPU of every other process on the machine, in the window

    @property
    def calls(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e3

    @property
    def other_load(self) -> float:
        """Other processes' share of the machine during the window, in % of all cores."""
        return 100 * self.other_cpu / (self.seconds * (os.cpu_count() or 1)) if self.seconds else 0

    def per_call(self, cpu: float) -> float:
        return cpu / self.calls * 1e3 if self.calls else float("nan")


QUIET = {"wait": 0.0}  # --wait-quiet: seconds a cell may wait for the machine to be quiet


async def wait_quiet() -> None:
    """Before a cell (our processes idle): wait, up to --wait-quiet seconds, until the machine's
    busy CPU over 1 s is under BUSY_WARNING % (other sessions' builds and tests)."""
    deadline = time.monotonic() + QUIET["wait"]
    while time.monotonic() < deadline:
        before = machine_busy()
        await asyncio.sleep(1.0)
        if 100 * (machine_busy() - before) / (os.cpu_count() or 1) < BUSY_WARNING:
            return


async def run_cell(
    label: str,
    kind: ServerKind,
    ports: Sequence[int],
    server_groups: Sequence[int],
    sandbox_group: int,
    clients: int,
    warmup: float,
    seconds: float,
    transport: str,
    modern: bool = False,
) -> Cell:
    """``clients`` MCP clients (spread over ``ports``) call in a loop; measure ``seconds``
    after ``warmup``."""
    await wait_quiet()
    cell = Cell(label, clients)
    loop = asyncio.get_running_loop()
    window = {"from": float("inf"), "until": float("inf")}
    stop = asyncio.Event()
    settled = 0
    all_settled = asyncio.Event()
    failures = (CallFailed, OSError, asyncio.TimeoutError, ValueError)

    async def start(client: McpClient) -> bool:
        """initialize and a first call (a cold server's is slow), before the warm-up."""
        nonlocal settled
        try:
            for attempt in range(3):
                try:
                    await client.initialize()
                    await client.call()
                    return True
                except failures as error:
                    cell.errors.append(f"start, try {attempt + 1}: {type(error).__name__} {error}")
                    await client.connection.close()
                    await asyncio.sleep(0.2)
            return False
        finally:
            settled += 1
            if settled == clients:
                all_settled.set()

    async def client_loop(index: int) -> None:
        client = McpClient(ports[index % len(ports)], kind, transport, modern)
        try:
            if not await start(client):
                return
            while not stop.is_set():
                began = loop.time()
                try:
                    await client.call()
                except failures as error:
                    if window["from"] <= loop.time() <= window["until"]:
                        cell.errors.append(f"call: {type(error).__name__} {error}")
                    await client.connection.close()
                    await asyncio.sleep(0.05)
                    with contextlib.suppress(Exception):
                        await client.initialize()
                    continue
                ended = loop.time()
                if began >= window["from"] and ended <= window["until"]:
                    cell.latencies.append(ended - began)
        finally:
            await client.close()

    tasks = [asyncio.create_task(client_loop(i)) for i in range(clients)]
    try:
        await all_settled.wait()  # each client started, or gave up after 3 tries
        await asyncio.sleep(warmup)
        server_before = sum(group_cpu(group) for group in server_groups)
        sandbox_before, client_before = group_cpu(sandbox_group), self_cpu()
        busy_before = machine_busy()
        window["from"] = loop.time()
        window["until"] = window["from"] + seconds
        await asyncio.sleep(seconds)
        cell.seconds = loop.time() - window["from"]
        cell.server_cpu = sum(group_cpu(group) for group in server_groups) - server_before
        cell.sandbox_cpu = group_cpu(sandbox_group) - sandbox_before
        cell.client_cpu = self_cpu() - client_before
        ours = cell.server_cpu + cell.sandbox_cpu + cell.client_cpu
        cell.other_cpu = max(0.0, machine_busy() - busy_before - ours)
    finally:
        stop.set()
        done, pending = await asyncio.wait(tasks, timeout=REQUEST_TIMEOUT + 5)
        for task in pending:
            task.cancel()
        for task in done:
            if task.exception() is not None and not cell.errors:
                cell.errors.append(repr(task.exception()))
    return cell


@dataclass
class ColdStart:
    label: str
    listening: list[float] = field(default_factory=list)
    initialize: list[float] = field(default_factory=list)
    first_call: list[float] = field(default_factory=list)
    warm_call: list[float] = field(default_factory=list)
    new_session_first_call: list[float] = field(default_factory=list)
    first_call_after_1s: list[float] = field(default_factory=list)


async def measure_settled(kind: ServerKind, port: int, cold: ColdStart, transport: str) -> None:
    """The first call of a server started 1 s before: as a host makes it, after the model's
    first turn (CargoShipper loads pydo in the background meanwhile)."""
    await asyncio.sleep(1.0)
    loop = asyncio.get_running_loop()
    client = McpClient(port, kind, transport, modern=False)
    try:
        await client.initialize()
        began = loop.time()
        await client.call()
        cold.first_call_after_1s.append(loop.time() - began)
    finally:
        await client.close()


async def measure_cold(kind: ServerKind, port: int, cold: ColdStart, transport: str) -> None:
    """First call of a just-started server, then warm calls, then a second session's first."""
    loop = asyncio.get_running_loop()
    client = McpClient(port, kind, transport, modern=False)
    try:
        began = loop.time()
        await client.initialize()
        cold.initialize.append(loop.time() - began)
        began = loop.time()
        await client.call()
        cold.first_call.append(loop.time() - began)
        warm = []
        for _ in range(20):
            began = loop.time()
            await client.call()
            warm.append(loop.time() - began)
        cold.warm_call.append(statistics.median(warm))
    finally:
        await client.close()
    second = McpClient(port, kind, transport, modern=False)
    try:
        await second.initialize()
        began = loop.time()
        await second.call()
        cold.new_session_first_call.append(loop.time() - began)
    finally:
        await second.close()


# -- the run ---------------------------------------------------------------------------------


def start_server(
    procs: Processes, kind: ServerKind, api_url: str
) -> tuple[subprocess.Popen[bytes], int, float]:
    port = free_port()
    began = time.perf_counter()
    proc = kind.start(procs, api_url, port)
    wait_listening(proc, port)
    return proc, port, time.perf_counter() - began


def row(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(
        text.ljust(width) if i == 0 else text.rjust(width)
        for i, (text, width) in enumerate(zip(cells, widths, strict=True))
    )


HEADER = [
    "server",
    "clients",
    "calls/s",
    "p50 ms",
    "p99 ms",
    "errors",
    "srv CPU ms/call",
    "sandbox ms/call",
    "client ms/call",
    "other load",
]
WIDTHS = [24, 7, 8, 7, 7, 6, 15, 15, 14, 10]


PRINTED: list[Cell] = []


def print_cell(cell: Cell) -> None:
    PRINTED.append(cell)
    print(
        row(
            [
                cell.label,
                str(cell.clients),
                f"{cell.rate:.0f}",
                f"{cell.percentile(0.50):.1f}",
                f"{cell.percentile(0.99):.1f}",
                str(len(cell.errors)),
                f"{cell.per_call(cell.server_cpu):.2f}",
                f"{cell.per_call(cell.sandbox_cpu):.2f}",
                f"{cell.per_call(cell.client_cpu):.2f}",
                f"{cell.other_load:.0f}%",
            ],
            WIDTHS,
        ),
        flush=True,
    )
    if cell.errors:
        print(f"    first error: {cell.errors[0][:300]}", flush=True)


def versions() -> str:
    from importlib.metadata import version

    found = []
    for package in ("cargoshipper", "mcp", "pydo"):
        with contextlib.suppress(Exception):
            found.append(f"{package} {version(package)}")
    return ", ".join(found)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, help="measured per cell (10; --quick 2)")
    parser.add_argument("--warmup", type=float, help="unmeasured first (2; --quick 1)")
    parser.add_argument("--clients", default="1,10,50", help="client counts (1,10,50)")
    parser.add_argument(
        "--servers",
        default="official,cargoshipper",
        help="which, in order (official, cargoshipper)",
    )
    parser.add_argument(
        "--client",
        choices=("raw", "httpx2"),
        default="raw",
        dest="transport",
        help="raw: hand-written HTTP/1.1 (default, least client CPU); httpx2: httpx2.AsyncClient",
    )
    parser.add_argument("--modern", action="store_true", help="add CargoShipper 2026-07-28 rows")
    parser.add_argument("--no-replicas", action="store_true", help="skip 2 replicas vs 1")
    parser.add_argument("--cold-runs", type=int, help="fresh starts per server (3; --quick 1)")
    parser.add_argument(
        "--stock-sandbox",
        action="store_true",
        help="the sandbox as shipped: no TCP_NODELAY, 120 s keep-alive, listen backlog 5",
    )
    parser.add_argument("--quick", action="store_true", help="2 s per cell, 1 s warm-up, 1 cold")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help=f"before each cell, wait up to this long for other processes to use < "
        f"{BUSY_WARNING:.0f}%% of the machine (shared machines; default 0: don't wait)",
    )
    args = parser.parse_args(argv)
    defaults = (2.0, 1.0, 1) if args.quick else (10.0, 2.0, 3)
    for name, default in zip(("seconds", "warmup", "cold_runs"), defaults, strict=True):
        if getattr(args, name) is None:
            setattr(args, name, default)
    args.clients = [int(n) for n in args.clients.split(",") if n.strip()]
    args.servers = [name.strip() for name in args.servers.split(",") if name.strip()]
    unknown = set(args.servers) - set(SERVERS)
    if unknown or not args.clients or min(args.clients) < 1 or args.seconds <= 0:
        parser.error(f"--servers from {', '.join(SERVERS)}; --clients positive numbers")
    return args


def _interrupt(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    log_dir = Path(tempfile.mkdtemp(prefix="bench-throughput-"))
    procs = Processes(log_dir)
    try:
        return asyncio.run(run(args, procs, log_dir))
    except KeyboardInterrupt:
        print("\ninterrupted: stopping every process started", file=sys.stderr)
        return 130
    finally:
        procs.stop_all()


async def run(args: argparse.Namespace, procs: Processes, log_dir: Path) -> int:
    QUIET["wait"] = args.wait_quiet
    if "official" in args.servers:
        command = official_command()
        print(f"official server: {OFFICIAL_PACKAGE} -> {' '.join(command)}")
    sandbox, api_url = start_sandbox(procs, args.stock_sandbox)
    mode = "stock (no TCP_NODELAY)" if args.stock_sandbox else "TCP_NODELAY"
    print(f"sandbox: {api_url} (own process, rate limit 10000000/h, {mode})")
    print(f"{versions()}; {os.cpu_count()} cores")
    print(f"clients: {args.transport} JSON-RPC over HTTP/1.1 keep-alive, {PROTOCOL}, in-process")
    print(f"{args.warmup:g} s warm-up + {args.seconds:g} s measured per cell; logs in {log_dir}")
    print(
        "CPU columns: CPU time (user+system) of that process during the window / calls made; "
        "other load: the rest of the machine's busy CPU, % of all cores\n"
    )
    print(row(HEADER, WIDTHS), flush=True)
    results: dict[tuple[str, int], Cell] = {}
    for name in args.servers:
        kind = SERVERS[name]
        server, port, _ = start_server(procs, kind, api_url)
        variants = [(name, False)] + (
            [(f"{name} {MODERN_PROTOCOL}", True)] if args.modern and name in OURS else []
        )
        for label, modern in variants:
            for clients in args.clients:
                cell = await run_cell(
                    label,
                    kind,
                    [port],
                    [server.pid],
                    sandbox.pid,
                    clients,
                    args.warmup,
                    args.seconds,
                    args.transport,
                    modern,
                )
                results[(label, clients)] = cell
                print_cell(cell)
        procs.stop(server)
        settle(sandbox)

    ours = [name for name in args.servers if name in OURS]
    if "official" in args.servers and ours:
        print("\nCargoShipper/official, calls/s:")
        for name in ours:
            for clients in args.clients:
                mine, theirs = results[(name, clients)], results[("official", clients)]
                ratio = mine.rate / theirs.rate if theirs.rate else float("nan")
                target = "  (target >= 0.75)" if clients == max(args.clients) else ""
                print(f"  {name:<21} {clients:>3} clients: {ratio:.2f}x{target}")
    if ours:
        print("\nCargoShipper CPU per call (server process), target <= 1 ms:")
        for name in ours:
            for clients in args.clients:
                cell = results[(name, clients)]
                cpu = cell.per_call(cell.server_cpu)
                verdict = "ok" if cpu <= 1.0 else "over"
                print(f"  {name:<21} {clients:>3} clients: {cpu:.2f} ms ({verdict})")

    if not args.no_replicas and ours:
        clients = max(args.clients)
        print(f"\nCargoShipper replicas, {clients} clients split evenly:")
        print(row(HEADER, WIDTHS))
        for name in ours:
            kind = SERVERS[name]
            cells = []
            for replicas in (1, 2):
                started = [start_server(procs, kind, api_url) for _ in range(replicas)]
                cell = await run_cell(
                    f"{name} x{replicas}",
                    kind,
                    [port for _, port, _ in started],
                    [proc.pid for proc, _, _ in started],
                    sandbox.pid,
                    clients,
                    args.warmup,
                    args.seconds,
                    args.transport,
                )
                print_cell(cell)
                cells.append(cell)
                for proc, _, _ in started:
                    procs.stop(proc)
                settle(sandbox)
            ratio = cells[1].rate / cells[0].rate if cells[0].rate else float("nan")
            cores = os.cpu_count()
            print(f"  {name}: 2 replicas / 1 = {ratio:.2f}x (target >= 1.6x, {cores} cores)")

    if args.cold_runs > 0:
        print(f"\nFirst call after a start (median of {args.cold_runs} fresh starts, 1 client):")
        heads = [
            "server",
            "listening ms",
            "initialize",
            "1st call",
            "warm call",
            "1st call, 2nd session",
            "1st call 1 s after start",
        ]
        widths = [24, 12, 10, 9, 9, 21, 24]
        print(row(heads, widths))
        for name in args.servers:
            kind = SERVERS[name]
            cold = ColdStart(name)
            for _ in range(args.cold_runs):
                server, port, listening = start_server(procs, kind, api_url)
                cold.listening.append(listening)
                await measure_cold(kind, port, cold, args.transport)
                procs.stop(server)
                server, port, _ = start_server(procs, kind, api_url)
                await measure_settled(kind, port, cold, args.transport)
                procs.stop(server)
            values = [
                cold.listening,
                cold.initialize,
                cold.first_call,
                cold.warm_call,
                cold.new_session_first_call,
                cold.first_call_after_1s,
            ]
            print(row([name] + [f"{statistics.median(v) * 1e3:.1f}" for v in values], widths))
    print()
    busy = [cell for cell in PRINTED if cell.other_load > BUSY_WARNING]
    if busy:
        worst = max(cell.other_load for cell in busy)
        print(
            f"warning: other processes used > {BUSY_WARNING:.0f}% of the machine (up to "
            f"{worst:.0f}%) in {len(busy)} of {len(PRINTED)} cells: rerun those when it is quiet"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
