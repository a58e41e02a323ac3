"""What a tool is: its function, its toolset, and its class, declared once.

A tool's MCP annotations are derived from its class, never written by hand, so they cannot
disagree with what the server does with the tool.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from mcp.types import ToolAnnotations


class Access(StrEnum):
    """How much a tool can change: the basis of its annotations."""

    READ = "read"  # changes nothing
    WRITE = "write"  # creates or changes, loses no data
    DESTRUCTIVE = "destructive"  # can lose data or cut off service


ToolFunction = Callable[..., Awaitable[Any]]
#: ``await plan(do, **arguments) -> trust.Plan``: what a call will do, before it does it.
Planner = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class ToolSpec:
    """One tool: ``fn(do, **arguments)`` plus its classification.

    Destructive and money-spending tools also have a ``plan``: the guard uses it to show what
    will happen, ask for confirmation, refuse protected resources and oversized bulk
    operations, and check the cost limit, all before ``fn`` runs.
    """

    fn: ToolFunction
    toolset: str
    access: Access
    idempotent: bool
    costs_money: bool = False
    plan: Planner | None = None
    mixed: bool = False  # reads or writes depending on its arguments (its plan says which)

    @property
    def name(self) -> str:
        return self.fn.__name__

    @property
    def description(self) -> str:
        return inspect.cleandoc(self.fn.__doc__ or "")

    @property
    def annotations(self) -> ToolAnnotations:
        return ToolAnnotations(
            read_only_hint=self.access is Access.READ,
            destructive_hint=self.access is Access.DESTRUCTIVE,
            idempotent_hint=self.access is Access.READ or self.idempotent,
            open_world_hint=True,
        )


@dataclass
class Toolset:
    """A named group of tools, one per DigitalOcean resource family."""

    name: str
    description: str
    default: bool = True  # enabled when --toolsets is not given
    tools: list[ToolSpec] = field(default_factory=list)

    def tool(
        self,
        access: Access,
        *,
        idempotent: bool = False,
        costs_money: bool = False,
        plan: Planner | None = None,
        mixed: bool = False,
    ) -> Callable[[ToolFunction], ToolFunction]:
        """Register the decorated ``async def <resource>_<verb>(do, ...)`` in this toolset."""

        def register(fn: ToolFunction) -> ToolFunction:
            spec = ToolSpec(fn, self.name, access, idempotent, costs_money, plan, mixed)
            self.tools.append(spec)
            return fn

        return register
