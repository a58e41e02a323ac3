"""The rest of the DigitalOcean API behind two tools: find an operation, then call it.

``api_call`` goes through the same access layer (errors, retries, rate limits), the same
policy and the same guard as the curated tools: its plan is the one request it sends, so the
policy's verdict on that request (read, write, spend, destroy, unprotect; protection, bulk and
cost) is what the person is shown and what runs. Nothing here decides what is dangerous.
"""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from ..access import DOAccess
from ..operations import Operation, get_operation, search
from ..registry import Access, Toolset
from ..trust import Plan, mask_secrets, mask_text
from ._common import APPROVAL_FIELD, Result, clip

TOOLSET = Toolset("api", "Any DigitalOcean API operation: search them, call one.")

JSON_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "string": (str, int, float),  # ids and slugs often arrive as numbers
    "array": (list,),
    "object": (dict,),
}


class SearchResult(Result):
    """Operations that match a query, best first."""

    operations: list[dict[str, Any]] = Field(
        description="id (for api_call), method, path, summary, parameters."
    )


SECRET_MARKER = "<secret: full=true shows it>"


class CallResult(Result):
    """What the API answered."""

    operation: str = Field(description="The operation called.")
    body: dict[str, Any] | None = Field(
        description="The response body (long strings clipped unless full); null when empty."
    )
    total: int | None = Field(default=None, description="List responses: items on all pages.")
    next_page: int | None = Field(default=None, description="List responses: the next page.")
    approval: dict[str, Any] | None = APPROVAL_FIELD


@TOOLSET.tool(Access.READ)
async def api_search(
    do: DOAccess,
    query: Annotated[str, Field(min_length=2, description="What to do, e.g. 'list reserved IPs'.")],
    limit: Annotated[int, Field(ge=1, le=20, description="How many operations to return.")] = 5,
) -> SearchResult:
    """Search all ~840 DigitalOcean API operations for what the other tools do not cover (apps,
    CDN, reserved IPs, registries, certificates...). Returns ids and parameters for api_call."""
    found = search(query, limit)
    briefs = [operation.brief() for operation in found]
    headline = f"{len(briefs)} operations for {query!r}" + (
        f"; best: {found[0].id}." if found else ". Try other words."
    )
    return SearchResult(operations=briefs).titled(headline)


def _check(
    operation: str,
    path_params: dict[str, Any] | None,
    query: dict[str, Any] | None,
    body: dict[str, Any] | None,
) -> Operation:
    """The operation, if these arguments fit it; else a ToolError saying what is wrong."""
    op = get_operation(operation)
    if op is None:
        words = operation.replace(".", " ").replace("_", " ").strip()
        hint = ", ".join(o.id for o in search(words, 3)) if words else ""
        raise ToolError(
            f"Unknown operation {operation!r}. Use api_search to find ids"
            + (f" (maybe {hint})." if hint else ".")
        )
    if not op.path.startswith("/v2/"):
        raise ToolError(
            f"{op.id} is served by another DigitalOcean host ({op.path}), not the API this "
            "server manages; api_call reaches /v2/ operations only."
        )
    given = dict(path_params or {})
    missing = [name for name in op.path_params if name not in given]
    extra = sorted(set(given) - set(op.path_params))
    if missing or extra:
        raise ToolError(
            f"{op.id} ({op.method} {op.path}) takes path_params {list(op.path_params)}; "
            + (f"missing {missing}" if missing else f"unknown {extra}")
            + "."
        )
    query = dict(query or {})
    unknown = sorted(set(query) - set(op.query_params))
    if unknown:
        takes = ", ".join(op.query_params) or "none"
        raise ToolError(f"{op.id} has no query parameter {unknown}; it takes: {takes}.")
    absent = [name for name in op.required_query if name not in query]
    if absent:
        raise ToolError(f"{op.id} needs the query parameters {absent}.")
    for name, value in query.items():
        expected = op.query_params[name]
        if not isinstance(value, JSON_TYPES.get(expected, (object,))):
            raise ToolError(f"Query parameter {name} of {op.id} must be {expected}.")
    if body is not None and op.body is None:
        raise ToolError(f"{op.id} ({op.method} {op.path}) takes no body.")
    if body is None and op.body == "required":
        raise ToolError(f"{op.id} needs a body: {op.brief().get('body')}.")
    required = (op.body_schema or {}).get("required") or []
    if body is not None and (lacking := [key for key in required if key not in body]):
        raise ToolError(f"The body of {op.id} lacks the required {lacking}.")
    return op


