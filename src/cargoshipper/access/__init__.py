"""The access layer: the only code that talks to pydo.

Client construction, one error type, retries that never duplicate a create, rate-limit
tracking, pagination and waiting for long operations all live here, once.
"""

from ._access import DOAccess, Gate, preload, tenant_of
from ._errors import DOError, Refused
from ._journal import Change, journal
from ._pagination import MAX_PER_PAGE, Page
from ._ratelimit import RateLimit, request_ids
from ._tenants import Tenants
from ._waiting import Progress, Waited

__all__ = [
    "MAX_PER_PAGE",
    "Change",
    "DOAccess",
    "DOError",
    "Gate",
    "Page",
    "Progress",
    "RateLimit",
    "Refused",
    "Tenants",
    "Waited",
    "journal",
    "preload",
    "request_ids",
    "tenant_of",
]
