"""The guard: every tool call passes through here, once, on its way to the tool function.

For a tool with a plan it: works out the plan (the requests the tool will send), has the policy
judge each request (class, targets, protection, bulk, cost), refuses what the rules forbid,
and asks a person to approve what spends, destroys or unprotects, through a channel the agent
cannot read or write:

1. the client's confirmation dialog (form elicitation; both protocol eras);
2. URL elicitation: the client opens CargoShipper's approval page at a link good for this one
   request (both eras);
3. otherwise the approval page, whose link CargoShipper prints on its own stderr, or
   ``cargoshipper approve`` on a terminal.

While a person decides, the call waits with progress up to ``approval_wait`` seconds, then
returns a normal result saying nothing was done and what is pending; the agent calls again
with the same arguments and the approval is matched by the exact call. Approved requests are
then let through by the policy (``grant``), once each; nothing else that needs approval is.

Each call runs as its tenant: over HTTP the DOAccess of its caller's token
(``access/_tenants.py``), else the server's. Its approvals and audit lines are that tenant's.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import json
import logging
import sys
import time
import typing
from collections.abc import AsyncIterator
from contextvars import ContextVar
from typing import Any

import anyio
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.mcpserver import AcceptedElicitation, Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import (
    CallToolResult,
    ElicitRequest,
    ElicitRequestFormParams,
    ElicitRequestURLParams,
    InputRequiredResult,
    TextContent,
)
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import BaseModel, Field
from starlette.requests import Request

from ..access import Change, DOAccess, DOError, Refused, Tenants, journal, request_ids
from ..config import Settings
from ..registry import Access, ToolSpec
from ._approvals import Approvals, PendingApproval
from ._audit import AuditLog
from ._plan import Plan
from ._policy import UNPROTECT_REFUSAL, Policy, Verdict, cost_refusal, grant, request_key
from ._pricing import total
from ._secrets import redact
from ._shared import SharedStateDown, state_for

log = logging.getLogger("cargoshipper")

CONFIRM_SCHEMA = {
    "type": "object",
    "properties": {"confirm": {"type": "boolean", "description": "Yes, do it."}},
    "required": ["confirm"],
}


#: When the running tool call started (time.monotonic()), for its budget.
_CALL_STARTED: ContextVar[float] = ContextVar("cargoshipper_call_started")
#: The running tool call's tenant: the DOAccess of its caller's token.
_TENANT: ContextVar[DOAccess] = ContextVar("cargoshipper_tenant")


class Confirm(BaseModel):
    """The confirmation form shown to a person."""

    confirm: bool = Field(description="Yes, do it.")


class Guard:
    """Binds tool specs into MCP tool functions that enforce the trust rules."""

    def __init__(self, settings: Settings, access: DOAccess) -> None:
        self.settings = settings
        self.policy = Policy(settings)
        access.gate = self.policy.admit
        self.tenants = Tenants(access)
        #: in this process, or shared with other replicas through Redis (``--redis-url``)
        self.state = state_for(settings.redis_url)
        store = self.state if self.state.shared else None
        self.approvals = Approvals(settings.confirmation_ttl, store=store)  # type: ignore[arg-type]
        self.audit = AuditLog(settings.audit_log) if settings.audit_log else None
        self.page: Any = None  # the ApprovalPage, once the server's lifespan started it

    @property
    def access(self) -> DOAccess:
        """The running call's tenant: its caller's token over HTTP, else (stdio, in-memory,
        outside a call) the server's own."""
        return _TENANT.get(self.tenants.default)

    # -- binding -----------------------------------------------------------------------------

    def bind(self, spec: ToolSpec) -> Any:
        """An MCP tool function for ``spec``: its parameters minus ``do`` and ``plan``, plus
        the request context."""
        hints = typing.get_type_hints(spec.fn, include_extras=True)
        signature = inspect.signature(spec.fn)
        tool_parameters = [
            parameter.replace(annotation=hints[parameter.name])
            for parameter in list(signature.parameters.values())[1:]
            if parameter.name != "plan"
        ]
        context = inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)
        wants_plan = "plan" in signature.parameters
        returns = hints["return"]

        @functools.wraps(spec.fn)
        async def tool(ctx: Context, **arguments: Any) -> Any:
            _CALL_STARTED.set(time.monotonic())
            caller = get_access_token()  # over HTTP: the caller's bearer token (server.py)
            try:
                _TENANT.set(self.tenants.get(caller.token if caller else None))
            except Refused as error:
                raise ToolError(str(error)) from None
            try:
                await self._pull_rate()
                async with self._one_at_a_time(spec, arguments):
                    if spec.plan is None:
                        return await self._run(spec, ctx, arguments, None, "not needed", [])
                    return await self._guarded(spec, ctx, arguments, wants_plan, returns)
            except SharedStateDown as error:  # raised before anything was sent
                raise ToolError(str(error)) from None
            finally:
                await self._push_rate()

        parameters = [*tool_parameters, context]
        tool.__signature__ = signature.replace(parameters=parameters, return_annotation=returns)
        tool.__annotations__ = {p.name: p.annotation for p in parameters} | {"return": returns}
        return tool

    def _budget_left(self) -> float:
        """Seconds this tool call may still take (``--call-budget`` from its start)."""
        started = _CALL_STARTED.get(None)
        spent = 0.0 if started is None else time.monotonic() - started
        return max(0.0, self.settings.call_budget - spent)

    @contextlib.asynccontextmanager
    async def _one_at_a_time(
        self, spec: ToolSpec, arguments: dict[str, Any]
    ) -> AsyncIterator[None]:
        """Creates of the same name run one after the other, so the second finds the first
        (the name check and the create are not atomic otherwise): no duplicates when an
        agent fires the same create twice in parallel."""
        if not spec.name.endswith(("_create", "_set")):  # *_set creates without an id
            yield
            return
        named = arguments.get("name") or arguments.get("names") or arguments
        key = f"{self.access.tenant}:{spec.name}:{json.dumps(named, sort_keys=True, default=str)}"
        held = self.settings.call_budget + self.settings.approval_wait + 60  # then it expires
        async with self.state.lock(key, held):  # across replicas with --redis-url
            yield

    async def _pull_rate(self) -> None:
        """Take the tenant's rate-limit reading from the shared state if it is newer."""
        if not self.state.shared:
            return
        tracker = self.access.rate_limit
        try:
            shared = await self.state.get_rate(self.access.tenant)
        except SharedStateDown as error:  # reads go on; what needs the state refuses itself
            log.warning("rate-limit reading not read: %s", error)
            return
        if shared is not None and shared[1] > tracker.seen:
            tracker.last, tracker.seen = shared

    async def _push_rate(self) -> None:
        """Share the tenant's reading if this call saw a newer one (best effort: the call
        itself is done by now)."""
        tracker = self.access.rate_limit
        if not self.state.shared or tracker.last is None or tracker.seen <= tracker.shared:
            return
        try:
            await self.state.put_rate(self.access.tenant, tracker.last, tracker.seen)
            tracker.shared = tracker.seen
        except SharedStateDown as error:
            log.warning("rate-limit reading not shared: %s", error)

    # -- before the call ---------------------------------------------------------------------

    async def _guarded(
        self, spec: ToolSpec, ctx: Context, arguments: dict[str, Any], wants_plan: bool, returns
    ) -> Any:
        try:
            plan = await spec.plan(self.access, **arguments)
            verdicts = [await self.policy.evaluate(self.access, op, p) for op, p in plan.requests]
        except DOError as error:
            raise ToolError(error.for_agent()) from None
        except Refused as error:
            raise ToolError(str(error)) from None
        self._refuse_if_unsafe(spec, plan, verdicts, arguments)
        preview = self._preview(plan, verdicts)
        plan = _with_policy_targets(plan, verdicts)  # api_call: the audit names what it touched
        keys = [request_key(op, params) for op, params in plan.requests]
        call = dict(arguments, plan=plan) if wants_plan else arguments
        needs = [v for v in verdicts if v.needs_approval]
        if not needs:
            return await self._run(spec, ctx, call, plan, "not needed", keys)
        unprotects = any(v.effect == "unprotect" for v in needs)
        if unprotects and self.page is None:
            raise ToolError(UNPROTECT_REFUSAL)
        if self.settings.confirm == "never" and not unprotects:
            return await self._run(spec, ctx, call, plan, "policy:never (--confirm never)", keys)
        requests = [v.as_dict() for v in verdicts]
        item = await self.approvals.open(
            spec.name, arguments, preview, requests, unprotects, tenant=self.access.tenant
        )
        if await self.approvals.first(item, "audited"):
            self._audit("pending", spec, arguments, plan=plan, approval={"id": item.id})
        outcome = await self._approval(spec, ctx, item)
        if isinstance(outcome, str):
            return await self._run(spec, ctx, call, plan, outcome, keys, item.id)
        if isinstance(outcome, InputRequiredResult):
            return outcome
        return await self._not_done(spec, arguments, item, outcome, returns)

    def _preview(self, plan: Plan, verdicts: list[Verdict]) -> str:
        """What the person is shown: the tool's own words, or the policy's for api_call."""
        text = plan.describe() if plan.targets else ""
        if not text:
            text = " ".join(f"{v.describe()[:1].upper()}{v.describe()[1:]}." for v in verdicts)
        if plan.bulk or any(v.fan_out for v in verdicts):
            count = max([len(plan.targets), *(v.fan_out for v in verdicts)])
            text += f" ({count} resource{'' if count == 1 else 's'} in one call.)"
        return text

    def _refuse_if_unsafe(
        self, spec: ToolSpec, plan: Plan, verdicts: list[Verdict], arguments: dict[str, Any]
    ) -> None:
        settings = self.settings
        reason = next((v.refusal for v in verdicts if v.refusal), None)
        if reason is None and settings.read_only and any(v.effect != "read" for v in verdicts):
            reason = (
                f"Refused: {spec.name} would {plan.action}, and this server runs read-only. "
                "To enable changes, restart it without --read-only (and without "
                "CARGOSHIPPER_READ_ONLY=true). Nothing was changed."
            )
        if reason is None and plan.destructive and plan.protect:
            protected = [t for t in plan.targets if self.policy.is_protected(t)]
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
        if reason is None:
            reason = cost_refusal(settings, _effect(verdicts), _cost(plan, verdicts))
        if reason:
            self._audit("refused", spec, arguments, error=reason, plan=plan)
            raise ToolError(reason)

    # -- asking a person ---------------------------------------------------------------------

    async def _approval(
        self, spec: ToolSpec, ctx: Context, item: PendingApproval
    ) -> str | InputRequiredResult | PendingApproval:
        """The channel that approved ``item``; an InputRequiredResult to send first (2026-07-28
        clients); or the item itself when it is denied or still pending."""
        if item.status == "approved" and await self.approvals.use(item.id):
            return str(item.decided_by)
        if item.status != "pending":
            return item
        form, url = _elicitation(ctx)
        modern = ctx.protocol_version in MODERN_PROTOCOL_VERSIONS
        question = f"{item.preview} Approve?"
        if form and self.settings.confirm == "auto" and not item.page_only:
            if modern:
                answer = _answer(ctx, item)
                if answer is None:
                    return _input_required(
                        item,
                        ElicitRequestFormParams(message=question, requested_schema=CONFIRM_SCHEMA),
                    )
                accepted = answer.action == "accept" and bool((answer.content or {}).get("confirm"))
            else:
                result = await ctx.elicit(question, Confirm)
                accepted = isinstance(result, AcceptedElicitation) and result.data.confirm
            return await self._decide_by_dialog(spec, item, accepted)
        if url and self.page is not None:
            link = self.page.link_for(item, self._caller_base(ctx))
            if modern:
                answer = _answer(ctx, item)
                if answer is None:
                    return _input_required(
                        item,
                        ElicitRequestURLParams(
                            message=f"{item.preview} Open CargoShipper's approval page to decide.",
                            url=link,
                        ),
                    )
            else:
                answer = await ctx.elicit_url(
                    f"{item.preview} Decide on CargoShipper's page.", link, item.id
                )
            if answer.action != "accept":  # the page was not opened: nobody to wait for now
                await self._announce(item)  # the person can still decide from the stderr link
                return await self.approvals.get(item.id) or item
            decided = await self._wait(ctx, item)
            if not modern:
                await _elicit_complete(ctx, item.id)
        else:
            await self._announce(item)
            decided = await self._wait(ctx, item)
        if decided.status == "approved" and await self.approvals.use(decided.id):
            return str(decided.decided_by)
        return decided

    def _caller_base(self, ctx: Context) -> str | None:
        """Where an HTTP caller reaches this server (``--public-url``, else the address its
        request came to, its Host checked against --allowed-hosts): its approval links point
        there, not at this host's loopback page. None over stdio and in memory."""
        request = getattr(ctx.request_context, "request", None)
        if not isinstance(request, Request):
            return None
        return self.settings.public_url or str(request.base_url)

    async def _decide_by_dialog(
        self, spec: ToolSpec, item: PendingApproval, accepted: bool
    ) -> str | PendingApproval:
        try:
            decided = await self.approvals.decide(item.id, accepted, "dialog")
        except LookupError:  # decided meanwhile on the page
            decided = await self.approvals.get(item.id) or item
        if decided.status == "approved" and await self.approvals.use(decided.id):
            return "dialog"
        return decided

    async def _announce(self, item: PendingApproval) -> None:
        """Tell the person, on CargoShipper's own stderr (never over MCP), where to decide."""
        if not await self.approvals.first(item, "announced"):
            return
        where = self.page.link_for(item) if self.page is not None else "(no approval page)"
        print(
            f"CargoShipper: approval needed ({item.id}): {item.preview}\n"
            f"  approve or deny: {where}   or: cargoshipper approve {item.id}",
            file=sys.stderr,
            flush=True,
        )

    async def _wait(self, ctx: Context, item: PendingApproval) -> PendingApproval:
        """Wait for the person's decision with progress, up to ``approval_wait`` seconds."""
        bound = self.settings.approval_wait
        start = time.monotonic()
        last_report = -1.0
        while (elapsed := time.monotonic() - start) < bound:
            current = await self.approvals.get(item.id) or item
            if current.status != "pending":
                return current
            if elapsed - last_report >= 1.0:
                last_report = elapsed
                message = f"Waiting for a person to approve {item.id} ({elapsed:.0f} s)"
                try:
                    await ctx.report_progress(elapsed, bound, message)
                except Exception:  # progress is best effort
                    log.debug("progress not sent", exc_info=True)
            await anyio.sleep(min(0.2, bound - elapsed))
        return await self.approvals.get(item.id) or item

    async def _not_done(
        self, spec: ToolSpec, arguments: dict[str, Any], item: PendingApproval, outcome, returns
    ) -> CallToolResult:
        """A normal result: nothing was done; denied, or still waiting for a person."""
        state = {"id": item.id, "status": outcome.status, "preview": item.preview}
        if outcome.status == "denied":
            await self.approvals.forget(item.id)
            by = outcome.decided_by or "a person"
            message = f"Not done: the request was denied ({by}). Nothing was changed."
            self._audit("refused", spec, arguments, error=message, approval=_decision(outcome))
        elif outcome.status == "pending":
            message = (
                f"Nothing has been done yet: waiting for a person to approve {item.id}: "
                f"{item.preview} They decide on CargoShipper's approval page (they have its "
                f"link). Once approved, call {spec.name} again with exactly the same arguments; "
                "do not try another way."
            )
        else:
            message = (
                f"Nothing was done: the approval {item.id} expired or no longer matches what "
                f"the call would do. Call {spec.name} again to ask anew."
            )
        return _pending_result(returns, message, state)

    # -- the call ----------------------------------------------------------------------------

    async def _run(
        self,
        spec: ToolSpec,
        ctx: Context,
        arguments: dict[str, Any],
        plan: Plan | None,
        approved_by: str,
        keys: list[str],
        approval_id: str | None = None,
    ) -> CallToolResult:
        plain = {key: value for key, value in arguments.items() if key != "plan"}
        approval = {"by": approved_by, "id": approval_id} if approval_id else {"by": approved_by}
        try:
            call_id = self._audit("intent", spec, plain, plan=plan, approval=approval)
        except OSError as error:  # fail closed: no change goes unrecorded
            raise ToolError(
                f"Refused: the audit log cannot be written ({error.strerror or error}); "
                "nothing was done. Fix the log's disk or permissions, or set --audit-log."
            ) from None
        do = self.access.for_call(ctx.report_progress, self._budget_left())
        with request_ids() as seen, journal() as changes, grant(keys, approved_by):
            try:
                result = await spec.fn(do, **arguments)
            except (DOError, Refused, ToolError) as error:
                failed = isinstance(error, DOError)
                message = error.for_agent() if failed else str(error)
                if failed and error.look_for:
                    message += (
                        f" Calling {spec.name} again with the same arguments is safe: it looks "
                        "for that first and creates nothing twice."
                    )
                outcome = "error" if failed else "refused"
                note = self._outcome(spec, plain, call_id, outcome, message, seen, plan, changes)
                if changes:
                    message += f" Done before it failed: {_summary(changes)}."
                raise ToolError(message + note) from None
        if plan and plan.cost and "cost" in type(result).model_fields:
            result.cost = plan.cost.as_dict()
        note = self._outcome(spec, plain, call_id, "ok", None, seen, plan, changes, approval)
        if note:
            result.titled(result.headline + note)
        return _to_call_result(result)

    def _outcome(
        self, spec: ToolSpec, arguments: dict[str, Any], call_id: str | None, *rest: Any
    ) -> str:
        """Write the outcome line; if that fails, the text that tells the agent so."""
        try:
            self._audit("outcome", spec, arguments, call_id, *rest)
        except OSError as error:
            log.error("audit outcome not written for %s: %s", spec.name, error)
            return (
                " Warning: this was done, but its outcome could not be written to the audit log "
                f"({error.strerror or error})."
            )
        return ""

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
        changes: list[Change] | None = None,
        approval: dict[str, Any] | None = None,
    ) -> str | None:
        """Append one audit line for a call that changes things (reads are not logged)."""
        is_read = spec.access is Access.READ or (plan is not None and plan.effect == "read")
        if self.audit is None or is_read:
            return call_id
        call_id = call_id or self.audit.new_call_id()
        fields: dict[str, Any] = {"tool": spec.name, "tenant": self.access.tenant[:12]}
        fields["arguments"] = redact(arguments)
        fields["api"] = "sandbox" if self.settings.sandbox else self.settings.api_url
        if approval:
            fields["approval"] = approval
        if outcome:
            fields["outcome"] = outcome
        if error:
            fields["error"] = error
        if seen:
            fields["request_ids"] = sorted(set(seen))
        if event != "outcome" and plan is not None:
            fields["targets"] = [target.as_dict() for target in plan.targets]
        if event == "outcome":
            fields.update(_affected(plan, changes or []))
        self.audit.write(event, call_id, **fields)
        return call_id


