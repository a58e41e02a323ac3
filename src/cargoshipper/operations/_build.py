"""Build the operations index from the installed pydo and the vendored OpenAPI spec.

Offline and slow (imports pydo, parses a 3 MB YAML file): run it through
``scripts/build_operations_index.py``, never at server runtime. The result is the committed
``operations.json``; ``render(build_index())`` is byte-for-byte reproducible.

Where each field comes from:

* id, HTTP verb, URL template: pydo itself. Every generated operation method calls one
  ``build_<group>_<method>_request`` function, whose source holds ``_url = "..."`` and
  ``HttpRequest(method="...")``.
* path, query and header parameters: the pydo method's signature (pydo keyword names, which
  can differ from the wire names: ``from_parameter``, ``request_id_parameter``), sorted into
  path, header and query by the request builder's source.
* summary, tags, request-body schema: the spec operation with the same verb and path
  template; for operations the spec lacks, the pydo method's docstring (its first line, and
  its "JSON input template" for the body).
"""

from __future__ import annotations

import datetime
import inspect
import json
import re
import types
import typing
from pathlib import Path
from typing import Any

FORMAT = 1
INDEX_PATH = Path(__file__).with_name("operations.json")
SPEC_PATH = Path(__file__).resolve().parents[3] / "spec" / "digitalocean-public.v2.yaml"

_VERBS = ("get", "post", "put", "patch", "delete")
_JSON_TYPES = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    datetime.datetime: "string",
    datetime.date: "string",
}
# azure-core conditional-request options (If-Match / If-None-Match), not API parameters.
_AZURE_KWARGS = {"etag", "match_condition"}
_ENUM_MAX = 40  # longer enums are cut (ending in "|...") to keep the index and results small
_SUMMARY_MAX = 120


# --- the spec ------------------------------------------------------------------------------


def _template_key(verb: str, path: str) -> tuple[str, str]:
    return verb.upper(), re.sub(r"\{[^}]+\}", "{}", path)


class _Spec:
    def __init__(self, doc: dict) -> None:
        self.doc = doc
        self.ops = {
            _template_key(verb, path): op
            for path, item in doc["paths"].items()
            for verb, op in item.items()
            if verb in _VERBS
        }

    def deref(self, node: Any) -> Any:
        """Follow local ``$ref``s (``#/components/...``) to the node they point at."""
        for _ in range(50):
            if not (isinstance(node, dict) and "$ref" in node):
                return node
            target: Any = self.doc
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        raise ValueError("$ref chain too long")

    def request_body(self, op: dict) -> tuple[dict | None, bool]:
        """(the JSON body schema or None, whether the spec marks the body required)."""
        body = self.deref(op.get("requestBody"))
        if not body:
            return None, False
        content = body.get("content", {})
        media = content.get("application/json") or next(iter(content.values()), {})
        return self.deref(media.get("schema")), bool(body.get("required"))

    def flatten(self, schema: Any, depth: int = 0) -> tuple[dict[str, list], set[str]]:
        """Top-level properties (name -> its schemas) and required names of a body schema.

        ``allOf`` parts are combined; ``oneOf``/``anyOf`` alternatives are merged: their
        properties united, and a property required only if every alternative requires it.
        """
        s = self.deref(schema)
        props: dict[str, list] = {}
        if not isinstance(s, dict) or depth > 10:
            return props, set()
        parts = [self.flatten(sub, depth + 1) for sub in s.get("allOf", [])]
        alternatives = [self.flatten(a, depth + 1) for a in s.get("oneOf") or s.get("anyOf") or []]
        if alternatives:
            parts.append(({}, set.intersection(*(req for _, req in alternatives))))
        required = set().union(*(part_required for _, part_required in parts))
        for part_props, _ in parts + alternatives:
            for name, schemas in part_props.items():
                props.setdefault(name, []).extend(schemas)
        for name, sub in s.get("properties", {}).items():
            props.setdefault(name, []).append(sub)
        required |= set(s.get("required", []))
        return props, required

    def brief_type(self, schema: Any, depth: int = 0) -> str:
        """A short type: "string", "array of string", "enum: a|b|c", "string or integer"..."""
        s = self.deref(schema)
        if not isinstance(s, dict) or depth > 6:
            return "any"
        if "enum" in s:
            return _enum([s])
        if "allOf" in s:
            known = [t for t in (self.brief_type(p, depth + 1) for p in s["allOf"]) if t != "any"]
            if known:
                return known[0]
        alternatives = s.get("oneOf") or s.get("anyOf")
        if alternatives:
            return _either(self.brief_type(a, depth + 1) for a in alternatives)
        kind = s.get("type") or ("object" if "properties" in s else "any")
        if kind == "array":
            return "array of " + self.brief_type(s.get("items"), depth + 1)
        return kind

    def body_schema(self, schema: Any) -> dict | None:
        props, required = self.flatten(schema)
        kept = {}
        for name, schemas in props.items():
            resolved = [self.deref(p) for p in schemas]
            if all(isinstance(r, dict) and r.get("readOnly") for r in resolved):
                continue  # response-only fields
            if all(isinstance(r, dict) and "enum" in r for r in resolved):
                kept[name] = _enum(resolved)
            else:
                kept[name] = _either(self.brief_type(r) for r in resolved)
        if not kept and self.brief_type(schema) != "object":
            return None  # not an object body (e.g. a raw array or file): nothing useful to say
        return {"required": sorted(required & kept.keys()), "properties": kept}


