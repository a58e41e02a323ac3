"""Cloud firewalls: rules, droplets and tags; removing inbound access asks first.

Rules are written the way they are shown, ``tcp 22 from 10.0.0.0/8, tag:admin`` (outbound:
``tcp all to 0.0.0.0/0, ::/0``; ICMP has no ports), or as objects
``{"protocol": "tcp", "ports": "22", "sources": ["10.0.0.0/8", "tag:admin"]}`` (outbound:
``destinations``). A peer is an IP address or CIDR, ``tag:<name>``, ``droplet:<id>``,
``lb:<load balancer id>`` or ``k8s:<cluster id>``. Every rule is checked before anything is
sent, each problem in one line, and turned into the API's shape (``sources: {addresses,
droplet_ids, tags, load_balancer_uids, kubernetes_ids}``; "all ports" is ``"0"``, as the API
spells it, and so are an ICMP rule's ports).

Five tools. ``firewall_update`` does replace, add and remove (one schema instead of two nearly
equal ones keeps the toolset well under its 5,000 characters of tools/list):

* ``mode=replace`` (the default) reads the firewall, replaces the fields given (name,
  inbound_rules, outbound_rules, droplet_ids, tags), keeps the others, and PUTs the whole
  object: the API's PUT replaces everything, so a partial body would wipe the rest. Rules
  that stay are sent back exactly as the API stored them;
* ``mode=add`` / ``mode=remove`` send the small calls (``add_rules``/``delete_rules``,
  ``assign_droplets``/``delete_droplets``, ``add_tags``/``delete_tags``). Removing a rule sends
  the firewall's own copy of it (a rule given without peers, ``tcp 22``, removes every rule of
  that protocol and ports); what is already there, or not there, is named and not sent.

The result lists what changed (``changed``: "inbound -tcp 22 from 203.0.113.0/24", ...).

When a change removes inbound access
------------------------------------
A droplet behind one or more firewalls accepts only the inbound traffic their rules allow; a
droplet behind none accepts everything. Looking at the one firewall being changed, a change
removes inbound access when

1. an inbound rule of the firewall goes (removed, or left out of a replacement): every droplet
   it applies to, before and after, loses that rule's traffic (another firewall of the droplet
   may still allow it; the preview does not look, so it may overstate), or
2. the firewall newly applies to droplets (droplet ids, or tags that droplets carry, added):
   they then accept only what its rules (and their other firewalls) allow.

Such a plan is destructive, and its preview names the droplets (tag-matched ones resolved with
``droplets.list tag_name=...``) and what they lose, e.g. ``app-1 (501000101), app-2
(501000102) lose tcp 22 from 203.0.113.0/24.`` Taking a firewall off droplets, or deleting it,
is not counted: those droplets keep their other firewalls' rules, and with none they accept all
traffic (the preview names them). Removed outbound rules cut outbound traffic only; the preview
names them too. Adding rules and renaming only add or keep access: writes, with a plan all the
same, so the requests are exact.

Whether a person is asked is the trust policy's decision, per request: ``firewalls.add_rules``
is a write; ``assign_droplets``, ``add_tags``, the ``delete_*`` calls and ``delete`` ask; a PUT
asks when it removes an inbound rule or adds droplets or tags. The plan's preview is what the
person reads.

``firewall_create`` makes a firewall that applies to no droplet, so it cuts nothing: the
policy classes ``firewalls.create`` as a write whatever its body, so a create that put droplets
behind the firewall at once would cut their access unasked. ``firewall_update mode=add
droplet_ids=[...]`` (or ``tags``) applies it, and asks. Outbound rules default to all traffic
out (as the DigitalOcean console does); ``outbound_rules=[]`` blocks every outbound connection.
"""

from __future__ import annotations

import copy
import ipaddress
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal, NoReturn

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field, WithJsonSchema

from ..access import DOAccess, DOError
from ..registry import Access, Toolset
from ..trust import Plan, Target
from ._common import (
    TAG_PATTERN,
    UUID_PATTERN,
    Detail,
    ItemResult,
    ListResult,
    TagName,
    compact,
    list_result,
)

TOOLSET = Toolset(
    "firewalls",
    "Cloud firewalls: inbound/outbound rules, droplets and tags they apply to.",
    default=False,
)

LOOKUP = "firewall_list shows the ids"
NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9.-]{1,254}")
UUID = re.compile(UUID_PATTERN)
TAG = re.compile(TAG_PATTERN)
PORTS = re.compile(r"(\d{1,5})(?:-(\d{1,5}))?")
RULE_TEXT = re.compile(r"(\S+)(?:\s+(\S+))??(?:\s+(from|to)\b\s*(.*))?", re.DOTALL | re.I)
PROTOCOLS = ("tcp", "udp", "icmp")
ALL_PORTS = "0"  # how the API spells "every port" (and an ICMP rule's ports)
MAX_SHOWN = 20  # droplets a preview names before "and N more"
NO_RULES = (
    "A firewall needs at least one inbound or outbound rule; nothing was sent. (To stop "
    "filtering droplets, take them off it or firewall_delete it.)"
)

