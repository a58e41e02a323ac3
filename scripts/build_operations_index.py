"""Rebuild src/cargoshipper/operations/operations.json from the installed pydo and the spec.

.venv/bin/python scripts/build_operations_index.py          # write the index
.venv/bin/python scripts/build_operations_index.py --check  # exit 1 if it is stale
"""

from __future__ import annotations

import sys

from cargoshipper.operations._build import INDEX_PATH, build_index, render


def main(argv: list[str]) -> int:
    index = build_index()
    text = render(index)
    index_text = INDEX_PATH.read_text(encoding="utf-8") if INDEX_PATH.exists() else ""
    if "--check" in argv:
        if text != index_text:
            print(f"{INDEX_PATH} is stale: run scripts/build_operations_index.py", file=sys.stderr)
            return 1
        print(f"{INDEX_PATH} is current")
        return 0
    INDEX_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {INDEX_PATH}: {len(index['operations'])} operations, {len(text.encode())} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
