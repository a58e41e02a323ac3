"""Build ``spec_index.json``: what the sandbox's fallback needs from the vendored OpenAPI spec.

Offline and slow (parses the 3 MB YAML spec and validates with openapi-core, both dev
dependencies); the sandbox itself only reads the committed JSON::

    .venv/bin/python -m cargoshipper.sandbox._spec_index          # write the index
    .venv/bin/python -m cargoshipper.sandbox._spec_index --check  # exit 1 if it is stale

The index holds every ``/v2`` operation of the spec (method and path template) and, for each
collection the generic store can serve, what the spec says about it: ``/v2/<collection>`` with
GET (list) and POST (create) and one ``/v2/<collection>/{id}`` item path. The envelope keys come
from the response schemas (the list's one array property, the create answer's one object
property), the id from the item path parameter, the sample item from the create operation's
response example or, failing that, its schema. A collection is kept only if the store's list,
create and get answers validate against the spec; any other item operation whose answer does not
validate is left out (the sandbox then answers 501 for it).
"""

from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path
from typing import Any

from ._generic import INDEX_PATH
from ._models import JSON

SPEC_PATH = Path(__file__).resolve().parents[3] / "spec" / "digitalocean-public.v2.yaml"
FORMAT = 1
SERVER = "https://api.digitalocean.com"

_VERBS = ("get", "post", "put", "patch", "delete")
_ENVELOPE_EXTRAS = ("links", "meta")
_FORMATS = {
    "date-time": "2026-01-01T00:00:00Z",
    "date": "2026-01-01",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "email": "sammy@example.com",
    "uri": "https://example.com",
}
_ID_KINDS = ("uuid", "ipv4", "ipv6")