#: The API's peer lists, in display order, and the prefix each has in the compact form.
PEERS = {
    "addresses": "",
    "tags": "tag:",
    "droplet_ids": "droplet:",
    "load_balancer_uids": "lb:",
    "kubernetes_ids": "k8s:",
}
KINDS = {prefix[:-1]: key for key, prefix in PEERS.items() if prefix}
ORDER = list(PEERS.values())
#: direction -> (the rule's peer key, the word before its peers)
SIDES = {"inbound": ("sources", "from"), "outbound": ("destinations", "to")}
#: firewall_create's outbound rules when none are given: all traffic out, as the console does.
DEFAULT_OUTBOUND = [
    {"protocol": protocol, "ports": ALL_PORTS, "destinations": {"addresses": ["0.0.0.0/0", "::/0"]}}
    for protocol in PROTOCOLS
]

FirewallId = Annotated[str, Field(pattern=UUID_PATTERN, description="Firewall id (UUID).")]
#: Rules, each a string or an object (the description says which keys: a full object schema
#: would cost ~200 characters of tools/list for each of the four rule parameters).
RULES_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {"anyOf": [{"type": "string"}, {"type": "object"}]},
}


def _rules_type(description: str) -> Any:
    return Annotated[
        list[str | dict[str, Any]] | None,
        WithJsonSchema(RULES_SCHEMA),
        Field(
            description=description,
            json_schema_extra=lambda schema: schema.pop("default", None),  # null says nothing
        ),
    ]


Inbound = _rules_type(
    "e.g. ['tcp 22 from 10.0.0.0/8, tag:admin', 'icmp from ::/0'] or [{protocol: 'udp', "
    "ports: '53', sources: ['lb:<id>']}]; ports: 22, 8000-9000, all; peers: IP/CIDR, tag:, "
    "droplet:, lb:, k8s:."
)
UpdateInbound = _rules_type("As in firewall_create, e.g. ['tcp 22 from 10.0.0.0/8, tag:web'].")
Outbound = _rules_type("Same, with to/destinations: ['tcp all to 0.0.0.0/0, ::/0'].")
CreateOutbound = _rules_type("Same, with to/destinations. Default: all out.")
DropletIds = Annotated[
    list[Annotated[int, Field(ge=1)]] | None, Field(description="e.g. [3164444].")
]
Tags = Annotated[list[TagName] | None, Field(description="Tag names.")]
Mode = Literal["replace", "add", "remove"]


# -- rules -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One rule, comparable: protocol, ports ("22", "8000-9000", "0" for all) and peers in the
    compact form ("10.0.0.0/8", "tag:web", "droplet:3164444", "lb:<uuid>", "k8s:<uuid>")."""

    protocol: str
    ports: str
    peers: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str, frozenset[str]]:
        return self.protocol, self.ports, frozenset(self.peers)

    def line(self, direction: str) -> str:
        """``tcp 22 from 10.0.0.0/8, tag:admin``; ``icmp to 0.0.0.0/0``; ``tcp all``."""
        text = self.protocol
        if self.protocol != "icmp":
            text += " all" if self.ports == ALL_PORTS else f" {self.ports}"
        if self.peers:
            text += f" {SIDES[direction][1]} {', '.join(self.peers)}"
        return text

    def api(self, direction: str) -> dict[str, Any]:
        """The rule in the API's shape."""
        where: dict[str, list[Any]] = {}
        for peer in self.peers:
            kind, _, value = peer.partition(":")
            key = KINDS.get(kind) if value else None
            if key is None:
                where.setdefault("addresses", []).append(peer)
            else:
                where.setdefault(key, []).append(int(value) if key == "droplet_ids" else value)
        ordered = {key: where[key] for key in PEERS if key in where}
        return {"protocol": self.protocol, "ports": self.ports, SIDES[direction][0]: ordered}


def _port_key(protocol: str, ports: Any) -> str:
    """Ports as compared: every spelling of "all" is "0", and ICMP has none."""
    text = str(ports if ports is not None else "").strip().lower()
    return ALL_PORTS if protocol == "icmp" or text in ("", "0", "all") else text


def stored_rule(obj: Any, direction: str) -> Rule:
    """A rule as the API returns it (lenient: shown and compared, not checked)."""
    obj = obj if isinstance(obj, dict) else {}
    where = obj.get(SIDES[direction][0])
    where = where if isinstance(where, dict) else {}
    peers = [
        f"{prefix}{value}"
        for key, prefix in PEERS.items()
        if isinstance(where.get(key), list)
        for value in where[key]
    ]
    protocol = str(obj.get("protocol") or "").lower()
    return Rule(protocol, _port_key(protocol, obj.get("ports")), tuple(peers))


def stored_rules(firewall: dict[str, Any], direction: str) -> list[tuple[Rule, dict[str, Any]]]:
    """The firewall's rules of one direction: (comparable rule, the API's own copy)."""
    found = firewall.get(f"{direction}_rules")
    if not isinstance(found, list):
        return []
    return [(stored_rule(obj, direction), obj) for obj in found if isinstance(obj, dict)]


