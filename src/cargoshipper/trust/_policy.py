"""The policy every request to DigitalOcean passes, from a curated tool or from ``api_call``.

``Policy.admit`` is the access layer's gate: it runs before each request is sent. A request is
classed by its operation (``operation_classes.json``, all ~840 of them; missing means
``destroy``) and refined by its arguments. Reads pass. Writes pass (audited by the guard).
Spending, destroying and unprotecting pass only when an approval of this exact request is in
force for the running tool call (``grant``), which the guard opens after a person said yes to
a preview that named the request. Protection, the bulk limit and the cost limit are checked by
``Policy.evaluate`` for every request, whatever path it came by.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections import Counter
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..access import DOError, Refused
from ..operations import get_operation
from . import _pricing as pricing
from ._plan import Cost, Target

if TYPE_CHECKING:
    from ..access import DOAccess
    from ..config import Settings

CLASSES_PATH = Path(__file__).with_name("operation_classes.json")
NEEDS_APPROVAL = frozenset({"spend", "destroy", "unprotect"})

#: What a person should know before approving an action type.
WARNINGS = {
    "power_off": "a hard power off: unsaved data can be lost; service stops",
    "shutdown": "service stops until powered on again",
    "power_cycle": "a hard reset: unsaved data can be lost",
    "rebuild": "the disk is erased and replaced by the image",
    "restore": "the disk is replaced by the backup or snapshot",
    "password_reset": "the root password is reset; the old one stops working",
    "change_kernel": "the droplet boots another kernel",
    "detach": "the droplet loses this disk at once",
    "transfer": "the image is copied to another region (more storage billed)",
}

#: Droplet action types: (class, guarded). Guarded: refused on a protected droplet.
DROPLET_ACTIONS: dict[str, tuple[str, bool]] = {
    "power_on": ("write", False),
    "reboot": ("write", False),
    "rename": ("write", False),
    "enable_ipv6": ("write", False),
    "enable_private_networking": ("write", False),
    "disable_backups": ("write", False),
    "enable_backups": ("spend", False),
    "snapshot": ("spend", False),
    "resize": ("spend", False),  # with disk=true: destroy, guarded (no way back)
    "power_off": ("destroy", False),
    "shutdown": ("destroy", False),
    "power_cycle": ("destroy", False),
    "rebuild": ("destroy", True),
    "restore": ("destroy", True),
    "password_reset": ("destroy", True),
    "change_kernel": ("destroy", True),
}
VOLUME_ACTIONS = {
    "attach": ("write", False),
    "detach": ("destroy", True),
    "resize": ("spend", False),
}
IMAGE_ACTIONS = {"convert": ("write", False), "transfer": ("destroy", True)}

#: Path parameters naming a resource that can carry tags: (kind, get operation, body key).
TAGGED_LOOKUPS: dict[str, tuple[str, str, str]] = {
    "droplet_id": ("droplet", "droplets.get", "droplet"),
    "image_id": ("image", "images.get", "image"),
    "volume_id": ("volume", "volumes.get", "volume"),
    "cluster_id": ("kubernetes cluster", "kubernetes.get_cluster", "kubernetes_cluster"),
    "database_cluster_uuid": ("database cluster", "databases.get_cluster", "database"),
}
SNAPSHOT_LOOKUPS = {
    "/v2/snapshots/": ("snapshot", "snapshots.get", "snapshot"),
    "/v2/volumes/snapshots/": ("volume snapshot", "volume_snapshots.get_by_id", "snapshot"),
}
#: Body lists that name many resources at once (the bulk limit counts them).
FAN_OUT_KEYS = ("names", "resources", "droplet_ids", "volumes", "volume_snapshots", "snapshots")


@functools.cache
def operation_classes() -> dict[str, str]:
    return json.loads(CLASSES_PATH.read_text(encoding="utf-8"))


def request_key(operation: str, params: dict[str, Any]) -> str:
    """The identity of one request: its operation and exact arguments."""
    return json.dumps([operation, params], sort_keys=True, default=str)


def _body(params: dict[str, Any]) -> dict[str, Any]:
    """A request's JSON body, or {} when it has none (or not an object)."""
    body = params.get("body")
    return body if isinstance(body, dict) else {}