def _with_policy_targets(plan: Plan, verdicts: list[Verdict]) -> Plan:
    """A plan that names no targets of its own (api_call's) gets the ones the policy found."""
    if plan.targets:
        return plan
    found = tuple(target for verdict in verdicts for target in verdict.targets)
    return dataclasses.replace(plan, targets=found)


def _effect(verdicts: list[Verdict]) -> str:
    effects = {v.effect for v in verdicts}
    return "spend" if "spend" in effects else ("destroy" if "destroy" in effects else "write")


def _cost(plan: Plan, verdicts: list[Verdict]):
    """The plan's own cost, else the sum of what the policy priced."""
    if plan.cost is not None:
        return plan.cost
    priced = [v.cost for v in verdicts if v.cost is not None]
    unpriced = any(v.effect == "spend" and v.cost is None for v in verdicts)
    return None if unpriced or not priced else total(priced)


def _elicitation(ctx: Context) -> tuple[bool, bool]:
    """(form, url): the dialog kinds the client declared."""
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    if elicitation is None:
        return False, False
    form = elicitation.form is not None or elicitation.url is None
    return form, elicitation.url is not None


def _answer(ctx: Context, item: PendingApproval) -> Any:
    """The client's answer to our question about ``item`` (2026-07-28 second round)."""
    if ctx.request_state != item.id or not ctx.input_responses:
        return None
    return ctx.input_responses.get("approval")


