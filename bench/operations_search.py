"""Time cargoshipper.operations.search: 1,000 searches over typical queries, median per search.

.venv/bin/python bench/operations_search.py
"""

from __future__ import annotations

import statistics
import time

QUERIES = [
    "list reserved IPs",
    "create a CDN endpoint",
    "app platform deployments",
    "ssh keys",
    "delete a droplet",
    "droplet snapshot",
    "kubernetes node pools",
    "database firewall rules",
    "upgrade kubernetes cluster",
    "list volumes in a region",
    "get load balancer",
    "domain records",
    "billing history",
    "cpu metrics for a droplet",
    "floating ip",
    "droplets.get",
    "reboot a droplet",
    "list all actions",
    "xyzzy plugh",
    "/v2/droplets/{droplet_id}",
]


def main() -> None:
    start = time.perf_counter()
    from cargoshipper.operations import operations, search

    imported = time.perf_counter()
    count = len(operations())
    loaded = time.perf_counter()
    search("warm up")  # builds the search index once
    warmed = time.perf_counter()
    times = []
    for i in range(1000):
        query = QUERIES[i % len(QUERIES)]
        t0 = time.perf_counter()
        search(query)
        times.append(time.perf_counter() - t0)
    print(f"import cargoshipper.operations: {(imported - start) * 1e3:.1f} ms")
    print(f"load the index ({count} operations): {(loaded - imported) * 1e3:.1f} ms")
    print(f"first search (builds the search index): {(warmed - loaded) * 1e3:.1f} ms")
    print(f"1000 searches: median {statistics.median(times) * 1e6:.0f} µs per search, ", end="")
    print(f"p95 {sorted(times)[949] * 1e6:.0f} µs, max {max(times) * 1e6:.0f} µs")


if __name__ == "__main__":
    main()
