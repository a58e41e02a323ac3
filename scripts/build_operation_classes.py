"""Rebuild src/cargoshipper/trust/operation_classes.json from the operations index.

.venv/bin/python scripts/build_operation_classes.py          # write the table, print the counts
.venv/bin/python scripts/build_operation_classes.py --check  # exit 1 if it is stale
"""

from __future__ import annotations

import json
import sys
from collections import Counter

from cargoshipper.operations import operations
from cargoshipper.trust._classes import build_table
from cargoshipper.trust._policy import CLASSES_PATH


def render(table: dict[str, str]) -> str:
    lines = [f"{json.dumps(op)}:{json.dumps(cls)}" for op, cls in table.items()]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def main(argv: list[str]) -> int:
    table = build_table({op.id: {"method": op.method} for op in operations().values()})
    text = render(table)
    current = CLASSES_PATH.read_text(encoding="utf-8") if CLASSES_PATH.exists() else ""
    if "--check" in argv:
        if text != current:
            print(
                f"{CLASSES_PATH} is stale: run scripts/build_operation_classes.py", file=sys.stderr
            )
            return 1
        print(f"{CLASSES_PATH} is current")
        return 0
    CLASSES_PATH.write_text(text, encoding="utf-8")
    counts = Counter(table.values())
    print(
        f"wrote {CLASSES_PATH}: {len(table)} operations; "
        + ", ".join(f"{cls} {counts[cls]}" for cls in ("read", "write", "spend", "destroy"))
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