def _input_required(item: PendingApproval, params: Any) -> InputRequiredResult:
    return InputRequiredResult(
        input_requests={"approval": ElicitRequest(params=params)}, request_state=item.id
    )


async def _elicit_complete(ctx: Context, elicitation_id: str) -> None:
    try:
        await ctx.session.send_elicit_complete(elicitation_id, related_request_id=ctx.request_id)
    except Exception:  # the client may not listen; the result still arrives
        log.debug("elicitation/complete not sent", exc_info=True)


def _decision(item: PendingApproval) -> dict[str, Any]:
    return {"by": item.decided_by, "id": item.id}


def _pending_result(returns: Any, message: str, state: dict[str, Any]) -> CallToolResult:
    """A normal result of the tool's own type, saying nothing was done and why."""
    model = returns if isinstance(returns, type) and issubclass(returns, BaseModel) else None
    structured: dict[str, Any] = {}
    if model is not None:
        for name, info in model.model_fields.items():
            if info.is_required():
                structured[name] = _empty(info.annotation, message if name == "message" else "")
        structured = model(**structured).model_dump(mode="json")
        if "approval" in model.model_fields:
            structured["approval"] = state
    text = json.dumps(structured, separators=(",", ":"), ensure_ascii=False)
    return CallToolResult(
        content=[TextContent(type="text", text=f"{message}\n{text}")],
        structured_content=structured,
    )