def rule_lines(firewall: dict[str, Any], direction: str) -> list[str]:
    return [rule.line(direction) for rule, _ in stored_rules(firewall, direction)]


def _as_sent(obj: dict[str, Any], direction: str) -> dict[str, Any]:
    """A stored rule sent back: the API's own copy, without anything but the rule's fields."""
    return {key: obj[key] for key in ("protocol", "ports", SIDES[direction][0]) if key in obj}


class RuleProblem(ValueError):
    """One thing wrong with one rule."""


def _check_ports(protocol: str, value: Any) -> str:
    if protocol == "icmp":
        if value is None or (isinstance(value, str) and value.strip().lower() in ("", "0", "all")):
            return ALL_PORTS
        raise RuleProblem(f"icmp rules take no ports (got {_short(value)})")
    if value is None or value == "":
        raise RuleProblem(f"{protocol} rules need ports: a port (22), a range (8000-9000) or all")
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise RuleProblem(f"ports must be text such as '22', not {type(value).__name__}")
    text = str(value).strip().lower()
    if text in ("all", "0"):
        return ALL_PORTS
    found = PORTS.fullmatch(text) if text.isascii() else None
    low, high = (int(found[1]), int(found[2] or found[1])) if found else (0, 0)
    if not (found and 1 <= low <= high <= 65535):
        raise RuleProblem(
            f"ports must be a number 1-65535, a range like 8000-9000, or all; got {_short(value)}"
        )
    return str(low) if low == high else f"{low}-{high}"


PEER_KINDS = {
    "tag": "a tag name (letters, digits, '_', ':' or '-')",
    "droplet": "a droplet id (a positive number)",
    "lb": "a load balancer id (UUID)",
    "k8s": "a Kubernetes cluster id (UUID)",
}


