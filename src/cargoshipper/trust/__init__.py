"""Trust: what may run, after whose approval, within which limits, and the record of it.

Two places enforce it, and no tool carries rules of its own:
- the policy (``_policy.py``) judges every request at the access layer, by operation (a
  committed table of all ~840, ``operation_classes.json``) and arguments; what it does not know
  is treated as destructive;
- the guard (``_guard.py``) wraps each tool once: it shows a person the tool's plan (the exact
  requests it will send), asks through a channel the agent cannot reach, and lets exactly the
  approved requests through the policy, once.
"""

from . import _pricing as pricing
from ._approvals import Approvals, PendingApproval
from ._audit import AuditLog, format_record, parse_since, read_records
from ._guard import Guard
from ._plan import Cost, Plan, Target
from ._policy import Policy, Verdict, operation_classes, request_key, size_prices
from ._secrets import mask_secrets, mask_text, redact

__all__ = [
    "Approvals",
    "AuditLog",
    "Cost",
    "Guard",
    "PendingApproval",
    "Plan",
    "Policy",
    "Target",
    "Verdict",
    "format_record",
    "mask_secrets",
    "mask_text",
    "operation_classes",
    "parse_since",
    "pricing",
    "read_records",
    "redact",
    "request_key",
    "size_prices",
]