def _empty(annotation: Any, message: str) -> Any:
    """An empty value of a result field's type (the message fills text fields)."""
    origin = typing.get_origin(annotation) or annotation
    if origin is list:
        return []
    if origin is dict:
        return {}
    if origin is bool:
        return False
    if origin is str:
        return message
    if origin is int:
        return 0
    return None


def _affected(plan: Plan | None, changes: list[Change]) -> dict[str, list[dict[str, Any]]]:
    """What the call really created, changed and deleted: its successful requests, named by
    the plan's targets where they match."""
    known = {str(target.id): target.as_dict() for target in plan.targets} if plan else {}
    found: dict[str, list[dict[str, Any]]] = {"created": [], "changed": [], "deleted": []}
    for change in changes:
        if change.created:
            found["created"] += change.created
            continue
        ids = [value for key, value in change.path.items() if key != "tag_name"]
        if not ids and "tag_name" in change.path:
            entry = {"kind": "tag", "id": change.path["tag_name"], "name": change.operation}
        else:
            ident = ids[-1] if ids else change.operation
            entry = known.get(str(ident)) or {"id": ident, "operation": change.operation}
        key = "deleted" if change.method == "DELETE" else "changed"
        if entry not in found[key]:
            found[key].append(entry)
    return {key: entries for key, entries in found.items() if entries}


def _summary(changes: list[Change]) -> str:
    """What succeeded before a failure, naming what was created (id and name)."""
    parts = []
    for change in changes:
        text = f"{change.operation} {' '.join(str(v) for v in change.path.values())}".strip()
        made = ", ".join(
            f"id {c['id']}" + (f" ({c['name']})" if c.get("name") else "") for c in change.created
        )
        parts.append(f"{text}, which created {made}" if made else text)
    return "; ".join(parts)


def _to_call_result(result: Any) -> CallToolResult:
    structured = result.model_dump(mode="json")
    text = json.dumps(structured, separators=(",", ":"), ensure_ascii=False)
    return CallToolResult(
        content=[TextContent(type="text", text=f"{result.headline}\n{text}")],
        structured_content=structured,
    )
