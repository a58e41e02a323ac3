"""Assembles the MCP server: every enabled tool, bound to the access layer, in one place."""

from __future__ import annotations

import functools
import inspect
import json
import logging
import typing
from collections.abc import Iterable
from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent

from . import __version__
from .access import DOAccess, DOError
from .config import Settings
from .registry import ToolSpec
from .tools import TOOLSETS

log = logging.getLogger("cargoshipper")

INSTRUCTIONS = (
    "CargoShipper manages one DigitalOcean account. Tools are named <resource>_<verb>. "
    "Lists are compact and paginated: read has_more/next_page. Long operations wait and report "
    "progress; if one returns done=false, follow its message instead of repeating the call."
)


def all_tools() -> list[ToolSpec]:
    return [spec for toolset in TOOLSETS for spec in toolset.tools]


def build_server(settings: Settings, tools: Iterable[ToolSpec] | None = None) -> MCPServer:
    """The MCPServer with ``tools`` (default: all) bound to one DigitalOcean access object."""
    access = DOAccess(settings)
    server = MCPServer("cargoshipper", version=__version__, instructions=INSTRUCTIONS)
    for spec in all_tools() if tools is None else tools:
        server.add_tool(
            _bind(spec, access),
            name=spec.name,
            description=spec.description,
            annotations=spec.annotations,
            structured_output=True,
        )
    return server


def _bind(spec: ToolSpec, access: DOAccess) -> Any:
    """Wrap ``spec.fn(do, **arguments)`` as an MCP tool function.

    The wrapper hides ``do`` from the schema, adds the request context (for progress),
    turns DigitalOcean errors into tool errors the agent can act on, and returns the
    structured result with a one-line text summary.
    """
    hints = typing.get_type_hints(spec.fn, include_extras=True)  # resolve string annotations
    signature = inspect.signature(spec.fn)
    parameters = [
        p.replace(annotation=hints[p.name]) for p in list(signature.parameters.values())[1:]
    ]
    returns = hints["return"]
    context = inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)

    @functools.wraps(spec.fn)
    async def tool(ctx: Context, **arguments: Any) -> Any:
        do = access.with_progress(ctx.report_progress)
        try:
            result = await spec.fn(do, **arguments)
        except DOError as error:
            log.info("%s failed: %s", spec.name, error.for_agent())
            raise ToolError(error.for_agent()) from None
        return _to_call_result(result)

    tool.__signature__ = signature.replace(
        parameters=[*parameters, context], return_annotation=returns
    )
    annotations = {p.name: p.annotation for p in parameters}
    tool.__annotations__ = {**annotations, "ctx": Context, "return": returns}
    return tool


def _to_call_result(result: Any) -> CallToolResult:
    structured = result.model_dump(mode="json")
    text = json.dumps(structured, separators=(",", ":"), ensure_ascii=False)
    return CallToolResult(
        content=[TextContent(type="text", text=f"{result.headline}\n{text}")],
        structured_content=structured,
    )
