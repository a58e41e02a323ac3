"""What tools share: parameter types, result shapes, and small view helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Annotated, Any, Self

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field, PrivateAttr

from ..access import MAX_PER_PAGE, DOAccess, Page, Waited

# -- parameters ------------------------------------------------------------------------------

PageNumber = Annotated[int, Field(ge=1, description="Page number, from 1.")]
PerPage = Annotated[
    int, Field(ge=1, le=MAX_PER_PAGE, description=f"Items per page, 1-{MAX_PER_PAGE}.")
]
AllPages = Annotated[bool, Field(description="Every page (up to 1000 items).")]
Detail = Annotated[bool, Field(description="Full API objects, not the compact view.")]
Wait = Annotated[bool, Field(description="Wait for the end, with progress.")]
WaitTimeout = Annotated[
    float, Field(gt=0, le=3600, description="Most seconds to wait (capped by the call budget).")
]
DropletId = Annotated[int, Field(ge=1, description="Droplet id, e.g. 3164444.")]
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
TAG_PATTERN = r"^[A-Za-z0-9_:\-]{1,255}$"
TagName = Annotated[str, Field(pattern=TAG_PATTERN)]
OptionalTagName = Annotated[
    str | None,
    Field(pattern=TAG_PATTERN, description="Tag name: letters, digits, '_', ':' or '-', e.g. web."),
]


# -- results ---------------------------------------------------------------------------------


class Result(BaseModel):
    """A tool result; ``headline`` becomes the one-line text the agent reads first."""

    _headline: str = PrivateAttr(default="")

    def titled(self, headline: str) -> Self:
        self._headline = headline
        return self

    @property
    def headline(self) -> str:
        return self._headline


class ListResult(Result):
    """One page of a list, with what is needed to get the rest."""

    items: list[dict[str, Any]] = Field(description="Compact items (full objects with detail).")
    total: int | None = Field(description="Items in the whole list, all pages.")
    page: int = Field(description="This page's number.")
    per_page: int = Field(description="Page size used.")
    has_more: bool = Field(description="True when more pages follow.")
    next_page: int | None = Field(description="Page number to ask for next, if any.")


APPROVAL_FIELD = Field(
    default=None, description="Only when nothing was done: the approval (id, status, preview)."
)


class ItemResult(Result):
    """One object."""

    item: dict[str, Any] = Field(description="The object (compact, or full with detail).")
    approval: dict[str, Any] | None = APPROVAL_FIELD


class ActionResult(Result):
    """A long operation and where it stands."""

    done: bool = Field(description="True when every action finished (completed or errored).")
    actions: list[dict[str, Any]] = Field(description="The actions: id, type, status.")
    resources: list[dict[str, Any]] = Field(description="The affected resources, compact.")
    message: str = Field(description="What happened, and what to do next if unfinished.")
    cost: dict[str, Any] | None = Field(
        default=None, description="Added monthly/hourly cost in USD, when the call spends money."
    )
    approval: dict[str, Any] | None = APPROVAL_FIELD


def list_result(
    page: Page, view: Callable[[dict[str, Any]], dict[str, Any]], noun: str
) -> ListResult:
    """A ListResult from an access-layer Page, each item through ``view``."""
    result = ListResult(
        items=[view(item) for item in page.items],
        total=page.total,
        page=page.page,
        per_page=page.per_page,
        has_more=page.has_more,
        next_page=page.next_page,
    )
    shown = len(result.items)
    total = "?" if page.total is None else page.total
    more = f"; more on page {page.next_page}" if page.next_page else ""
    return result.titled(f"{shown} of {total} {noun}{more}.")


async def fetch_list(
    do: DOAccess,
    operation: str,
    key: str,
    *,
    page: int,
    per_page: int,
    all_pages: bool,
    **filters: Any,
) -> Page:
    """One page, or every page when ``all_pages``; filters that are None are not sent."""
    sent = {name: value for name, value in filters.items() if value is not None}
    if all_pages:
        return await do.list_all(operation, key, **sent)
    return await do.list_page(operation, key, page=page, per_page=per_page, **sent)


LONG_TEXT = 300  # characters a compact view shows of one string


def compact(obj: dict[str, Any]) -> dict[str, Any]:
    """Drop empty values (None, "", [], {}) and clip long strings, so compact views stay short."""
    return {key: clip(value) for key, value in obj.items() if value not in (None, "", [], {})}


def clip(value: Any, hint: str = "detail=true") -> Any:
    """A long string cut to LONG_TEXT characters, with a marker saying how to get it whole."""
    if not isinstance(value, str) or len(value) <= LONG_TEXT:
        return value
    return f"{value[:LONG_TEXT]}… [truncated: {len(value)} characters; {hint} returns all]"


def pick(obj: dict[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    return compact({key: obj.get(key) for key in keys})


def require_one(**options: Any) -> tuple[str, Any]:
    """Exactly one of the named options must be given; return (name, value)."""
    given = [(name, value) for name, value in options.items() if value not in (None, [], "")]
    if len(given) != 1:
        names = " or ".join(options)
        raise ToolError(f"Give exactly one of {names}.")
    return given[0]


def action_view(action: dict[str, Any]) -> dict[str, Any]:
    return pick(
        action,
        ("id", "type", "status", "resource_type", "resource_id", "started_at", "completed_at"),
    )


def unfinished_message(waited: Iterable[Waited], what: str) -> str:
    """The message for a wait that timed out: what is still running and how to check."""
    ids = [str(w.value.get("id")) for w in waited if not w.done]
    return (
        f"{what} is still in progress (action id {', '.join(ids)}); this call hands back before "
        f"the client times out. Call action_get action_id={ids[0]} wait=true to keep waiting."
    )