def _request(
    op: Operation,
    path_params: dict[str, Any] | None,
    query: dict[str, Any] | None,
    body: dict[str, Any] | None,
) -> dict[str, Any]:
    """The keyword arguments of the pydo call: path, query and body together."""
    arguments = {**(path_params or {}), **(query or {})}
    if body is not None:
        arguments[op.body_param] = body
    return arguments


async def plan_api_call(
    do: DOAccess,
    operation: str,
    path_params: dict[str, Any] | None = None,
    query: dict[str, Any] | None = None,
    body: dict[str, Any] | None = None,
    **_: Any,
) -> Plan:
    """The one request an api_call sends; the policy judges it like any other."""
    op = _check(operation, path_params, query, body)
    request = ((op.id, _request(op, path_params, query, body)),)
    if op.method == "GET":
        return Plan(f"read {op.id}", "read", destructive=False, requests=request)
    effect = "delete" if op.method == "DELETE" else "change"
    return Plan(f"call {op.id}", effect, requests=request)


@TOOLSET.tool(Access.DESTRUCTIVE, plan=plan_api_call, mixed=True)
async def api_call(
    do: DOAccess,
    operation: Annotated[
        str, Field(description="Operation id from api_search, e.g. cdn.list_endpoints.")
    ],
    path_params: Annotated[
        dict[str, Any] | None, Field(description='Path parameters, e.g. {"droplet_id": 3164444}.')
    ] = None,
    query: Annotated[
        dict[str, Any] | None, Field(description='Query parameters, e.g. {"per_page": 50}.')
    ] = None,
    body: Annotated[dict[str, Any] | None, Field(description="JSON request body.")] = None,
    full: Annotated[
        bool, Field(description="Everything: long strings unclipped, secrets (passwords...) shown.")
    ] = False,
) -> CallResult:
    """Call any DigitalOcean API operation found with api_search. Arguments are checked against
    the operation before sending; GETs read; what spends, destroys or unprotects asks the user."""
    op = _check(operation, path_params, query, body)
    arguments = _request(op, path_params, query, body)
    subject = " ".join(f"{key} {value}" for key, value in (path_params or {}).items())
    subject = subject or f"{op.method} {op.path}"
    answer = await do.call(op.id, subject=subject, **arguments)
    if isinstance(answer, str):  # a body in another format, e.g. a kubeconfig's YAML: whole
        shown = {"text": answer if full else mask_text(answer, SECRET_MARKER)}
    else:
        shown = answer if full else mask_secrets(_clip_all(answer), SECRET_MARKER)
    result = CallResult(operation=op.id, body=shown)
    if isinstance(answer, dict) and "meta" in answer:
        result.total = (answer.get("meta") or {}).get("total")
        next_url = ((answer.get("links") or {}).get("pages") or {}).get("next")
        page = int((query or {}).get("page", 1))
        result.next_page = page + 1 if next_url else None
    more = f"; more on page {result.next_page}" if result.next_page else ""
    return result.titled(f"{op.method} {op.path} ({op.id}) answered{more}.")


def _clip_all(value: Any) -> Any:
    """Every long string in a JSON value clipped, with the marker saying how to get it all."""
    if isinstance(value, dict):
        return {key: _clip_all(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clip_all(item) for item in value]
    return clip(value, hint="full=true")
