"""Trust: what may run, after whose confirmation, within which limits, and the record of it.

One mechanism that every tool declares into (``registry.ToolSpec``: its class and its plan),
never per-tool code: the guard (``_guard.py``) wraps each tool once at registration.
"""

from ._audit import AuditLog, format_record, parse_since, read_records
from ._codes import ConfirmationCodes
from ._guard import Guard
from ._plan import Cost, Plan, Target
from ._secrets import mask_secrets, redact

__all__ = [
    "AuditLog",
    "ConfirmationCodes",
    "Cost",
    "Guard",
    "Plan",
    "Target",
    "format_record",
    "mask_secrets",
    "parse_since",
    "read_records",
    "redact",
]
