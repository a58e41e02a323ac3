"""HTTP on loopback: a threaded stdlib server that can delay answers and really drop connections."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from ._app import App, Reply, create_app
from ._config import SandboxConfig
from ._state import World

log = logging.getLogger("cargoshipper.sandbox")


class _Handler(BaseHTTPRequestHandler):
    """Reads one request, asks the App, and writes (or withholds) the answer."""

    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, as clients expect from DigitalOcean
    server_version = "cargoshipper-sandbox"
    sys_version = ""
    timeout = 120  # seconds an idle keep-alive connection is kept
    disable_nagle_algorithm = True  # else each answer on a kept-alive connection waits ~40 ms

    def _serve(self) -> None:
        body = self._read_body()
        headers = {name.lower(): value for name, value in self.headers.items()}
        host = headers.get("host") or "{}:{}".format(*self.server.server_address[:2])
        reply = self.server.app.handle(self.command, self.path, headers, body, f"http://{host}")
        if reply.drop:
            self._drop()
            return
        if reply.delay:
            time.sleep(reply.delay)
        try:
            self._write(reply)
        except OSError:
            self.close_connection = True  # the client gave up (e.g. its read timeout)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def _read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline().strip():
                pass  # trailers
            return b"".join(chunks)
        try:
            length = int(self.headers.get("content-length") or 0)
        except ValueError:
            length = 0
            self.close_connection = True  # the rest of the stream can't be trusted
        return self.rfile.read(length) if length > 0 else b""

    def _write(self, reply: Reply) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("content-length", str(len(reply.body)))
        self.end_headers()
        if reply.body and self.command != "HEAD":
            self.wfile.write(reply.body)

    def _drop(self) -> None:
        """Close the TCP connection without a byte of response."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("sandbox %s - " + format, self.address_string(), *args)


class _Server(ThreadingHTTPServer):
    """Tracks open connections so that ``close`` can end keep-alive ones too."""

    daemon_threads = True
    request_queue_size = 128  # 50 clients connecting at once must not lose SYNs (5 by default)

    def __init__(self, address: tuple[str, int], app: App):
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log (instead of printing) errors such as a client vanishing mid-request."""
        log.debug("sandbox connection error from %s", client_address, exc_info=True)

    def close(self) -> None:
        """Stop accepting, then end every open connection."""
        self.server_close()
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class Sandbox:
    """A sandbox served on loopback from a background thread.

    >>> with Sandbox(SandboxConfig(boot_seconds=0.2)) as sb:
    ...     sb.url  # "http://127.0.0.1:54321"
    """

    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        world: World | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        self.world = world or World(config)
        self.config = self.world.config
        self.app = create_app(self.world)
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL to give a client as its endpoint, e.g. ``http://127.0.0.1:54321``."""
        if self._server is None:
            raise RuntimeError("the sandbox is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Sandbox:
        """Bind (a free port unless one was given) and serve in a daemon thread."""
        if self._server is not None:
            return self
        self._server = _Server(self._address, self.app)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="cargoshipper-sandbox",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every connection."""
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve(host: str = "127.0.0.1", port: int = 8089, config: SandboxConfig | None = None) -> None:
    """Serve a sandbox in the foreground until interrupted (``cargoshipper sandbox --port N``)."""
    server = _Server((host, port), create_app(World(config)))
    bound_host, bound_port = server.server_address[:2]
    print(
        f"CargoShipper sandbox (simulated DigitalOcean API) listening on "
        f"http://{bound_host}:{bound_port}",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
