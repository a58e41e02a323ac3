"""``python -m cargoshipper.sandbox --port 8089``: ``cargoshipper sandbox``, the same options."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ..cli import main as cli_main


def main(argv: Sequence[str] | None = None) -> int:
    return cli_main(["sandbox", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    raise SystemExit(main())