def norm(value: Any) -> str:
    """Action types and tag names as DigitalOcean may accept them: case and spaces ignored."""
    return str(value).strip().casefold()


@dataclass
class Verdict:
    """What one request would do, and whether it may."""

    operation: str
    effect: str  # read | write | spend | destroy | unprotect
    what: str  # "DELETE /v2/droplets/{droplet_id}", "droplet action rebuild"
    targets: list[Target] = field(default_factory=list)
    guarded: bool = True  # a protected target refuses the request
    fan_out: int = 0  # resources touched by one request (by tag, or listed in the body)
    cost: Cost | None = None
    refusal: str | None = None

    @property
    def needs_approval(self) -> bool:
        return self.effect in NEEDS_APPROVAL

    def describe(self) -> str:
        targets = ", ".join(t.label() for t in self.targets[:20])
        more = f" and {len(self.targets) - 20} more" if len(self.targets) > 20 else ""
        text = f"{self.what}" + (f" on {targets}{more}" if targets else "")
        if self.cost:
            text += f"; cost {self.cost.describe()}"
        elif self.effect == "spend":
            text += "; adds to the bill (price unknown to CargoShipper)"
        return text

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"operation": self.operation, "effect": self.effect}
        out["what"] = self.what
        if self.targets:
            out["targets"] = [t.as_dict() | {"tags": list(t.tags)} for t in self.targets]
        if self.fan_out:
            out["bulk"] = self.fan_out
        if self.cost:
            out["cost"] = self.cost.describe()
        return out


# -- the approvals in force for the running tool call ----------------------------------------


@dataclass
class Grant:
    """Requests a person approved for this tool call, each usable once."""

    keys: Counter[str]
    channel: str  # "dialog", "page", "terminal", "policy:never", "not needed"

    def take(self, key: str) -> bool:
        if self.keys[key] <= 0:
            return False
        self.keys[key] -= 1
        return True


_GRANT: ContextVar[Grant | None] = ContextVar("cargoshipper_grant", default=None)


@contextlib.contextmanager
def grant(keys: list[str], channel: str) -> Iterator[Grant]:
    """Approve these requests (by ``request_key``) inside this block, once each."""
    granted = Grant(Counter(keys), channel)
    token = _GRANT.set(granted)
    try:
        yield granted
    finally:
        _GRANT.reset(token)


# -- the policy --------------------------------------------------------------------------------


