"""Path parameters: a request goes only where its operation's path template says.

Every value that fills a ``{segment}`` of a URL is checked before anything is sent, whatever
called the access layer (a curated tool or ``api_call``): a scalar, non-empty, not ``.`` or
``..``, and free of what moves or ends a path (``/``, ``\\``, ``?``, ``#``, ``%``), of
whitespace and control characters (CR, LF, NUL), and of URLs. pydo fills the template; a
value that passed here cannot leave its segment.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from ..operations import Operation
from ._errors import Refused

_UNSAFE = re.compile(r"[/\\?#%\s\x00-\x1f\x7f]|://")
MAX_SEGMENT = 255


def check_path_params(operation: Operation, params: dict[str, Any]) -> None:
    """Raise :class:`Refused` naming the first path parameter that is not a plain id."""
    for name in operation.path_params:
        if name not in params:
            continue
        problem = path_problem(params[name])
        if problem:
            raise Refused(
                f"Refused: path parameter {name}={shorten(params[name])} {problem}; "
                f"nothing was sent. {operation.id} takes {operation.path}."
            )


def path_problem(value: Any) -> str | None:
    """Why ``value`` cannot fill one path segment, or None."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return f"must be a string or an integer, not {type(value).__name__}"
    text = str(value)
    if not text:
        return "is empty"
    if text in (".", ".."):
        return "would move the request to another path"
    if len(text) > MAX_SEGMENT:
        return f"is longer than {MAX_SEGMENT} characters"
    if _UNSAFE.search(text):
        return "contains a character that would leave its path segment (/ \\ ? # % or a space)"
    return None


def fill(template: str, values: dict[str, Any]) -> str:
    """A path from its template, every value checked and percent-encoded."""
    for name, value in values.items():
        problem = path_problem(value)
        if problem:
            raise Refused(f"Refused: {name}={shorten(value)} {problem}; nothing was sent.")
        template = template.replace("{" + name + "}", quote(str(value), safe=""))
    return template


def shorten(value: Any, limit: int = 60) -> str:
    """A value quoted for an error message, cut to a short prefix (never echo 1 MB back)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"