def _enum(schemas: list[dict]) -> str:
    values = list(dict.fromkeys(v for s in schemas for v in s["enum"] if v is not None))
    shown = [v if isinstance(v, str) else json.dumps(v) for v in values[:_ENUM_MAX]]
    return "enum: " + "|".join(shown) + ("|..." if len(values) > _ENUM_MAX else "")


def _either(types: typing.Iterable[str]) -> str:
    unique = [t for t in dict.fromkeys(p for t in types for p in t.split(" or ")) if t != "any"]
    return " or ".join(unique) if unique else "any"


# --- pydo docstrings (for operations the spec lacks) ----------------------------------------


def _doc_summary(doc: str | None) -> str:
    first = (doc or "").strip().split("\n\n")[0]
    return " ".join(first.split()).rstrip(".")


def _doc_body_schema(doc: str | None) -> dict | None:
    """Top-level keys of the docstring's "JSON input template" (``body = {...}``)."""
    match = re.search(r"^( *)body = \{\n(.*?)^\1\}", doc or "", re.M | re.S)
    if not match:
        return None
    indent = len(match.group(1)) + 4
    props: dict[str, str] = {}
    required: list[str] = []
    # each top-level key starts a chunk that runs until the next top-level key
    for chunk in re.split(rf"\n(?= {{{indent}}}\")", "\n" + match.group(2)):
        key = re.match(rf' {{{indent}}}"([^"]+)": (\S+)', chunk)
        if not key:
            continue
        name, value = key.groups()
        # an object's or array's own comment is on its first line; later ones are its members'
        own = chunk.strip("\n").split("\n")[0] if value.startswith(("{", "[")) else chunk
        comment = " ".join(own.split())
        if value.startswith("["):
            item = re.search(r'\n\s*("|\d|\{|\[|bool)', chunk)
            props[name] = "array of " + _doc_value_type(item.group(1) if item else "")
        else:
            props[name] = _doc_value_type(value)
        known = re.search(r"Known values are: (.*?)\.(?:\s|$)", comment)
        if known and props[name] == "string":
            props[name] = "enum: " + "|".join(re.findall(r'"([^"]*)"', known.group(1)))
        if re.search(r"\bRequired\.", comment):
            required.append(name)
    return {"required": sorted(required), "properties": props}


def _doc_value_type(value: str) -> str:
    if value.startswith('"'):
        return "string"
    if value.startswith("bool"):
        return "boolean"
    if value.startswith("{"):
        return "object"
    if value.startswith("["):
        return "array"
    if re.match(r"\d+\.\d", value):
        return "number"
    return "integer" if re.match(r"\d", value) else "any"


# --- pydo -----------------------------------------------------------------------------------


def _json_type(annotation: Any) -> str:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
        annotation = args[0]
    if typing.get_origin(annotation) is list:
        return "array"
    return _JSON_TYPES.get(annotation, "object")


def _source(function: Any, lines: list[str]) -> str:
    """A module-level function's source, from the module's lines (faster than inspect)."""
    start = function.__code__.co_firstlineno - 1
    end = start + 1
    while end < len(lines) and not re.match(r"(def |class |@)", lines[end]):
        end += 1
    return "\n".join(lines[start:end])


