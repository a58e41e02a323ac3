"""The guard: every tool call passes through here, once, on its way to the tool function.

For each call it: works out the plan (destructive and money-spending tools), refuses protected
resources, oversized bulk operations and spending over the limit, asks a human to confirm
(elicitation, or a single-use code where the client cannot show a dialog), writes the audit
intent, runs the tool, writes the audit outcome, and turns DigitalOcean errors into messages
the agent can act on.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import typing
from collections import OrderedDict
from typing import Annotated, Any

from mcp.server.mcpserver import (
    AcceptedElicitation,
    Context,
    Elicit,
    ElicitationResult,
    Resolve,
)
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel, Field

from ..access import DOAccess, DOError, request_ids
from ..config import Settings
from ..registry import Access, ToolSpec
from ._audit import AuditLog
from ._codes import ConfirmationCodes, fingerprint
from ._plan import Plan
from ._secrets import redact

log = logging.getLogger("cargoshipper")

ConfirmationCode = Annotated[
    str | None,
    Field(description="Only to confirm: the code a previous identical call returned."),
]


class Confirm(BaseModel):
    """The confirmation form shown to a human."""

    confirm: bool = Field(description="Yes, do it.")


class Approval(BaseModel):
    """How a call was allowed to proceed without a dialog."""

    method: str  # "code", "policy:never", "not needed"


class Guard:
    """Binds tool specs into MCP tool functions that enforce the trust rules."""

    def __init__(self, settings: Settings, access: DOAccess) -> None:
        self.settings = settings
        self.access = access
        self.codes = ConfirmationCodes(settings.confirmation_ttl)
        self.audit = AuditLog(settings.audit_log) if settings.audit_log else None
        self._plans: OrderedDict[Any, Plan] = OrderedDict()  # resolver -> body, per request

    # -- binding -----------------------------------------------------------------------------

    def bind(self, spec: ToolSpec) -> Any:
        """An MCP tool function for ``spec``: its parameters minus ``do``, plus what the
        guard needs (the request context; for planned tools a confirmation)."""
        hints = typing.get_type_hints(spec.fn, include_extras=True)
        signature = inspect.signature(spec.fn)
        tool_parameters = [
            parameter.replace(annotation=hints[parameter.name])
            for parameter in list(signature.parameters.values())[1:]
            if parameter.name != "plan"
        ]
        extra = [inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)]
        if spec.plan is not None:
            code = inspect.Parameter(
                "confirmation_code",
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=ConfirmationCode,
            )
            resolver = self._resolver(spec, [p.name for p in tool_parameters])
            approval = inspect.Parameter(
                "approval",
                inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[ElicitationResult[Confirm], Resolve(resolver)],
            )
            extra = [code, approval, *extra]
        wants_plan = "plan" in signature.parameters

        @functools.wraps(spec.fn)
        async def tool(ctx: Context, **arguments: Any) -> Any:
            approval = arguments.pop("approval", None)
            arguments.pop("confirmation_code", None)
            plan = self._plans.pop(_plan_key(ctx, spec, arguments), None) if spec.plan else None
            method = self._approved(spec, approval, arguments)
            if wants_plan:
                arguments["plan"] = plan
            return await self._run(spec, ctx, arguments, plan, method)

        parameters = [*tool_parameters, *extra]
        returns = hints["return"]
        tool.__signature__ = signature.replace(parameters=parameters, return_annotation=returns)
        tool.__annotations__ = {p.name: p.annotation for p in parameters} | {"return": returns}
        return tool

    # -- before the call ---------------------------------------------------------------------

    def _resolver(self, spec: ToolSpec, names: list[str]) -> Any:
        """The confirmation resolver for ``spec``; the SDK runs it before the tool body and,
        on 2026-07-28 connections, again on every round, so it must ask the same question."""

        async def resolver(ctx: Context, **arguments: Any) -> Any:
            code = arguments.pop("confirmation_code", None)
            try:
                plan = await spec.plan(self.access, **arguments)
            except DOError as error:
                raise ToolError(error.for_agent()) from None
            self._refuse_if_unsafe(spec, plan, arguments)
            self._remember(_plan_key(ctx, spec, arguments), plan)
            if not plan.destructive:
                return Approval(method="not needed")
            if self.settings.confirm == "never":
                return Approval(method="policy:never")
            if self.settings.confirm == "auto" and _can_elicit(ctx):
                return Elicit(f"{plan.describe()} Proceed?", Confirm)
            return self._check_code(spec, plan, arguments, code)

        keyword = inspect.Parameter.KEYWORD_ONLY
        parameters = [inspect.Parameter("ctx", keyword, annotation=Context)]
        parameters += [inspect.Parameter(name, keyword) for name in [*names, "confirmation_code"]]
        resolver.__signature__ = inspect.Signature(parameters)
        resolver.__annotations__ = {"ctx": Context}
        resolver.__qualname__ = resolver.__name__ = f"confirm_{spec.name}"
        return resolver

    def _refuse_if_unsafe(self, spec: ToolSpec, plan: Plan, arguments: dict[str, Any]) -> None:
        settings = self.settings
        reason = None
        if settings.read_only and plan.effect != "read":
            reason = (
                f"Refused: {spec.name} would {plan.action}, and this server runs read-only. "
                "To enable changes, restart it without --read-only (and without "
                "CARGOSHIPPER_READ_ONLY=true). Nothing was changed."
            )
        if reason is None and plan.destructive and plan.protect:
            protected = [t for t in plan.targets if settings.protected_tag in t.tags]
            if protected:
                names = ", ".join(t.label() for t in protected)
                reason = (
                    f"Refused: {names} is tagged {settings.protected_tag!r}, and CargoShipper "
                    f"never lets an agent {plan.action} protected resources. Nothing was changed."
                )
        if reason is None and plan.bulk and len(plan.targets) > settings.bulk_limit:
            reason = (
                f"Refused: this would {plan.action} {len(plan.targets)} resources, over the "
                f"limit of {settings.bulk_limit} per call (--bulk-limit). Nothing was changed; "
                "narrow the selection or ask the operator to raise the limit."
            )
        limit = settings.max_monthly_cost
        if reason is None and plan.cost and limit is not None and plan.cost.monthly > limit:
            reason = (
                f"Refused: this adds ${plan.cost.monthly:.2f}/month ({plan.cost.detail}), above "
                f"the limit of ${limit:.2f}/month (--max-monthly-cost). Nothing was changed."
            )
        if reason:
            self._audit("refused", spec, arguments, error=reason, plan=plan)
            raise ToolError(reason)

    def _check_code(
        self, spec: ToolSpec, plan: Plan, arguments: dict[str, Any], code: str | None
    ) -> Approval:
        if code is None:
            issued = self.codes.issue(spec.name, arguments, plan.describe())
            minutes = max(1, round(self.codes.ttl / 60))
            raise ToolError(
                f"Confirmation needed: {plan.describe()} Nothing has been done yet. Show this to "
                f"the user; if they agree, call {spec.name} again with the same arguments plus "
                f'confirmation_code="{issued}" (valid once, for {minutes} minutes).'
            )
        problem = self.codes.redeem(code, spec.name, arguments, plan.describe())
        if problem:
            self._audit("refused", spec, arguments, error=problem)
            raise ToolError(
                f"Refused: {problem}. Nothing was done. Call {spec.name} without "
                "confirmation_code to get a new preview and code."
            )
        return Approval(method="code")

    def _approved(self, spec: ToolSpec, approval: Any, arguments: dict[str, Any]) -> str | None:
        """How the call was confirmed; raise if the human said no."""
        if approval is None:
            return None
        if isinstance(approval, AcceptedElicitation):
            if isinstance(approval.data, Approval):
                return approval.data.method
            if isinstance(approval.data, Confirm) and approval.data.confirm:
                return "elicitation"
        outcome = getattr(approval, "action", "decline")
        self._audit("refused", spec, arguments, error=f"user did not confirm ({outcome})")
        raise ToolError(f"Not done: the user did not confirm ({outcome}). Nothing was changed.")

    def _remember(self, request_id: Any, plan: Plan) -> None:
        self._plans[request_id] = plan
        while len(self._plans) > 256:  # plans of calls whose confirmation never came back
            self._plans.popitem(last=False)

    # -- the call ----------------------------------------------------------------------------

    async def _run(
        self,
        spec: ToolSpec,
        ctx: Context,
        arguments: dict[str, Any],
        plan: Plan | None,
        confirmation: str | None,
    ) -> CallToolResult:
        call_id = self._audit("intent", spec, arguments, plan=plan, confirmation=confirmation)
        do = self.access.with_progress(ctx.report_progress)
        with request_ids() as seen:
            try:
                result = await spec.fn(do, **arguments)
            except DOError as error:
                message = error.for_agent()
                self._audit("outcome", spec, arguments, call_id, "error", message, seen, plan)
                raise ToolError(message) from None
            except ToolError as error:
                self._audit("outcome", spec, arguments, call_id, "refused", str(error), seen, plan)
                raise
        if plan and plan.cost and "cost" in type(result).model_fields:
            result.cost = plan.cost.as_dict()
        self._audit("outcome", spec, arguments, call_id, "ok", None, seen, plan, result)
        return _to_call_result(result)

    def _audit(
        self,
        event: str,
        spec: ToolSpec,
        arguments: dict[str, Any],
        call_id: str | None = None,
        outcome: str | None = None,
        error: str | None = None,
        seen: list[str] | None = None,
        plan: Plan | None = None,
        result: Any = None,
        confirmation: str | None = None,
    ) -> str | None:
        """Append one audit line for a call that changes things (reads are not logged)."""
        is_read = spec.access is Access.READ or (plan is not None and plan.effect == "read")
        if self.audit is None or is_read:
            return call_id
        call_id = call_id or self.audit.new_call_id()
        fields: dict[str, Any] = {"tool": spec.name, "arguments": redact(arguments)}
        if confirmation:
            fields["confirmation"] = confirmation
        if outcome:
            fields["outcome"] = outcome
        if error:
            fields["error"] = error
        if seen:
            fields["request_ids"] = sorted(set(seen))
        fields.update(_affected(spec, plan, result))
        self.audit.write(event, call_id, **fields)
        return call_id


def _affected(spec: ToolSpec, plan: Plan | None, result: Any) -> dict[str, list[dict[str, Any]]]:
    """Resources the call created, changed or deleted, for the audit line."""
    if plan is None and result is None:
        return {}
    effect = plan.effect if plan else ("create" if spec.name.endswith("_create") else "change")
    if effect == "read":
        return {}
    if effect == "create":
        touched = [_identity(r) for r in getattr(result, "resources", [])]
    elif plan is not None:
        touched = [t.as_dict() for t in plan.targets]
    else:
        item = getattr(result, "item", None) or {}
        touched = [_identity(r) for r in getattr(result, "resources", [])] or [_identity(item)]
    key = {"create": "created", "change": "changed", "delete": "deleted"}[effect]
    return {key: [t for t in touched if t.get("id") is not None]}


def _identity(resource: dict[str, Any]) -> dict[str, Any]:
    return {"id": resource.get("id"), "name": resource.get("name")}


def _plan_key(ctx: Context, spec: ToolSpec, arguments: dict[str, Any]) -> tuple[Any, str]:
    """Where a resolver leaves its plan for the tool body of the same call. Request ids repeat
    across clients, so the key also holds the exact call: equal keys mean equal plans."""
    return ctx.request_id, fingerprint(spec.name, arguments)


def _can_elicit(ctx: Context) -> bool:
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


def _to_call_result(result: Any) -> CallToolResult:
    structured = result.model_dump(mode="json")
    text = json.dumps(structured, separators=(",", ":"), ensure_ascii=False)
    return CallToolResult(
        content=[TextContent(type="text", text=f"{result.headline}\n{text}")],
        structured_content=structured,
    )
