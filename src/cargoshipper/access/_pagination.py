"""Pages of a DigitalOcean list: what one page holds and whether there is more."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

MAX_PER_PAGE = 200


@dataclass
class Page:
    """Items of one list call, with the facts an agent needs to continue."""

    items: list[dict[str, Any]]
    total: int | None
    page: int
    per_page: int
    has_more: bool
    next_page: int | None


def page_from_body(body: dict[str, Any], key: str, page: int, per_page: int) -> Page:
    """Read items, ``meta.total`` and ``links.pages.next`` from one list response."""
    items = list(body.get(key) or [])
    total = (body.get("meta") or {}).get("total")
    next_url = ((body.get("links") or {}).get("pages") or {}).get("next")
    next_page = _page_number(next_url) if next_url else None
    if next_page is None and total is not None and page * per_page < total:
        next_page = page + 1
    return Page(items, total, page, per_page, next_page is not None, next_page)


def _page_number(url: str) -> int | None:
    values = parse_qs(urlparse(url).query).get("page")
    try:
        return int(values[0]) if values else None
    except ValueError:
        return None


def remaining_pages(first: Page, cap: int) -> range:
    """Page numbers still to fetch after the first, so that at most ``cap`` items are read."""
    if first.total is None or not first.has_more:
        return range(0)
    wanted = min(first.total, cap)
    last = -(-wanted // first.per_page)  # ceiling division
    return range(2, last + 1)