class _Spec:
    def __init__(self, doc: JSON) -> None:
        self.doc = doc
        self.paths: dict[str, JSON] = doc["paths"]

    def deref(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            target: Any = self.doc
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    def properties(self, schema: Any, depth: int = 0) -> JSON:
        """Top-level properties of an object schema, ``allOf`` parts combined."""
        s = self.deref(schema)
        if not isinstance(s, dict) or depth > 10:
            return {}
        found: JSON = {}
        for part in s.get("allOf", []):
            found.update(self.properties(part, depth + 1))
        found.update(s.get("properties") or {})
        return found

    def required(self, schema: Any, depth: int = 0) -> set[str]:
        """Names every alternative of an object schema requires."""
        s = self.deref(schema)
        if not isinstance(s, dict) or depth > 10:
            return set()
        names = set(s.get("required") or [])
        for part in s.get("allOf", []):
            names |= self.required(part, depth + 1)
        alternatives = [self.required(a, depth + 1) for a in s.get("oneOf") or s.get("anyOf") or []]
        return names | set.intersection(*alternatives) if alternatives else names

    def is_object(self, schema: Any) -> bool:
        s = self.deref(schema)
        return isinstance(s, dict) and (
            s.get("type") == "object" or "properties" in s or "allOf" in s
        )

    def success(self, op: JSON) -> tuple[int, JSON | None] | None:
        """The first 2xx status of an operation and its JSON media (None: no body)."""
        for code in sorted(op.get("responses", {}), key=str):
            if str(code).startswith("2"):
                response = self.deref(op["responses"][code])
                return int(code), (response.get("content") or {}).get("application/json")
        return None

    def sample(self, schema: Any, examples: bool, depth: int = 0) -> Any:
        """An instance of a schema: from its examples (if ``examples``), else from its types."""
        s = self.deref(schema)
        if not isinstance(s, dict) or depth > 12:
            return None
        if examples and "example" in s:
            return copy.deepcopy(s["example"])
        if "allOf" in s:
            parts = [self.sample(p, examples, depth + 1) for p in s["allOf"]]
            if all(isinstance(p, dict) for p in parts):
                return {k: v for p in parts for k, v in p.items()}
            return next((p for p in reversed(parts) if p is not None), None)
        if s.get("oneOf") or s.get("anyOf"):
            return self.sample((s.get("oneOf") or s["anyOf"])[0], examples, depth + 1)
        if s.get("enum"):
            return s["enum"][0]
        kind = s.get("type") or ("object" if "properties" in s else None)
        if kind == "object":
            return {
                name: self.sample(sub, examples, depth + 1)
                for name, sub in (s.get("properties") or {}).items()
                if not self.deref(sub).get("writeOnly")
            }
        scalars = {"array": [], "boolean": False, "string": _FORMATS.get(s.get("format"), "x")}
        if kind in ("integer", "number"):
            return int(s.get("minimum", 0))
        return scalars.get(kind)


def _collection(spec: _Spec, path: str) -> JSON | None:
    """What the spec says of one collection, or None if it is not a plain collection."""
    methods = spec.paths[path]
    items = [p for p in spec.paths if re.fullmatch(re.escape(path) + r"/\{\w+\}", p)]
    if "{" in path or "get" not in methods or "post" not in methods or len(items) != 1:
        return None
    listed, made = spec.success(methods["get"]), spec.success(methods["post"])
    if not listed or not made or not listed[1] or not made[1]:
        return None
    list_props = spec.properties(listed[1].get("schema"))
    arrays = [k for k, v in list_props.items() if spec.deref(v).get("type") == "array"]
    made_props = spec.properties(made[1].get("schema"))
    objects = [k for k, v in made_props.items() if k != "links" and spec.is_object(v)]
    if len(objects) > 1 and len(arrays) == 1:  # e.g. an inference and its access token
        objects = [k for k in objects if arrays[0].startswith(k)]
    if len(arrays) != 1 or len(objects) != 1:
        return None
    plural, singular = arrays[0], objects[0]
    item_schema = made_props[singular]
    fields = spec.properties(spec.deref(list_props[plural]).get("items")) | spec.properties(
        item_schema
    )
    id_field = _id_field(spec, fields, _path_parameter(spec, items[0]))
    if id_field is None:
        return None
    id_schema = spec.deref(fields[id_field])
    kind = (
        id_schema.get("format") if id_schema.get("format") in _ID_KINDS else id_schema.get("type")
    )
    body = spec.deref((spec.deref(methods["post"].get("requestBody")) or {}).get("content", {}))
    body_schema = (body.get("application/json") or {}).get("schema")
    return {
        "item": items[0],
        "plural": plural,
        "singular": singular,
        "id": id_field,
        "id_kind": kind if kind in (*_ID_KINDS, "integer") else "string",
        "envelope": [k for k in _ENVELOPE_EXTRAS if k in list_props],
        "required": sorted(spec.required(body_schema)),
        "ops": {"list": [listed[0], plural], "create": [made[0], singular]}
        | _item_ops(spec, items[0], singular),
        "samples": [
            {id_field: spec.sample(id_schema, examples=True), **sample}
            for sample in _samples(spec, made[1], singular, item_schema)
        ],
    }


def _path_parameter(spec: _Spec, item: str) -> JSON:
    """The item path's parameter (name and schema)."""
    name = item.rsplit("{", 1)[1].rstrip("}")
    declared = [spec.deref(p) for p in spec.paths[item].get("parameters", [])]
    for op in spec.paths[item].values():
        if isinstance(op, dict):
            declared += [spec.deref(p) for p in op.get("parameters", [])]
    return next((p for p in declared if p.get("name") == name), {"name": name})


def _id_field(spec: _Spec, properties: JSON, param: JSON) -> str | None:
    """The item property a path parameter names: itself, ``id``, its last word, ``uuid``, or the
    one property of the same format (``{reserved_ipv6}`` is the ``ip``)."""
    name = param["name"]
    for candidate in (name, "id", name.rsplit("_", 1)[-1], "uuid"):
        if candidate in properties:
            return candidate
    form = spec.deref(param.get("schema") or {}).get("format")
    same = [k for k, v in properties.items() if form and spec.deref(v).get("format") == form]
    return same[0] if len(same) == 1 else None


def _item_ops(spec: _Spec, item: str, singular: str) -> JSON:
    ops: JSON = {}
    for verb, op in spec.paths[item].items():
        answer = spec.success(op) if verb in _VERBS and verb != "post" else None
        if answer is None:
            continue
        status, media = answer
        if media is None and verb == "delete":
            ops[verb] = [status, None]
        elif media is not None and singular in spec.properties(media.get("schema")):
            ops[verb] = [status, singular]
    return ops


def _samples(spec: _Spec, media: JSON, singular: str, schema: Any) -> list[Any]:
    """Candidate sample items, best first: the response example, then the schema's."""
    examples = [media.get("example")]
    examples += [spec.deref(e).get("value") for e in (media.get("examples") or {}).values()]
    found = [e[singular] for e in examples if isinstance(e, dict) and singular in e]
    found += [spec.sample(schema, examples=True), spec.sample(schema, examples=False)]
    return [s for s in found if isinstance(s, dict)]


def _answers(path: str, entry: JSON, sample: JSON) -> dict[str, tuple[str, str, int, Any]]:
    """Each operation's (method, concrete path, status, body) as the generic store answers."""
    item_path = re.sub(r"\{\w+\}", str(sample.get(entry["id"])), entry["item"])
    extras = {"links": {}, "meta": {"total": 1}}
    answers = {}
    for name, (status, key) in entry["ops"].items():
        method, target = {"list": ("GET", path), "create": ("POST", path)}.get(
            name, (name.upper(), item_path)
        )
        body = None if key is None else {key: sample}
        if name == "list":
            body = {key: [sample], **{k: extras[k] for k in entry["envelope"]}}
        answers[name] = (method, target, status, body)
    return answers


def _validated(openapi: Any, path: str, entry: JSON) -> JSON | None:
    """The entry with the first sample whose every answer validates, failing operations
    dropped; None if no sample makes list, create and get valid."""
    from openapi_core.testing import MockRequest, MockResponse

    def valid(answer: tuple[str, str, int, Any]) -> bool:
        method, target, status, body = answer
        payload = b"" if body is None else json.dumps(body).encode()
        response = MockResponse(payload, status_code=status, content_type="application/json")
        try:
            openapi.validate_response(MockRequest(SERVER, method.lower(), target), response)
        except Exception:
            return False
        return True

    samples = entry.pop("samples")
    for sample in samples:
        if entry["id"] not in sample or not isinstance(sample[entry["id"]], str | int):
            continue
        results = {name: valid(a) for name, a in _answers(path, entry, sample).items()}
        if all(results.get(name, True) for name in ("list", "create", "get")):
            ops = {name: op for name, op in entry["ops"].items() if results[name]}
            return {**entry, "ops": ops, "sample": sample}
    return None


def build_index(spec_path: Path = SPEC_PATH) -> JSON:
    """The index, from the vendored spec (imports PyYAML and openapi-core)."""
    import yaml
    from openapi_core import Config, OpenAPI

    with spec_path.open(encoding="utf-8") as stream:
        doc = yaml.load(stream, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    spec = _Spec(doc)
    openapi = OpenAPI.from_dict(doc, config=Config(spec_validator_cls=None))
    operations = {
        path: sorted(verb.upper() for verb in item if verb in _VERBS)
        for path, item in spec.paths.items()
        if path.startswith("/v2/")
    }
    collections = {}
    for path in operations:
        entry = _collection(spec, path)
        validated = entry and _validated(openapi, path, entry)
        if validated:
            collections[path] = validated
    return {"format": FORMAT, "operations": operations, "collections": collections}


def render(index: JSON) -> str:
    """Deterministic JSON, one operation path or collection a line."""

    def lines(section: str) -> str:
        items = sorted(index[section].items())
        return ",\n".join(json.dumps(k) + ":" + _compact(v) for k, v in items)

    return (
        f'{{"format":{index["format"]},\n"operations":{{\n{lines("operations")}}},\n'
        f'"collections":{{\n{lines("collections")}}}}}\n'
    )


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def main(argv: list[str]) -> int:
    text = render(build_index())
    current = INDEX_PATH.read_text(encoding="utf-8") if INDEX_PATH.exists() else ""
    if "--check" in argv:
        print(f"{INDEX_PATH} is {'current' if text == current else 'stale'}")
        return 0 if text == current else 1
    INDEX_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {INDEX_PATH} ({len(text.encode())} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
