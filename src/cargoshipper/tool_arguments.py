"""Arguments checked before a tool runs: unknown names refused, and validation errors told in
one line per bad argument (what was wrong, what is accepted, an example), not pydantic dumps."""

from __future__ import annotations

import difflib
import re
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import ValidationError

_EXAMPLE = re.compile(r"e\.g\. (\[.*?\]|\{.*?\}|.+?)(?: \(|[;,)] |\.\s|[.)]?$)")


def check_arguments(tool: Any, arguments: dict[str, Any] | None) -> None:
    """Raise ToolError naming every unknown or invalid argument of a call to ``tool`` (an
    MCPServer ``Tool``), before anything runs."""
    properties: dict[str, Any] = tool.parameters.get("properties", {})
    given = arguments or {}
    unknown = [name for name in given if name not in properties]
    if unknown:
        raise ToolError(_unknown(tool.name, unknown, properties))
    try:
        tool.fn_metadata.validate_arguments(given)
    except ValidationError as error:
        lines = [_explain(item, properties) for item in error.errors()]
        unique = list(dict.fromkeys(lines))
        raise ToolError(f"Invalid arguments for {tool.name}: " + " | ".join(unique)) from None


def _unknown(tool: str, unknown: list[str], properties: dict[str, Any]) -> str:
    parts = []
    for name in unknown:
        close = [known for known in properties if name.lower() in known] or (
            difflib.get_close_matches(name, properties, n=1, cutoff=0.5)
        )
        hint = f" (did you mean {close[0]}?)" if close else ""
        parts.append(f"{name!r}{hint}")
    valid = ", ".join(properties) or "none"
    return (
        f"Unknown argument{'s' if len(unknown) > 1 else ''} for {tool}: {', '.join(parts)}. "
        f"Nothing was done. Valid arguments: {valid}."
    )


def _explain(item: dict[str, Any], properties: dict[str, Any]) -> str:
    """One line for one pydantic error: ``name: what was wrong (got X); accepted: ...; e.g. Y``."""
    location = [str(part) for part in item.get("loc", ())]
    name = location[0] if location else "arguments"
    where = name + "".join(f"[{part}]" for part in location[1:])
    schema = _plain(properties.get(name, {}))
    if item.get("type") == "missing":
        text = f"{where}: required"
    else:
        got = _quote(item.get("input"))
        text = f"{where}: {_lower_first(item.get('msg', 'invalid'))} (got {got})"
    accepted = _accepted(schema)
    if accepted:
        text += f"; accepted: {accepted}"
    example = _example(schema)
    if example:
        text += f"; e.g. {name}={example}"
    return text


def _plain(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema of ``X | None`` is X's, with the description kept."""
    options = [o for o in schema.get("anyOf", []) if o != {"type": "null"}]
    if len(options) == 1:
        return {**options[0], "description": schema.get("description", "")}
    return schema


def _accepted(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return " | ".join(str(value) for value in schema["enum"])
    if "const" in schema:
        return str(schema["const"])
    kind = schema.get("type")
    if kind is None:
        return ""
    bounds = []
    for key, word in (("minimum", ">="), ("maximum", "<="), ("minLength", "length >=")):
        if key in schema:
            bounds.append(f"{word} {schema[key]}")
    if "maxLength" in schema:
        bounds.append(f"length <= {schema['maxLength']}")
    if kind == "array" and "maxItems" in schema:
        bounds.append(f"at most {schema['maxItems']} items")
    noun = {"integer": "an integer", "number": "a number", "boolean": "true or false"}.get(
        kind, f"a {kind}"
    )
    if kind == "array":
        items = (schema.get("items") or {}).get("type")
        noun = f"a list of {items}s" if items else "a list"
    return noun + (f" ({', '.join(bounds)})" if bounds else "")


def _example(schema: dict[str, Any]) -> str | None:
    found = _EXAMPLE.search(schema.get("description", ""))
    return found[1].strip() if found else None


def _quote(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