def _check_peer(value: Any) -> str:
    """One peer in its canonical compact form, or RuleProblem."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RuleProblem(f"a peer must be text, not {type(value).__name__}")
    text = str(value).strip()
    kind, colon, rest = text.partition(":")
    kind = kind.lower()
    if colon and kind in PEER_KINDS:
        if kind == "tag" and TAG.fullmatch(rest):
            return f"tag:{rest}"
        if kind == "droplet" and rest.isascii() and rest.isdigit() and 1 <= int(rest) < 2**63:
            return f"droplet:{int(rest)}"
        if kind in ("lb", "k8s") and UUID.fullmatch(rest):
            return f"{kind}:{rest.lower()}"
        raise RuleProblem(f"{_short(text)}: {kind}: takes {PEER_KINDS[kind]}")
    try:
        if "%" in text:  # an IPv6 scope (fe80::1%eth0) means nothing to a firewall
            raise ValueError(text)
        if "/" in text:
            return str(ipaddress.ip_network(text, strict=True))
        return str(ipaddress.ip_address(text))
    except ValueError as error:
        if "host bits set" in str(error):
            network = ipaddress.ip_network(text, strict=False)
            raise RuleProblem(
                f"{_short(text)} has host bits set; did you mean {network}?"
            ) from None
    raise RuleProblem(
        f"{_short(text)} is not an IP address or CIDR, nor tag:, droplet:, lb: or k8s: with an id"
    )


def _peer_values(value: Any) -> list[Any]:
    """An object rule's peers: a list in the compact form, or the API's own dict."""
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        unknown = [key for key in value if key not in PEERS]
        if unknown:
            raise RuleProblem(f"unknown peer list {_short(unknown[0])}; use {', '.join(PEERS)}")
        values: list[Any] = []
        for key, prefix in PEERS.items():
            items = value.get(key) or []
            if not isinstance(items, list):
                raise RuleProblem(f"{key} must be a list")
            values += [f"{prefix}{item}" if isinstance(item, str | int) else item for item in items]
        return values
    raise RuleProblem("peers must be a list such as ['10.0.0.0/8', 'tag:web']")


def parse_rule(value: Any, direction: str, need_peers: bool = True) -> Rule:
    """One rule the agent wrote (text or object), checked; RuleProblem says what is wrong."""
    side, word = SIDES[direction]
    if isinstance(value, str):
        found = RULE_TEXT.fullmatch(value.strip())
        if not found or (found[3] is None and need_peers):
            raise RuleProblem(f"write it like 'tcp 22 {word} 10.0.0.0/8'")
        protocol, ports, said = found[1].lower(), found[2], found[3]
        if said and said.lower() != word:
            raise RuleProblem(f"{direction} rules say '{word}', not '{said}'")
        peers: list[Any] = [p for p in re.split(r"[,\s]+", found[4] or "") if p]
    elif isinstance(value, dict):
        unknown = [key for key in value if key not in ("protocol", "ports", side)]
        if unknown:
            other = "destinations" if direction == "inbound" else "sources"
            hint = f" ({other} are for the other direction)" if unknown[0] == other else ""
            raise RuleProblem(
                f"unknown key {_short(unknown[0])}{hint}; use protocol, ports, {side}"
            )
        protocol = str(value.get("protocol") or "").strip().lower()
        ports = value.get("ports")
        peers = _peer_values(value.get(side) if value.get(side) is not None else [])
    else:
        raise RuleProblem(f"a rule is text or an object, not {type(value).__name__}")
    if protocol not in PROTOCOLS:
        raise RuleProblem(f"protocol must be tcp, udp or icmp; got {_short(protocol)}")
    checked_ports = _check_ports(protocol, ports)
    if not peers and need_peers:
        raise RuleProblem(f"it needs at least one peer ('{word}' ..., or {side})")
    canonical = list(dict.fromkeys(_check_peer(peer) for peer in peers))
    canonical.sort(key=lambda peer: ORDER.index(_prefix(peer)))
    return Rule(protocol, checked_ports, tuple(canonical))


def _prefix(peer: str) -> str:
    kind, _, value = peer.partition(":")
    return f"{kind}:" if value and kind in KINDS else ""


def parse_rules(given: dict[str, Any], need_peers: bool = True) -> dict[str, list[Rule]]:
    """The rules given, by direction (None: not given); every problem at once, one line each."""
    parsed: dict[str, list[Rule]] = {}
    problems = []
    for direction, values in given.items():
        if values is None:
            continue
        if not isinstance(values, list):
            problems.append(f"{direction}_rules must be a list of rules.")
            continue
        parsed[direction] = []
        for number, value in enumerate(values, start=1):
            try:
                rule = parse_rule(value, direction, need_peers)
            except RuleProblem as problem:
                problems.append(f"{direction} rule {number} ({_short(value)}): {problem}.")
                continue
            if rule.key not in {r.key for r in parsed[direction]}:
                parsed[direction].append(rule)
    if problems:
        raise ToolError("\n".join([*problems, "Nothing was sent."]))
    return parsed


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


# -- other input -----------------------------------------------------------------------------


def check_id(firewall_id: Any) -> str:
    if not isinstance(firewall_id, str) or not UUID.fullmatch(firewall_id):
        raise ToolError(
            f"firewall_id must be a firewall's id, a UUID ({LOOKUP}); got {_short(firewall_id)}. "
            "Nothing was sent."
        )
    return firewall_id


def check_name(name: Any) -> str:
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise ToolError(
            f"Invalid firewall name {_short(name)}: 2-255 letters, digits, '.' or '-', starting "
            "with a letter or digit (e.g. web-fw). Nothing was sent."
        )
    return name


def check_targets(droplet_ids: Any, tags: Any) -> None:
    bad = [i for i in droplet_ids or () if isinstance(i, bool) or not isinstance(i, int) or i < 1]
    if bad:
        raise ToolError(
            f"droplet_ids must be droplet ids (droplet_list shows them); got {_short(bad[0])}. "
            "Nothing was sent."
        )
    wrong = [tag for tag in tags or () if not isinstance(tag, str) or not TAG.fullmatch(tag)]
    if wrong:
        raise ToolError(
            f"Invalid tag {_short(wrong[0])}: use letters, digits, '_', ':' or '-'. "
            "Nothing was sent."
        )


# -- views -----------------------------------------------------------------------------------


def _ids(firewall: dict[str, Any]) -> list[int]:
    found = firewall.get("droplet_ids")
    return [i for i in found if isinstance(i, int)] if isinstance(found, list) else []


def _tags(firewall: dict[str, Any]) -> list[str]:
    found = firewall.get("tags")
    return [t for t in found if isinstance(t, str)] if isinstance(found, list) else []


def firewall_summary(firewall: dict[str, Any]) -> dict[str, Any]:
    """One firewall in lists, its rules one line each."""
    return compact(
        {
            "id": firewall.get("id"),
            "name": firewall.get("name"),
            "status": firewall.get("status"),
            "inbound": rule_lines(firewall, "inbound"),
            "outbound": rule_lines(firewall, "outbound"),
            "droplet_ids": _ids(firewall),
            "tags": _tags(firewall),
        }
    )


def firewall_view(firewall: dict[str, Any]) -> dict[str, Any]:
    """One firewall: the summary plus creation time and changes still being applied."""
    pending = [
        f"droplet {change.get('droplet_id')}: {'removing' if change.get('removing') else 'adding'}"
        f" ({change.get('status')})"
        for change in firewall.get("pending_changes") or ()
        if isinstance(change, dict)
    ]
    view = {**firewall_summary(firewall), "created_at": firewall.get("created_at")}
    return compact({**view, "pending_changes": pending})


def _firewall(body: Any) -> dict[str, Any]:
    found = body.get("firewall") if isinstance(body, dict) else None
    if not isinstance(found, dict):
        raise ToolError("The API's answer held no firewall.")
    return found


async def _get(do: DOAccess, firewall_id: str) -> dict[str, Any]:
    body = await do.call(
        "firewalls.get",
        firewall_id=firewall_id,
        subject=f"firewall {firewall_id}",
        lookup_hint=LOOKUP,
    )
    return _firewall(body)


def _target(firewall: dict[str, Any], firewall_id: str) -> Target:
    return Target("firewall", firewall_id, str(firewall.get("name") or firewall_id))


# -- read ------------------------------------------------------------------------------------


@TOOLSET.tool(Access.READ)
async def firewall_list(do: DOAccess, detail: Detail = False) -> ListResult:
    """List firewalls: id, name, rules ('tcp 22 from 10.0.0.0/8'), droplet_ids, tags."""
    found = await do.list_all("firewalls.list", "firewalls")
    return list_result(found, (lambda f: f) if detail else firewall_summary, "firewalls")


@TOOLSET.tool(Access.READ)
async def firewall_get(do: DOAccess, firewall_id: FirewallId, detail: Detail = False) -> ItemResult:
    """One firewall: rules, droplet_ids, tags, pending changes."""
    firewall = await _get(do, check_id(firewall_id))
    inbound, outbound = (len(rule_lines(firewall, direction)) for direction in SIDES)
    return ItemResult(item=firewall if detail else firewall_view(firewall)).titled(
        f"Firewall {firewall.get('name')}: {inbound} inbound and {outbound} outbound rules, "
        f"droplet_ids: {_ids(firewall) or 'none'}, tags: {', '.join(_tags(firewall)) or 'none'}."
    )


# -- create ----------------------------------------------------------------------------------


async def plan_firewall_create(
    do: DOAccess,
    name: str,
    inbound_rules: list[Any] | None = None,
    outbound_rules: list[Any] | None = None,
    **_: Any,
) -> Plan:
    name = check_name(name)
    rules = parse_rules({"inbound": inbound_rules or [], "outbound": outbound_rules})
    outbound = (
        [rule.api("outbound") for rule in rules["outbound"]]
        if "outbound" in rules
        else copy.deepcopy(DEFAULT_OUTBOUND)
    )
    body = {
        "name": name,
        "inbound_rules": [rule.api("inbound") for rule in rules["inbound"]],
        "outbound_rules": outbound,
    }
    if not body["inbound_rules"] and not body["outbound_rules"]:
        raise ToolError(NO_RULES)
    shown = [stored_rule(obj, d).line(d) for d in SIDES for obj in body[f"{d}_rules"]]
    return Plan(
        "create",
        "create",
        (Target("firewall", "new", name),),
        destructive=False,
        extra=f"Rules: {'; '.join(shown) or 'none'}. It applies to no droplet yet.",
        requests=(("firewalls.create", {"body": body}),),
    )


@TOOLSET.tool(Access.WRITE, plan=plan_firewall_create)
async def firewall_create(
    do: DOAccess,
    name: Annotated[str, Field(description="e.g. web-fw.")],
    inbound_rules: Inbound = None,
    outbound_rules: CreateOutbound = None,
    plan: Plan | None = None,
) -> ItemResult:
    """Create a firewall on no droplet yet (then firewall_update mode=add droplet_ids/tags)."""
    plan = plan or await plan_firewall_create(do, name, inbound_rules, outbound_rules)
    ((operation, request),) = plan.requests
    existing = (await do.list_all("firewalls.list", "firewalls")).items
    same = [f for f in existing if f.get("name") == name]
    if same:
        _refuse_existing(name, same[0].get("id"))
    try:
        answer = await do.call(
            operation,
            **request,
            subject=f"firewall {name}",
            look_for=f"a firewall named {name!r} (firewall_list)",
        )
    except DOError as error:
        if error.status != 409:
            raise
        _refuse_existing(name, "unknown: firewall_list shows it")
    created = _firewall(answer)
    view = firewall_view(created)
    return ItemResult(item=view).titled(
        f"Created firewall {view.get('name')} ({view.get('id')}), applied to no droplet yet."
    )


def _refuse_existing(name: str, firewall_id: Any) -> NoReturn:
    raise ToolError(
        f"A firewall named {name!r} already exists (id {firewall_id}); nothing was created. "
        "If an earlier create timed out, it is that one: firewall_update changes it."
    )


# -- update ----------------------------------------------------------------------------------


@dataclass
class Change:
    """A firewall before and after, and the requests that take it there."""

    before: dict[str, Any]
    after: dict[str, Any]
    requests: list[tuple[str, dict[str, Any]]]


def _replace(
    firewall_id: str,
    current: dict[str, Any],
    name: str | None,
    rules: dict[str, list[Rule]],
    droplet_ids: list[int] | None,
    tags: list[str] | None,
) -> Change:
    """The whole object with the given fields replaced; rules that stay go back as stored."""
    body: dict[str, Any] = {"name": name if name is not None else current.get("name")}
    for direction in SIDES:
        stored = stored_rules(current, direction)
        if direction in rules:
            kept = {rule.key: obj for rule, obj in reversed(stored)}
            sent = [
                _as_sent(kept[rule.key], direction) if rule.key in kept else rule.api(direction)
                for rule in rules[direction]
            ]
        else:
            sent = [_as_sent(obj, direction) for _, obj in stored]
        body[f"{direction}_rules"] = sent
    body["droplet_ids"] = (
        list(dict.fromkeys(droplet_ids)) if droplet_ids is not None else _ids(current)
    )
    body["tags"] = list(dict.fromkeys(tags)) if tags is not None else _tags(current)
    if not body["inbound_rules"] and not body["outbound_rules"]:
        raise ToolError(NO_RULES)
    request = ("firewalls.update", {"firewall_id": firewall_id, "body": body})
    return Change(current, body, [request])


#: The small calls of mode=add and mode=remove, by the kind of change they carry, in the order
#: they are sent.
SMALL_CALLS = {
    "add": {
        "rules": "firewalls.add_rules",
        "droplet_ids": "firewalls.assign_droplets",
        "tags": "firewalls.add_tags",
    },
    "remove": {
        "rules": "firewalls.delete_rules",
        "droplet_ids": "firewalls.delete_droplets",
        "tags": "firewalls.delete_tags",
    },
}


def _rules_to_add(
    stored: list[tuple[Rule, dict[str, Any]]], given: list[Rule], direction: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """(rules to send, the direction's rules after, given rules already there)."""
    have = {rule.key for rule, _ in stored}
    sent = [rule.api(direction) for rule in given if rule.key not in have]
    there = [f"{direction} rule {rule.line(direction)}" for rule in given if rule.key in have]
    return sent, [*(obj for _, obj in stored), *sent], there


def _rules_to_remove(
    stored: list[tuple[Rule, dict[str, Any]]], given: list[Rule], direction: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """(the firewall's own copies to send, the direction's rules after, given rules not there).
    A rule given without peers matches every rule of its protocol and ports."""
    chosen: list[int] = []
    missing: list[str] = []
    for rule in given:
        found = [
            index
            for index, (have, _) in enumerate(stored)
            if have.key == rule.key
            or (not rule.peers and (have.protocol, have.ports) == (rule.protocol, rule.ports))
        ]
        if not found:
            missing.append(f"{direction} rule {rule.line(direction)}")
        chosen += [index for index in found if index not in chosen]
    sent = [_as_sent(stored[i][1], direction) for i in chosen]
    return sent, [obj for i, (_, obj) in enumerate(stored) if i not in chosen], missing


def _add_or_remove(
    firewall_id: str,
    mode: str,
    current: dict[str, Any],
    rules: dict[str, list[Rule]],
    droplet_ids: list[int] | None,
    tags: list[str] | None,
) -> Change:
    """mode=add or mode=remove: one small call per kind of change (rules, droplets, tags) that
    has something to send. What add finds already there, or remove finds missing, is not sent;
    a remove with anything missing sends nothing."""
    adding = mode == "add"
    after = dict(current)
    bodies: dict[str, dict[str, Any]] = {kind: {} for kind in SMALL_CALLS[mode]}
    odd: list[str] = []  # add: already there; remove: not there
    pick_rules = _rules_to_add if adding else _rules_to_remove
    for direction in SIDES:
        stored = stored_rules(current, direction)
        sent, kept, lines = pick_rules(stored, rules.get(direction, []), direction)
        odd += lines
        if sent:
            bodies["rules"][f"{direction}_rules"] = sent
            after[f"{direction}_rules"] = kept
    targets = (("droplet_ids", "droplet", _ids, droplet_ids), ("tags", "tag", _tags, tags))
    for key, noun, now, given in targets:
        have = now(current)
        wanted = list(dict.fromkeys(given or ()))
        moved = [value for value in wanted if (value in have) != adding]  # add: new ones only
        odd += [f"{noun} {value}" for value in wanted if value not in moved]
        if moved:
            bodies[key] = {key: moved}
            after[key] = [*have, *moved] if adding else [v for v in have if v not in moved]
    name = current.get("name")
    if odd and not adding:
        raise ToolError(
            f"Not on firewall {name}: {', '.join(odd)}. Nothing was sent. "
            f"It has: {_contents(current)}."
        )
    requests = [
        (SMALL_CALLS[mode][kind], {"firewall_id": firewall_id, "body": body})
        for kind, body in bodies.items()
        if body
    ]
    if not requests and adding:
        raise ToolError(f"Nothing to add: firewall {name} already has {', '.join(odd)}.")
    return Change(current, after, requests)


def _contents(firewall: dict[str, Any]) -> str:
    parts = [f"{d} rules {'; '.join(rule_lines(firewall, d)) or 'none'}" for d in SIDES]
    parts.append(f"droplet_ids {_ids(firewall) or 'none'}")
    parts.append(f"tags {', '.join(_tags(firewall)) or 'none'}")
    return ", ".join(parts)


def _differences(change: Change) -> dict[str, list[str]]:
    """What changes, by what it is: name, rules lost/gained per direction, droplets, tags."""
    before, after = change.before, change.after
    found: dict[str, list[str]] = {}
    if after.get("name") != before.get("name"):
        found["name"] = [f"name: {before.get('name')!r} -> {after.get('name')!r}"]
    for direction in SIDES:
        old = {rule.key: rule for rule, _ in stored_rules(before, direction)}
        new = {rule.key: rule for rule, _ in stored_rules(after, direction)}
        found[f"lost {direction}"] = [r.line(direction) for k, r in old.items() if k not in new]
        found[f"new {direction}"] = [r.line(direction) for k, r in new.items() if k not in old]
    old_ids, new_ids = _ids(before), _ids(after)
    found["droplets"] = [f"+{i}" for i in new_ids if i not in old_ids]
    found["droplets"] += [f"-{i}" for i in old_ids if i not in new_ids]
    old_tags, new_tags = _tags(before), _tags(after)
    found["tags"] = [f"+{t}" for t in new_tags if t not in old_tags]
    found["tags"] += [f"-{t}" for t in old_tags if t not in new_tags]
    return {key: lines for key, lines in found.items() if lines}


def _changed_lines(differences: dict[str, list[str]]) -> list[str]:
    """For the result: "inbound -tcp 22 from 203.0.113.0/24", "droplets +3164444", ..."""
    lines = list(differences.get("name", []))
    for direction in SIDES:
        lines += [f"{direction} -{line}" for line in differences.get(f"lost {direction}", [])]
        lines += [f"{direction} +{line}" for line in differences.get(f"new {direction}", [])]
    lines += [f"droplets {' '.join(differences['droplets'])}"] if "droplets" in differences else []
    lines += [f"tags {' '.join(differences['tags'])}"] if "tags" in differences else []
    return lines


async def _droplets_behind(
    do: DOAccess, firewalls: list[dict[str, Any]], wanted: set[int]
) -> tuple[list[set[int]], dict[int, str]]:
    """For each firewall state, the droplets it applies to (by id or tag); and their names.
    ``wanted``: droplet ids that must exist (refused otherwise)."""
    tags = sorted({tag for firewall in firewalls for tag in _tags(firewall)})
    names: dict[int, str] = {}
    tagged: dict[str, set[int]] = {}
    for tag in tags:
        found = (await do.list_all("droplets.list", "droplets", tag_name=tag)).items
        tagged[tag] = {d["id"] for d in found if isinstance(d.get("id"), int)}
        names.update(
            {d["id"]: str(d.get("name") or "") for d in found if isinstance(d.get("id"), int)}
        )
    explicit = {i for firewall in firewalls for i in _ids(firewall)} - set(names)
    if explicit:
        everything = await do.list_all("droplets.list", "droplets")
        for droplet in everything.items:
            if droplet.get("id") in explicit:
                names[droplet["id"]] = str(droplet.get("name") or "")
        unknown = sorted(wanted - set(names))
        if unknown and not everything.has_more:
            raise ToolError(
                f"Droplet {', '.join(map(str, unknown))} does not exist (droplet_list shows the "
                "ids); nothing was sent."
            )
    behind = [
        set(_ids(firewall)) | {i for tag in _tags(firewall) for i in tagged[tag]}
        for firewall in firewalls
    ]
    return behind, names


def _s(ids: set[int], verb: str) -> str:
    """The verb agreeing with how many droplets: "app-1 (1) loses", "app-1, app-2 lose"."""
    return verb if len(ids) != 1 else {"go": "goes"}.get(verb, f"{verb}s")


def _leaving(ids: set[int], names: dict[int, str]) -> str:
    them = "them" if len(ids) != 1 else "it"
    return (
        f"{_labels(ids, names)} {_s(ids, 'leave')} it: its rules stop applying to {them} (with "
        f"no other firewall, all traffic reaches {them})."
    )


def _labels(ids: set[int], names: dict[int, str]) -> str:
    shown = [f"{names[i]} ({i})" if names.get(i) else f"droplet {i}" for i in sorted(ids)]
    more = f" and {len(shown) - MAX_SHOWN} more" if len(shown) > MAX_SHOWN else ""
    return ", ".join(shown[:MAX_SHOWN]) + more


async def _change_plan(
    do: DOAccess, firewall_id: str, mode: str, change: Change, added_ids: list[int]
) -> Plan:
    """The plan of an update: which droplets lose what, and the requests."""
    differences = _differences(change)
    if not differences:
        raise ToolError(
            f"Nothing to change: firewall {change.before.get('name')} already has these values. "
            "Nothing was sent."
        )
    lost = differences.get("lost inbound", []) + differences.get("lost outbound", [])
    moves = "droplets" in differences or "tags" in differences
    sentences = []
    if "name" in differences:
        sentences.append(f"New name: {change.after.get('name')}.")
    removes = False
    if lost or moves:
        (before, after), names = await _droplets_behind(
            do, [change.before, change.after], set(added_ids)
        )
        kept, added, left = before & after, after - before, before - after
        if lost and kept:
            sentences.append(f"{_labels(kept, names)} {_s(kept, 'lose')} {'; '.join(lost)}.")
        elif lost:
            alone = "" if before else "; no droplet is behind it"
            sentences.append(f"It drops {'; '.join(lost)}{alone}.")
        if added:
            allowed = "; ".join(rule_lines(change.after, "inbound")) or "none: nothing gets in"
            sentences.append(
                f"{_labels(added, names)} {_s(added, 'go')} behind it: inbound traffic then gets "
                f"in only by its rules ({allowed})."
            )
        if left:
            sentences.append(_leaving(left, names))
        removes = bool(kept and differences.get("lost inbound")) or bool(added)
    gained = differences.get("new inbound", []) + differences.get("new outbound", [])
    if gained:
        sentences.append(f"New rules: {'; '.join(gained)}.")
    if not removes:
        sentences.append("No droplet loses inbound access.")
    return Plan(
        _verb(mode, differences),
        "change",
        (_target(change.before, firewall_id),),
        destructive=removes,
        extra=" ".join(sentences),
        notes={"changed": _changed_lines(differences)},
        requests=tuple(change.requests),
    )


def _verb(mode: str, differences: dict[str, list[str]]) -> str:
    if mode == "replace":
        return "update"
    what = [
        noun
        for noun, keys in (
            ("rules", ("lost inbound", "lost outbound", "new inbound", "new outbound")),
            ("droplets", ("droplets",)),
            ("tags", ("tags",)),
        )
        if any(key in differences for key in keys)
    ]
    things = " and ".join([", ".join(what[:-1]), what[-1]] if len(what) > 1 else what)
    return f"{mode} {things} {'to' if mode == 'add' else 'from'}"


async def plan_firewall_update(
    do: DOAccess,
    firewall_id: str,
    mode: str = "replace",
    name: str | None = None,
    inbound_rules: list[Any] | None = None,
    outbound_rules: list[Any] | None = None,
    droplet_ids: list[int] | None = None,
    tags: list[str] | None = None,
    **_: Any,
) -> Plan:
    check_id(firewall_id)
    if mode not in ("replace", "add", "remove"):
        raise ToolError(f"mode must be replace, add or remove; got {_short(mode)}.")
    given = (inbound_rules, outbound_rules, droplet_ids, tags)
    if mode != "replace" and name is not None:
        raise ToolError("name changes only with mode=replace (the default). Nothing was sent.")
    if name is None and all(value is None for value in given):
        raise ToolError(
            "Nothing to change: give name, inbound_rules, outbound_rules, droplet_ids or tags."
        )
    if mode != "replace" and not any(given):
        raise ToolError(f"Nothing to {mode}: the lists given are empty. Nothing was sent.")
    if name is not None:
        check_name(name)
    check_targets(droplet_ids, tags)
    rules = parse_rules(
        {"inbound": inbound_rules, "outbound": outbound_rules}, need_peers=mode != "remove"
    )
    current = await _get(do, firewall_id)
    if mode == "replace":
        change = _replace(firewall_id, current, name, rules, droplet_ids, tags)
    else:
        change = _add_or_remove(firewall_id, mode, current, rules, droplet_ids, tags)
    added = [i for i in _ids(change.after) if i not in _ids(current)]
    return await _change_plan(do, firewall_id, mode, change, added)


@TOOLSET.tool(Access.DESTRUCTIVE, plan=plan_firewall_update)
async def firewall_update(
    do: DOAccess,
    firewall_id: FirewallId,
    mode: Annotated[Mode, Field(description="Or add/remove the given items.")] = "replace",
    name: Annotated[str | None, Field(description="New name (replace).")] = None,
    inbound_rules: UpdateInbound = None,
    outbound_rules: Outbound = None,
    droplet_ids: DropletIds = None,
    tags: Tags = None,
    plan: Plan | None = None,
) -> ItemResult:
    """Change a firewall: replace the fields given (others kept), or add/remove rules,
    droplets, tags. Asks first if droplets lose access."""
    if plan is None:
        given = (name, inbound_rules, outbound_rules, droplet_ids, tags)
        plan = await plan_firewall_update(do, firewall_id, mode, *given)
    about = {"subject": f"firewall {firewall_id}", "lookup_hint": LOOKUP}
    firewall = None
    for operation, request in plan.requests:
        answer = await do.call(operation, **request, **about)
        if operation == "firewalls.update":
            firewall = _firewall(answer)
    firewall = firewall or await _get(do, firewall_id)
    changed = plan.notes.get("changed", [])
    label = f"{firewall.get('name')} ({firewall_id})"
    return ItemResult(item={**firewall_view(firewall), "changed": changed}).titled(
        f"Updated firewall {label}: {'; '.join(changed)}."
    )


# -- delete ----------------------------------------------------------------------------------


async def plan_firewall_delete(do: DOAccess, firewall_id: str, **_: Any) -> Plan:
    current = await _get(do, check_id(firewall_id))
    (behind,), names = await _droplets_behind(do, [current], set())
    extra = _leaving(behind, names) if behind else "It applies to no droplet."
    return Plan(
        "delete",
        "delete",
        (_target(current, firewall_id),),
        extra=extra,
        requests=(("firewalls.delete", {"firewall_id": firewall_id}),),
    )


@TOOLSET.tool(Access.DESTRUCTIVE, idempotent=True, plan=plan_firewall_delete)
async def firewall_delete(
    do: DOAccess, firewall_id: FirewallId, plan: Plan | None = None
) -> ItemResult:
    """Delete a firewall (its droplets keep other firewalls' rules)."""
    plan = plan or await plan_firewall_delete(do, firewall_id)
    ((operation, request),) = plan.requests
    await do.call(operation, **request, subject=f"firewall {firewall_id}", lookup_hint=LOOKUP)
    name = plan.targets[0].name
    return ItemResult(item={"id": firewall_id, "name": name, "deleted": True}).titled(
        f"Firewall {name} ({firewall_id}) deleted."
    )