def pydo_operations() -> dict[str, tuple[Any, Any]]:
    """``"group.method"`` -> (the generated method, its request builder), for every
    generated HTTP operation of ``pydo.Client``. Hand-written extras (``agents``,
    ``gateway``, ``images.generate``, ``insights.post_prom_*``) are not generated: skipped."""
    # Offline builder: the one place outside cargoshipper.access that needs pydo itself.
    import pydo  # noqa: TID251
    import pydo.operations._operations as generated  # noqa: TID251

    client = pydo.Client(token="index-builder")  # no request is ever sent
    found = {}
    for group, obj in vars(client).items():
        if group.startswith("_"):
            continue
        cls = next((k for k in type(obj).__mro__ if k.__module__ == generated.__name__), None)
        if cls is None:
            continue
        for name, method in vars(cls).items():
            if name.startswith("_") or not inspect.isfunction(method):
                continue
            method = inspect.unwrap(method)  # strip the tracing decorator
            builders = {
                n for n in method.__code__.co_names if re.fullmatch(r"build_\w+_request", n)
            }
            if len(builders) != 1:
                raise RuntimeError(f"{group}.{name}: expected one request builder, {builders}")
            (builder,) = builders
            found[f"{group}.{name}"] = (method, getattr(generated, builder))
    return found


def _operation(method: Any, builder: Any, lines: list[str], spec: _Spec) -> dict:
    source = _source(builder, lines)
    path = re.search(r'_url = \(?\s*"([^"]+)"', source).group(1)
    verb = re.search(r'HttpRequest\(\s*method="(\w+)"', source).group(1)
    placeholders = dict(re.findall(r'"(\w+)": _SERIALIZER\.url\(\s*"\w+",\s*(\w+)', source))
    headers = set(re.findall(r"_SERIALIZER\.header\(\s*\"\w+\",\s*(\w+)", source))

    params = list(inspect.signature(method).parameters.values())[1:]  # without self
    path_params = tuple(placeholders[p] for p in re.findall(r"\{(\w+)\}", path))
    body_param = None
    query, required_query = {}, []
    for p in params:
        if p.kind is p.VAR_KEYWORD or p.name in path_params or p.name in _AZURE_KWARGS:
            continue
        if p.kind is p.POSITIONAL_OR_KEYWORD:  # body (JSON or IO) or data (IO only)
            body_param = p
            continue
        query[p.name] = _json_type(p.annotation)
        if p.default is p.empty:
            required_query.append(p.name)

    spec_op = spec.ops.get(_template_key(verb, path))
    summary = " ".join(((spec_op or {}).get("summary") or _doc_summary(method.__doc__)).split())
    if len(summary) > _SUMMARY_MAX:
        summary = summary[: _SUMMARY_MAX - 3].rstrip() + "..."
    entry: dict[str, Any] = {"method": verb, "path": path, "summary": summary}
    if spec_op and spec_op.get("tags"):
        entry["tags"] = list(spec_op["tags"])
    if path_params:
        entry["path_params"] = list(path_params)
    if query:
        entry["query_params"] = query
    if required_query:
        entry["required_query"] = required_query
    if header_params := [n for n in query if n in headers]:
        entry["header_params"] = header_params
    if body_param is not None:
        if spec_op:
            schema, spec_required = spec.request_body(spec_op)
            brief = spec.body_schema(schema) if schema else None
        else:
            spec_required, brief = False, _doc_body_schema(method.__doc__)
        required = (
            body_param.default is body_param.empty
            or spec_required
            or bool(brief and brief["required"])
        )
        entry["body"] = "required" if required else "optional"
        if brief is not None:
            entry["body_schema"] = brief
        if body_param.name != "body":
            entry["body_param"] = body_param.name
    return entry


def build_index(spec_path: Path = SPEC_PATH) -> dict:
    """The whole index as a JSON-ready dict (see ``render``)."""
    import pydo.operations._operations as generated  # noqa: TID251  (offline builder)
    import yaml
    from pydo import _version  # noqa: TID251  (offline builder)

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    spec = _Spec(yaml.load(spec_path.read_text(encoding="utf-8"), Loader=loader))
    lines = Path(generated.__file__).read_text(encoding="utf-8").splitlines()
    ops = {
        op_id: _operation(method, builder, lines, spec)
        for op_id, (method, builder) in pydo_operations().items()
    }
    return {"format": FORMAT, "pydo": _version.VERSION, "operations": ops}


def render(index: dict) -> str:
    """Compact, sorted, reproducible JSON text: one operation a line, for readable diffs."""

    def dump(value: Any) -> str:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    ops = index["operations"]
    head = dump({key: value for key, value in index.items() if key != "operations"})
    lines = [f"{dump(op_id)}:{dump(ops[op_id])}" for op_id in sorted(ops)]
    return head[:-1] + ',"operations":{\n' + ",\n".join(lines) + "\n}}\n"
