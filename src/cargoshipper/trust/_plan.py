"""What a call is about to do, worked out before it does it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Effect = Literal["read", "create", "change", "delete"]


@dataclass(frozen=True)
class Target:
    """One resource a call will touch."""

    kind: str  # "droplet", "image", ...
    id: int | str
    name: str
    tags: tuple[str, ...] = ()

    def label(self) -> str:
        return f"{self.kind} {self.name} ({self.id})"

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "name": self.name}


@dataclass(frozen=True)
class Cost:
    """Money a call adds to the monthly bill (negative when it saves)."""

    monthly: float
    hourly: float
    detail: str  # e.g. "2 x s-1vcpu-1gb at $6.00/month"
    estimate: bool = False  # True when from published prices, not the API

    def describe(self) -> str:
        sign = "+" if self.monthly >= 0 else "-"
        approx = "about " if self.estimate else ""
        return (
            f"{approx}{sign}${abs(self.monthly):.2f}/month ({sign}${abs(self.hourly):.5f}/hour): "
            f"{self.detail}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "monthly_usd": round(self.monthly, 2),
            "hourly_usd": round(self.hourly, 5),
            "detail": self.detail,
            "estimate": self.estimate,
        }


@dataclass(frozen=True)
class Plan:
    """A call's intended effect: the question a human confirms, and what the guard checks.

    ``destructive`` is False for the harmless variants of a destructive tool (a power_on
    through droplet_action); those run without confirmation or protection checks.
    """

    action: str  # a verb phrase: "delete", "power off", "resize (with disk)"
    effect: Effect
    targets: tuple[Target, ...] = ()
    destructive: bool = True
    protect: bool = True  # refuse when a target carries the protected tag
    bulk: bool = False  # the targets were selected by tag or name
    cost: Cost | None = None
    extra: str = ""  # anything else a human should know, e.g. "the disk is erased"
    notes: dict[str, Any] = field(default_factory=dict)
    #: The requests the tool will send, as ``(operation, params)``: exactly what
    #: ``do.call(operation, **params)`` receives (no subject/lookup_hint). The person approves
    #: these, and only these pass the policy afterwards, once each.
    requests: tuple[tuple[str, dict[str, Any]], ...] = ()

    def describe(self) -> str:
        """One deterministic paragraph: the same text on every confirmation round."""
        count = len(self.targets)
        kinds = {target.kind for target in self.targets}
        noun = next(iter(kinds)) if len(kinds) == 1 else "resource"
        listing = ", ".join(f"{t.name} ({t.id})" for t in self.targets)
        plural = noun if count == 1 or noun.endswith("s") else f"{noun}s"
        text = f"{self.action.capitalize()} {count} {plural}: {listing}."
        if self.extra:
            text += f" {self.extra}"
        if self.cost:
            text += f" Cost: {self.cost.describe()}."
        return text
