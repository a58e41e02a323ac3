"""``python -m cargoshipper.sandbox --port 8089``: serve the sandbox in the foreground."""

from __future__ import annotations

import argparse

from ._config import SandboxConfig
from ._server import serve


def main(argv: list[str] | None = None) -> None:
    defaults = SandboxConfig()
    parser = argparse.ArgumentParser(
        prog="python -m cargoshipper.sandbox",
        description="Serve a simulated DigitalOcean API v2 on loopback.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8089, help="port to listen on (default 8089)")
    parser.add_argument("--boot-seconds", type=float, default=defaults.boot_seconds)
    parser.add_argument("--action-seconds", type=float, default=defaults.action_seconds)
    parser.add_argument("--rate-limit", type=int, default=defaults.rate_limit_per_hour)
    parser.add_argument("--empty", action="store_true", help="start without the demo account")
    args = parser.parse_args(argv)
    config = SandboxConfig(
        boot_seconds=args.boot_seconds,
        action_seconds=args.action_seconds,
        seed=not args.empty,
        rate_limit_per_hour=args.rate_limit,
    )
    serve(host=args.host, port=args.port, config=config)


if __name__ == "__main__":
    main()
