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


def code_in(text: str) -> str:
    """The confirmation code a preview asks the agent to send back."""
    match = re.search(r'confirmation_code="([A-Z0-9]{4}-[A-Z0-9]{4})"', text)
    assert match, text
    return match.group(1)


class Dialog:
    """A client-side confirmation dialog that answers ``answer`` and records its questions."""

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.questions: list[str] = []

    async def __call__(self, _context: Any, params: Any) -> ElicitResult:
        self.questions.append(params.message)
        if self.answer == "accept":
            return ElicitResult(action="accept", content={"confirm": True})
        return ElicitResult(action=self.answer)