class Policy:
    """Classes, checks and admits requests for one server's settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.protected = norm(settings.protected_tag)

    # -- the gate ------------------------------------------------------------------------

    async def admit(self, do: DOAccess, operation: str, params: dict[str, Any]) -> None:
        """Let this request be sent, or raise ``Refused`` (nothing is sent then)."""
        effect = self.classify(operation, params)[0]
        if effect == "read":
            return
        if self.settings.read_only:
            raise Refused(
                f"Refused: {operation} changes things, and this server runs read-only. "
                "Nothing was changed."
            )
        granted = _GRANT.get()
        key = request_key(operation, params)
        if granted is not None and granted.take(key):
            if effect == "unprotect" and granted.channel not in ("page", "terminal"):
                raise Refused(UNPROTECT_REFUSAL)
            return
        verdict = await self.evaluate(do, operation, params)
        if verdict.refusal:
            raise Refused(verdict.refusal)
        if verdict.effect == "unprotect":
            raise Refused(UNPROTECT_REFUSAL)
        if verdict.needs_approval and self.settings.confirm != "never":
            raise Refused(
                f"Refused: {verdict.describe()} needs a person's approval, and no approval "
                "covers this request. Nothing was sent."
            )

    # -- classification ------------------------------------------------------------------

    def classify(self, operation: str, params: dict[str, Any]) -> tuple[str, str, bool]:
        """(class, what, guarded) from the table and the arguments, without any lookup."""
        known = get_operation(operation)
        effect = operation_classes().get(operation, "destroy")  # unknown: fail closed
        what = f"{known.method} {known.path}" if known else f"unknown operation {operation}"
        guarded = effect == "destroy"
        body = _body(params)
        table = {
            "droplet_actions": DROPLET_ACTIONS,
            "volume_actions": VOLUME_ACTIONS,
            "image_actions": IMAGE_ACTIONS,
        }.get(operation.partition(".")[0])
        if table is not None:
            kind = norm(body.get("type", ""))
            effect, guarded = table.get(kind, ("destroy", True))  # unknown type: fail closed
            if kind == "resize" and operation.startswith("droplet") and body.get("disk"):
                effect, guarded = "destroy", True
            what = f"{operation.partition('_')[0]} action {kind or '(no type)'}"
            if kind in WARNINGS:
                what += f" ({WARNINGS[kind]})"
        if operation == "firewalls.create" and (body.get("droplet_ids") or body.get("tags")):
            effect, guarded = "destroy", True
            what = "create a firewall applied to droplets (they accept only what it allows)"
        untag = operation in ("tags.delete", "tags.unassign_resources")
        if untag and norm(params.get("tag_id", "")) == self.protected:
            effect, what = "unprotect", "remove the protected tag"
        return effect, what, guarded

    # -- evaluation ----------------------------------------------------------------------

    async def evaluate(self, do: DOAccess, operation: str, params: dict[str, Any]) -> Verdict:
        """The request's class, targets (with their tags), fan-out and cost; ``refusal`` set
        when protection, the bulk limit or the cost limit forbids it."""
        effect, what, guarded = self.classify(operation, params)
        verdict = Verdict(operation, effect, what, guarded=guarded)
        if effect == "read":
            return verdict
        verdict.targets = await self._targets(do, operation, params)
        body = _body(params)
        try:
            await self._refine(do, verdict, params, body)
        except (TypeError, ValueError, KeyError) as error:
            verdict.refusal = f"Refused: the arguments of {operation} do not fit ({error})."
            return verdict
        verdict.refusal = self._refusal(verdict)
        return verdict

    async def _targets(self, do: DOAccess, operation: str, params: dict[str, Any]) -> list[Target]:
        known = get_operation(operation)
        path = known.path if known else ""
        targets: list[Target] = []
        for name in known.path_params if known else ():
            value = params.get(name)
            lookup = TAGGED_LOOKUPS.get(name)
            if name == "snapshot_id":
                lookup = next((v for p, v in SNAPSHOT_LOOKUPS.items() if path.startswith(p)), None)
            if lookup is None:
                targets.append(
                    Target(name.removesuffix("_id").replace("_", " "), value, str(value))
                )
            else:
                targets.append(await _fetch_target(do, lookup, name, value))
        tag = params.get("tag_name")
        if tag and path.startswith("/v2/droplets"):
            tagged = (await do.list_all("droplets.list", "droplets", tag_name=tag)).items
            targets += [_target("droplet", d) for d in tagged]
        if operation == "volumes.delete_by_name":
            named = {key: params.get(key) for key in ("name", "region")}
            found = (await do.list_all("volumes.list", "volumes", **named)).items
            targets += [_target("volume", volume) for volume in found]
        body = _body(params)
        if operation == "droplets.destroy_with_associated_resources_dangerous":
            droplet = await _fetch_raw(
                do, "droplets.get", "droplet", droplet_id=params["droplet_id"]
            )
            associated = {
                "volumes": droplet.get("volume_ids"),
                "snapshots": droplet.get("snapshot_ids"),
            }
            targets += await _listed_targets(do, associated)
        if known is not None and known.method == "DELETE":  # deletes that take others along
            targets += await _listed_targets(do, body)
        if operation.startswith("tags.") and isinstance(body.get("resources"), list):
            targets += [
                Target(str(r.get("resource_type")), r.get("resource_id"), str(r.get("resource_id")))
                for r in body["resources"]
                if isinstance(r, dict)
            ]
        return targets

    async def _refine(
        self, do: DOAccess, verdict: Verdict, params: dict[str, Any], body: dict[str, Any]
    ) -> None:
        """Argument-dependent effects that need a look at the current state, and the cost."""
        op = verdict.operation
        if op == "kubernetes.update_node_pool" and ("count" in body or "max_nodes" in body):
            pool = await _fetch_raw(
                do,
                "kubernetes.get_node_pool",
                "node_pool",
                cluster_id=params.get("cluster_id"),
                node_pool_id=params.get("node_pool_id"),
            )
            ceiling = _ceiling(pool | body)  # what it may grow to, autoscaling included
            if int(body.get("count") or pool.get("count") or 0) < int(pool.get("count") or 0):
                verdict.effect, verdict.what = "destroy", "shrink a node pool"
                verdict.guarded = True
            elif ceiling <= _ceiling(pool):
                verdict.effect = "write"
            verdict.cost = await _pool_cost(do, pool, ceiling, _ceiling(pool))
        if op in EDGE_UPDATES or op in ("firewalls.delete_rules", TRUSTED_SOURCES):
            await _refine_edge(do, verdict, params, body)
        pool_tags = op in ("kubernetes.update_node_pool", "kubernetes.add_node_pool")
        if not pool_tags and self._drops_protection(verdict, body):  # a pool's tags are its own
            verdict.effect, verdict.what = "unprotect", "remove the protected tag"
        if verdict.cost is None:
            verdict.cost = await request_cost(do, verdict, params, body)
        if verdict.effect == "spend" and verdict.cost is not None and verdict.cost.monthly <= 0:
            verdict.effect = "write"  # e.g. a resize to a cheaper size
        if op in EDGE_UPDATES:
            return  # _refine_edge counted the backends the update really adds or removes
        body_count = max(
            (len(body[k]) for k in FAN_OUT_KEYS if isinstance(body.get(k), list)), default=0
        )
        by_tag = len(verdict.targets) if params.get("tag_name") else 0
        verdict.fan_out = max(body_count, by_tag)

    def _drops_protection(self, verdict: Verdict, body: dict[str, Any]) -> bool:
        """A body that sets the tags of a protected resource without the protected tag."""
        tags = body.get("tags")
        if not isinstance(tags, list) or verdict.effect == "read":
            return False
        protected = [t for t in verdict.targets if self.is_protected(t)]
        return bool(protected) and self.protected not in {norm(tag) for tag in tags}

    def is_protected(self, target: Target) -> bool:
        return self.protected in {norm(tag) for tag in target.tags}

    def _refusal(self, verdict: Verdict) -> str | None:
        settings = self.settings
        if verdict.effect == "destroy" and verdict.guarded:
            protected = [t for t in verdict.targets if self.is_protected(t)]
            if protected:
                names = ", ".join(t.label() for t in protected)
                return (
                    f"Refused: {names} is tagged {settings.protected_tag!r}, and CargoShipper "
                    f"never lets an agent {verdict.what} a protected resource. Nothing was "
                    "changed; only a person can take the protection off (in the DigitalOcean "
                    "console, or on CargoShipper's approval page)."
                )
        if verdict.fan_out > settings.bulk_limit:
            return (
                f"Refused: {verdict.what} would touch {verdict.fan_out} resources, over the "
                f"limit of {settings.bulk_limit} per call (--bulk-limit). Nothing was changed; "
                "narrow the selection or ask the operator to raise the limit."
            )
        return cost_refusal(settings, verdict.effect, verdict.cost)


UNPROTECT_REFUSAL = (
    "Refused: this would take protection off (remove or delete the protected tag). "
    "CargoShipper never lets an agent do that; only a person can, in the DigitalOcean console "
    "or on CargoShipper's approval page. Nothing was changed."
)


def cost_refusal(settings: Settings, effect: str, cost: Cost | None) -> str | None:
    """Why ``--max-monthly-cost`` forbids this spending, or None."""
    limit = settings.max_monthly_cost
    if limit is None or effect not in ("spend", "destroy"):
        return None
    if cost is None:
        if effect != "spend":
            return None
        return (
            "Refused: this adds to the bill at a price CargoShipper does not know, and "
            f"--max-monthly-cost ${limit:.2f} is set. Nothing was changed."
        )
    if cost.monthly > limit:
        return (
            f"Refused: this adds ${cost.monthly:.2f}/month ({cost.detail}), above the limit "
            f"of ${limit:.2f}/month (--max-monthly-cost). Nothing was changed."
        )
    return None


# -- lookups -----------------------------------------------------------------------------------


def _target(kind: str, resource: dict[str, Any]) -> Target:
    return Target(
        kind,
        resource.get("id"),
        str(resource.get("name") or resource.get("id")),
        tuple(resource.get("tags") or ()),
    )


async def _fetch_raw(do: DOAccess, operation: str, key: str, **params: Any) -> dict[str, Any]:
    body = await do.call(operation, **params)
    return (body or {}).get(key) or {}


async def _fetch_target(
    do: DOAccess, lookup: tuple[str, str, str], param: str, value: Any
) -> Target:
    kind, operation, key = lookup
    try:
        found = await _fetch_raw(do, operation, key, subject=f"{kind} {value}", **{param: value})
    except DOError as error:
        if error.status != 404:
            raise
        found = {}  # it does not exist: the request cannot harm it (and will 404 itself)
    return _target(kind, found | {"id": found.get("id", value)})


async def _listed_targets(do: DOAccess, body: dict[str, Any]) -> list[Target]:
    """The volumes and snapshots a delete takes along: listed in its body (a droplet's or a
    cluster's selective delete), or a droplet's own (its dangerous delete)."""
    found = []
    for volume_id in body.get("volumes") or ():
        found.append(await _fetch_target(do, TAGGED_LOOKUPS["volume_id"], "volume_id", volume_id))
    for key in ("snapshots", "volume_snapshots"):
        lookup = SNAPSHOT_LOOKUPS[
            "/v2/snapshots/" if key == "snapshots" else "/v2/volumes/snapshots/"
        ]
        for snapshot_id in body.get(key) or ():
            found.append(await _fetch_target(do, lookup, "snapshot_id", snapshot_id))
    return found


async def size_prices(do: DOAccess) -> dict[str, dict[str, Any]]:
    """Size slug -> the ``/v2/sizes`` object (price_monthly, price_hourly)."""
    sizes = (await do.list_catalog("sizes.list", "sizes")).items
    return {size["slug"]: size for size in sizes}


def _ceiling(pool: dict[str, Any]) -> int:
    """The most nodes a pool can run: its max_nodes when it autoscales, else its count."""
    if pool.get("auto_scale") and pool.get("max_nodes"):
        return int(pool["max_nodes"])
    return int(pool.get("count") or 0)


async def _pool_cost(
    do: DOAccess, pool: dict[str, Any], count: int, before: int | None = None
) -> Cost | None:
    size = (await size_prices(do)).get(pool.get("size", ""))
    if size is None:
        return None
    before = int(pool.get("count") or 0) if before is None else before
    cost = pricing.size_cost(size, count - before) if count != before else None
    if cost is None:
        return None
    return Cost(
        cost.monthly, cost.hourly, f"{pool.get('name')}: {before} -> {count} nodes; {cost.detail}"
    )


# -- the network edge: what cuts access or traffic ---------------------------------------------

#: Whole-object PUTs of the edge: (lookup operation, path parameter, body key).
EDGE_UPDATES = {
    "firewalls.update": ("firewalls.get", "firewall_id", "firewall"),
    "load_balancers.update": ("load_balancers.get", "lb_id", "load_balancer"),
}
TRUSTED_SOURCES = "databases.update_firewall_rules"


async def _refine_edge(
    do: DOAccess, verdict: Verdict, params: dict[str, Any], body: dict[str, Any]
) -> None:
    """A firewall change that removes no inbound access, or a load balancer update that keeps
    every forwarding rule and backend, is a write; growing a load balancer spends."""
    op = verdict.operation
    if op == "firewalls.delete_rules":
        if not body.get("inbound_rules"):
            verdict.effect, verdict.what = "write", "remove outbound firewall rules"
        return
    if op == TRUSTED_SOURCES:  # keeping every rule of a closed cluster only lets more in
        uuid = params.get("database_cluster_uuid")
        found = await do.call("databases.list_firewall_rules", database_cluster_uuid=uuid)
        current = [{k: r.get(k) for k in ("type", "value")} for r in found.get("rules") or ()]
        new = [{k: r.get(k) for k in ("type", "value")} for r in body.get("rules") or ()]
        if current and not _canonical(current) - _canonical(new):
            verdict.effect, verdict.what = "write", "add trusted sources to a database cluster"
        return
    lookup, param, key = EDGE_UPDATES[op]
    current = await _fetch_raw(do, lookup, key, **{param: params.get(param)})
    before, after = set(current.get("droplet_ids") or ()), set(body.get("droplet_ids") or ())
    if not current.get("tag") or op == "firewalls.update":  # a tag-based LB lists its tag's
        verdict.fan_out = len(before ^ after)  # a PUT carries the rest back unchanged
    if op == "firewalls.update":
        if not _cuts_inbound(current, body):
            verdict.effect, verdict.what = "write", "change a firewall (no inbound access lost)"
        return
    if _cuts_traffic(current, body):
        verdict.what = "change a load balancer (forwarding rules or backends removed)"
        return
    verdict.effect, verdict.what = "write", "change a load balancer (rules and backends kept)"
    after, before = pricing.load_balancer_nodes(body), pricing.load_balancer_nodes(current)
    if after > before:
        verdict.effect = "spend"
        verdict.cost = pricing.load_balancer_cost(
            after - before, f"{before} -> {after} load balancer nodes"
        )


def _canonical(items: Any) -> set[str]:
    """Rules (or any objects) as comparable strings, list order and unset fields (false,
    empty, as the API answers what a request may leave out) ignored."""

    def sort(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: sort(v) for k, v in value.items() if v not in (None, False, [], {}, "")}
        if isinstance(value, list):
            return sorted((sort(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
        return value

    return {json.dumps(sort(item), sort_keys=True) for item in items or ()}


def _cuts_inbound(current: dict[str, Any], new: dict[str, Any]) -> bool:
    """An inbound rule goes, or the firewall newly applies to droplets or tags (a droplet under
    a firewall accepts only what its rules allow)."""
    removed = _canonical(current.get("inbound_rules")) - _canonical(new.get("inbound_rules"))
    droplets = set(new.get("droplet_ids") or ()) - set(current.get("droplet_ids") or ())
    tags = set(new.get("tags") or ()) - set(current.get("tags") or ())
    return bool(removed or droplets or tags)


def _cuts_traffic(current: dict[str, Any], new: dict[str, Any]) -> bool:
    """A forwarding rule goes, or backends do (a changed tag, or droplets left out)."""
    rules = _canonical(current.get("forwarding_rules")) - _canonical(new.get("forwarding_rules"))
    if current.get("tag"):
        return bool(rules) or new.get("tag") != current["tag"]
    kept = set(new.get("droplet_ids") or ())
    return bool(rules) or bool(set(current.get("droplet_ids") or ()) - kept)


async def request_cost(
    do: DOAccess, verdict: Verdict, params: dict[str, Any], body: dict[str, Any]
) -> Cost | None:
    """What one request adds to the bill, for the operations CargoShipper can price."""
    op = verdict.operation
    kind = norm(body.get("type", ""))
    if op == "droplets.create" and body.get("size"):
        size = (await size_prices(do)).get(body["size"])
        count = len(body.get("names") or []) or 1
        backups = pricing.backup_plan(body) if body.get("backups") else None
        return pricing.size_cost(size, count, backups) if size else None
    droplets = [t for t in verdict.targets if t.kind == "droplet"]
    if (
        op.startswith("droplet_actions")
        and droplets
        and kind in ("resize", "enable_backups", "snapshot")
    ):
        return await _droplet_action_cost(do, kind, body, droplets)
    if op == "volumes.create" and body.get("size_gigabytes"):
        return pricing.gib_cost(float(body["size_gigabytes"]), f"{body['size_gigabytes']} GiB")
    if op.startswith("volume_actions") and kind == "resize" and body.get("size_gigabytes"):
        volume = await _fetch_raw(do, "volumes.get", "volume", volume_id=params.get("volume_id"))
        old, new = float(volume.get("size_gigabytes") or 0), float(body["size_gigabytes"])
        return pricing.gib_cost(new - old, f"{old:g} -> {new:g} GiB")
    if op == "volume_snapshots.create":
        volume = await _fetch_raw(do, "volumes.get", "volume", volume_id=params.get("volume_id"))
        size = float(volume.get("size_gigabytes") or 0)
        return pricing.gib_cost(size, f"snapshot of up to {size:g} GiB", "snapshot_gib_month")
    if op in ("kubernetes.create_cluster", "kubernetes.add_node_pool"):
        pools = body.get("node_pools") if op == "kubernetes.create_cluster" else [body]
        return await _nodes_cost(do, pools or [], bool(body.get("ha")))
    if op in ("databases.create_cluster", "databases.create_replica"):
        return pricing.database_cost(str(body.get("size")), int(body.get("num_nodes") or 1))
    if op == "databases.update_cluster_size":
        return await _database_resize_cost(do, verdict, params, body)
    if op == "load_balancers.create":
        nodes = pricing.load_balancer_nodes(body)
        return pricing.load_balancer_cost(nodes, f"{nodes} load balancer node(s)")
    if op in ("reserved_ips.create",):
        return pricing.published(pricing.PUBLISHED["reserved_ip_month"], "1 reserved IP")
    return None


async def _droplet_action_cost(
    do: DOAccess, kind: str, body: dict[str, Any], droplets: list[Target]
) -> Cost | None:
    prices = await size_prices(do)
    costs = []
    for target in droplets:
        droplet = await _fetch_raw(do, "droplets.get", "droplet", droplet_id=target.id)
        old = prices.get(droplet.get("size_slug", ""))
        if kind == "resize":
            new = prices.get(str(body.get("size")))
            if old is None or new is None:
                return None
            costs.append(pricing.size_change(old, new))
        elif kind == "enable_backups" and old is not None:
            plan = pricing.backup_plan(body)
            share = pricing.BACKUP_SHARES[plan]
            costs.append(
                Cost(
                    old["price_monthly"] * share,
                    old["price_hourly"] * share,
                    f"{plan} backups of {target.name}: {share:.0%} of "
                    f"${old['price_monthly']:.2f}/month",
                )
            )
        elif kind == "snapshot":
            disk = float(droplet.get("disk") or 0)
            costs.append(
                pricing.gib_cost(
                    disk, f"snapshot of {target.name}, up to {disk:g} GiB", "snapshot_gib_month"
                )
            )
    return pricing.total(costs) if costs else None


async def _nodes_cost(do: DOAccess, pools: list[dict[str, Any]], ha: bool) -> Cost | None:
    prices = await size_prices(do)
    costs = []
    for pool in pools:
        size = prices.get(str(pool.get("size")))
        if size is None:
            return None
        nodes = int(pool.get("max_nodes") or 0) if pool.get("auto_scale") else 0
        costs.append(pricing.size_cost(size, max(nodes, int(pool.get("count") or 0))))
    if ha:
        costs.append(
            pricing.published(pricing.PUBLISHED["kubernetes_ha_month"], "HA control plane")
        )
    return pricing.total(costs) if costs else None


async def _database_resize_cost(
    do: DOAccess, verdict: Verdict, params: dict[str, Any], body: dict[str, Any]
) -> Cost | None:
    cluster = await _fetch_raw(
        do,
        "databases.get_cluster",
        "database",
        database_cluster_uuid=params.get("database_cluster_uuid"),
    )
    nodes_before = int(cluster.get("num_nodes") or 1)
    nodes_after = int(body.get("num_nodes") or nodes_before)
    old = pricing.database_cost(str(cluster.get("size")), nodes_before)
    new = pricing.database_cost(str(body.get("size") or cluster.get("size")), nodes_after)
    if nodes_after < nodes_before:  # fewer nodes lose standbys, priced or not
        verdict.effect, verdict.what = "destroy", "shrink a database cluster"
        verdict.guarded = True
    if old is None or new is None:
        return None
    if new.monthly < old.monthly:
        verdict.effect, verdict.what = "destroy", "shrink a database cluster"
        verdict.guarded = True
    return pricing.published(new.monthly - old.monthly, f"{old.detail} -> {new.detail}")
