"""Stoplight Prism serving the vendored DigitalOcean OpenAPI spec, for contract tests.

:class:`Prism` runs ``npx @stoplight/prism-cli mock`` on a free loopback port, with its output
in a log file, and puts a small recording proxy in front of it. The server under test talks to
the proxy, which forwards every request to Prism unchanged and remembers the request line, the
body, the status and Prism's ``sl-violations`` header. :meth:`Prism.mark` writes a marker request
into Prism's log, so the log between two marks belongs to whatever ran between them.

Prism validates every request against the spec: a violation is answered with 422 (or 401/415)
and an ``sl-violations`` header, and logged as::

    [HTTP SERVER] post /v2/droplets ℹ  info      Request received
        [VALIDATOR] ⚠  warning   Request did not pass the validation rules
        [VALIDATOR] ✖  error     Violation: request.body Request body must have required ...
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from helpers import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC = REPO_ROOT / "spec" / "digitalocean-public.v2.yaml"
PRISM_PACKAGE = "@stoplight/prism-cli@5.14.2"  # the newest Prism that runs on Node 20
START_TIMEOUT = 90.0  # the first run downloads Prism; a cached start takes ~4 s
MARK_PREFIX = "/__contract_mark__/"

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_REQUEST_RECEIVED = re.compile(r"\[HTTP SERVER\] (\w+) (\S+) ℹ\s+info\s+Request received")
#: Validation warnings and errors, and requests Prism could not route (no such path or method).
#: Negotiator warnings (e.g. "Unable to find content" for a 204) are about Prism's answer.
_PROBLEM = re.compile(r"\[(?:VALIDATOR|HTTP SERVER)\].*?[⚠✖]\s+(?:warning|error)\s+(.*)$")
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


# -- the recording proxy -----------------------------------------------------------------------


@dataclass
class Exchange:
    """One request the proxy forwarded, and Prism's answer."""

    method: str
    target: str  # path and query, as sent
    body: str
    status: int
    violations: list[dict[str, Any]]  # Prism's sl-violations header, parsed

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    def line(self) -> str:
        body = f" body={self.body}" if self.body else ""
        return f"{self.method} {self.target}{body} -> {self.status}"


