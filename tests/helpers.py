"""Small helpers for calling tools in tests."""

from __future__ import annotations

import re
from typing import Any

from mcp import Client
from mcp.types import ElicitResult


async def call_ok(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    """Call a tool that must succeed; return its structured result."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, error_text(result)
    assert result.structured_content is not None
    return result.structured_content


async def call_error(client: Client, tool: str, **arguments: Any) -> str:
    """Call a tool that must fail; return its error text."""
    result = await client.call_tool(tool, arguments)
    assert result.is_error, f"{tool} unexpectedly succeeded: {result.structured_content}"
    return error_text(result)


def error_text(result: Any) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)


class Dialog:
    """A client-side confirmation dialog that records its questions and answers them in turn
    (the last answer repeats): "accept", "decline" or "cancel"."""

    def __init__(self, *answers: str) -> None:
        self.answers = answers
        self.questions: list[str] = []

    async def __call__(self, _context: Any, params: Any) -> ElicitResult:
        self.questions.append(params.message)
        answer = self.answers[min(len(self.questions), len(self.answers)) - 1]
        if answer == "accept":
            return ElicitResult(action="accept", content={"confirm": True})
        return ElicitResult(action=answer)


def _template(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/?#]+", re.escape(path)) + "$")


def off_template(sandbox: Any) -> list[tuple[str, str]]:
    """Requests the sandbox received whose path fits no operation's path template."""
    from cargoshipper.operations import operations

    templates = [_template(op.path) for op in operations().values() if op.path.startswith("/v2/")]
    return [
        (method, path)
        for method, path, _ in sandbox.world.requests
        if not any(t.match(path) for t in templates)
    ]
