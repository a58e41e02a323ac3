"""Actions: the status of any long DigitalOcean operation."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ..access import DOAccess
from ..registry import Access, Toolset
from ._common import ActionResult, Wait, WaitTimeout, action_view, unfinished_message

TOOLSET = Toolset("actions", "Status of long operations (actions).")


@TOOLSET.tool(Access.READ)
async def action_get(
    do: DOAccess,
    action_id: Annotated[int, Field(ge=1, description="Action id, e.g. 36804636.")],
    wait: Wait = False,
    timeout: WaitTimeout = 300,
) -> ActionResult:
    """Show one action (a create, resize, snapshot, power change...) by id: type, status
    (in-progress, completed, errored), resource. With wait=true, wait for it to finish."""
    lookup = {
        "subject": f"action {action_id}",
        "lookup_hint": "tools that start actions return their ids",
    }
    if wait:
        waited = await do.wait_for_action(action_id, timeout=timeout)
        action, done = waited.value, waited.done
    else:
        action = (await do.call("actions.get", action_id=action_id, **lookup))["action"]
        done = action.get("status") in ("completed", "errored")
    status = action.get("status")
    message = f"Action {action_id} ({action.get('type')}) is {status}."
    if wait and not done:
        message = unfinished_message([waited], f"Action {action_id}")
    return ActionResult(
        done=done, actions=[action_view(action)], resources=[], message=message
    ).titled(message)