@dataclass
class _Recorder:
    upstream: tuple[str, int]
    exchanges: list[Exchange] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(recorder: _Recorder) -> type[BaseHTTPRequestHandler]:
    class Forward(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like the real API

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            if body:
                headers["Content-Length"] = str(len(body))
            upstream = http.client.HTTPConnection(*recorder.upstream, timeout=30)
            try:
                upstream.request(self.command, self.path, body=body or None, headers=headers)
                response = upstream.getresponse()
                answer = response.read()
                status, answer_headers = response.status, response.getheaders()
            finally:
                upstream.close()
            violations: list[dict[str, Any]] = []
            for name, value in answer_headers:
                if name.lower() == "sl-violations":
                    try:
                        violations = json.loads(value)
                    except ValueError:
                        violations = [{"message": value}]
            with recorder.lock:
                recorder.exchanges.append(
                    Exchange(
                        self.command,
                        self.path,
                        body.decode("utf-8", "replace"),
                        status,
                        violations,
                    )
                )
            self.send_response_only(status)  # no Server/Date of our own: Prism's pass through
            for name, value in answer_headers:
                if name.lower() not in _HOP_BY_HOP:
                    self.send_header(name, value)
            if status not in (204, 304):
                self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            if answer and status not in (204, 304):
                self.wfile.write(answer)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _forward

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    return Forward


# -- Prism's log --------------------------------------------------------------------------------


@dataclass
class LoggedRequest:
    """One request as Prism logged it, with its warning and error lines."""

    method: str
    path: str
    problems: list[str]


def parse_log(text: str) -> list[LoggedRequest]:
    """Prism log lines grouped by request (the "Request received" line starts a group).

    Lines of concurrent requests may interleave, so a problem is attributed to the most
    recently received request; the tests only rely on the grouping per tool call.
    """
    requests: list[LoggedRequest] = []
    for raw in text.splitlines():
        line = _ANSI.sub("", raw)
        if started := _REQUEST_RECEIVED.search(line):
            requests.append(LoggedRequest(started[1].upper(), started[2], []))
        elif (problem := _PROBLEM.search(line)) and requests:
            requests[-1].problems.append(problem[1].strip())
    return [r for r in requests if not r.path.startswith(MARK_PREFIX)]


# -- the process --------------------------------------------------------------------------------


class Prism:
    """A running Prism mock plus the recording proxy in front of it."""

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None
        self._recorder = _Recorder(("127.0.0.1", self.port))
        self._proxy: ThreadingHTTPServer | None = None

    # lifecycle

    @classmethod
    @contextlib.contextmanager
    def running(cls, log_path: Path) -> Iterator[Prism]:
        prism = cls(log_path)
        try:
            prism._start()
            yield prism
        finally:
            prism._stop()

    def _start(self) -> None:
        npx = shutil.which("npx")
        if npx is None:
            raise PrismError(
                "npx is not on PATH, so the Prism contract tests cannot run. Install Node.js "
                f"(20 or newer, with npm); the tests run `npx -y {PRISM_PACKAGE} mock` on {SPEC}."
            )
        if not SPEC.is_file():
            raise PrismError(f"The vendored OpenAPI spec is missing: {SPEC}")
        env = {
            **os.environ,
            "NO_COLOR": "1",
            "FORCE_COLOR": "0",
            "NO_UPDATE_NOTIFIER": "1",
            "npm_config_update_notifier": "false",
            "npm_config_fund": "false",
            "npm_config_audit": "false",
        }
        command = [npx, "-y", PRISM_PACKAGE, "mock", "-h", "127.0.0.1", "-p", str(self.port)]
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                [*command, str(SPEC)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=REPO_ROOT,
                start_new_session=True,  # its own process group: npx, sh and node end together
            )
        self._wait_until_listening()
        self._proxy = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self._recorder))
        self._proxy.daemon_threads = True
        threading.Thread(target=self._proxy.serve_forever, name="prism-proxy", daemon=True).start()

    def _wait_until_listening(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise PrismError(
                    f"Prism exited with code {self._process.returncode} before listening.\n"
                    f"Last lines of {self.log_path}:\n{self.log_tail()}"
                )
            try:
                urllib.request.urlopen(self.url + "/", timeout=1).close()
                return
            except urllib.error.HTTPError:
                return  # any HTTP answer (404 NO_PATH_MATCHED) means it is up
            except OSError:
                time.sleep(0.25)
        raise PrismError(
            f"Prism did not listen on {self.url} within {START_TIMEOUT:.0f} s.\n"
            f"Last lines of {self.log_path}:\n{self.log_tail()}"
        )

    def _stop(self) -> None:
        if self._proxy is not None:
            self._proxy.shutdown()
            self._proxy.server_close()
        process = self._process
        if process is None:
            return
        # The whole group: npx may already be gone while its node child still serves.
        for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            try:
                process.wait(grace)
                return
            except subprocess.TimeoutExpired:
                continue

    # use

    @property
    def proxy_url(self) -> str:
        """Where the server under test should send its requests (forwarded to Prism)."""
        assert self._proxy is not None
        return f"http://127.0.0.1:{self._proxy.server_address[1]}"

    @property
    def exchanges(self) -> list[Exchange]:
        with self._recorder.lock:
            return list(self._recorder.exchanges)

    def read_log(self, start: int = 0, end: int | None = None) -> str:
        data = self.log_path.read_bytes()
        return data[start:end].decode("utf-8", "replace")

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.read_log().splitlines()[-lines:])

    def mark(self, timeout: float = 10.0) -> int:
        """Send a marker request straight to Prism; return the log offset where it starts.

        Everything logged before the offset was logged before the marker arrived, so the log
        between two marks holds exactly the requests sent in between.
        """
        path = f"{MARK_PREFIX}{uuid.uuid4().hex}"
        with contextlib.suppress(urllib.error.HTTPError):
            urllib.request.urlopen(self.url + path, timeout=timeout).close()
        needle = f"get {path} ".encode()
        deadline = time.monotonic() + timeout
        while True:
            data = self.log_path.read_bytes()
            found = data.find(needle)
            if found >= 0:
                return data.rfind(b"\n", 0, found) + 1
            if time.monotonic() > deadline:
                raise PrismError(f"Prism never logged the marker {path}:\n{self.log_tail()}")
            time.sleep(0.01)


class PrismError(RuntimeError):
    """Prism could not be started or used."""
