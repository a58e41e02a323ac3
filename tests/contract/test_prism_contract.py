"""Every tool's requests against the official DigitalOcean OpenAPI spec, as Prism validates them.

Each case calls one tool through the in-memory MCP client; the server talks to Prism (through a
recording proxy, see ``prism.py``). A case passes when the call did not fail because Prism
refused a request (4xx), and Prism neither answered nor logged a validation violation for any
request of that call. Every tool the server lists must have at least one case.

Prism answers with the spec's static examples, so the arguments are chosen to fit them: ids from
the examples (droplet 3164444, action 36804636, image 7555620), ``wait=false`` or a short
``timeout`` for tools that wait (the action example stays in-progress forever), and
``allow_duplicate_name=true`` for creates (the droplet list example is never empty).

Run: ``.venv/bin/pytest tests/contract -m prism`` (needs ``npx``; the first run downloads Prism).
"""

from __future__ import annotations

import contextlib
import functools
import json
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from cases_databases import CASES_DATABASES
from cases_dns import CASES_DNS
from cases_firewalls import CASES_FIREWALLS
from cases_kubernetes import CASES_KUBERNETES
from cases_load_balancers import CASES_LOAD_BALANCERS
from cases_monitoring import CASES_MONITORING
from cases_projects import CASES_PROJECTS
from cases_volumes import CASES_VOLUMES
from cases_vpcs import CASES_VPCS
from mcp import Client
from prism import SPEC, Exchange, LoggedRequest, Prism, PrismError, parse_log

from cargoshipper.config import Settings
from cargoshipper.server import build_server

pytestmark = [pytest.mark.anyio, pytest.mark.prism]

DROPLET = 3164444  # droplet example id
ACTION = 36804636  # action example id
IMAGE = 7555620  # private image (snapshot) example id
BACKUP = 12389723  # restore example id
SSH_KEY_ID = "289794"
SSH_FINGERPRINT = "3b:16:e4:bf:8b:00:8b:b8:59:8c:a9:d3:f0:19:fa:45"
VPC = "760e09ef-dc84-11e8-981e-3cfdfeaae000"
VOLUME = "12e97116-7280-11ed-b3d0-0a58ac146812"
USER_DATA = "#cloud-config\nruncmd:\n  - touch /test.txt\n"


# -- cases -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    tool: str
    arguments: dict[str, Any] = field(default_factory=dict)
    label: str = ""
    expect_error: str | None = None  # the call must fail with this text (not because of Prism)
    sends_request: bool = True  # False for tools that answer from local data (api_search)

    @property
    def id(self) -> str:
        return f"{self.tool}-{self.label}" if self.label else self.tool


def _create(label: str, expect_error: str | None = None, **arguments: Any) -> Case:
    base = {"region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-20-04-x64"}
    return Case("droplet_create", {**base, **arguments}, label, expect_error)


def _action(label: str, **arguments: Any) -> Case:
    return Case("droplet_action", {"droplet_id": DROPLET, "wait": False, **arguments}, label)


CASES: list[Case] = [
    # account
    Case("account_get"),
    Case("balance_get"),
    # catalog
    Case("region_list"),
    Case("region_list", {"include_unavailable": True}, "unavailable"),
    Case("size_list"),
    Case(
        "size_list",
        {
            "region": "nyc3",
            "min_vcpus": 1,
            "min_memory_gb": 0.5,
            "max_price_monthly": 100,
            "detail": True,
        },
        "filtered",
    ),
    Case("ssh_key_list"),
    Case("ssh_key_list", {"detail": True}, "detail"),
    # droplets: read
    Case("droplet_list"),
    Case("droplet_list", {"page": 2, "per_page": 200, "detail": True}, "page"),
    Case("droplet_list", {"tag_name": "env:prod"}, "tag"),
    Case("droplet_list", {"name": "example.com"}, "name"),
    Case("droplet_list", {"all_pages": True}, "all-pages"),
    Case("droplet_list", {"all_pages": True, "tag_name": "web"}, "all-pages-tag"),
    Case("droplet_get", {"droplet_id": DROPLET}),
    Case("droplet_get", {"droplet_id": DROPLET, "detail": True}, "detail"),
    # droplets: create
    _create("name", name="web-1", allow_duplicate_name=True, wait=False),
    _create("name-wait", name="web-1", allow_duplicate_name=True, timeout=2),
    _create(
        "weekly-backups", name="web-1", allow_duplicate_name=True, wait=False, backup_plan="weekly"
    ),
    _create(
        "names-every-option",
        names=["web-1", "web-2"],
        ssh_keys=[SSH_KEY_ID, SSH_FINGERPRINT],
        backups=True,
        ipv6=True,
        monitoring=True,
        tags=["web", "env:prod"],
        user_data=USER_DATA,
        vpc_uuid=VPC,
        volumes=[VOLUME],
        allow_duplicate_name=True,
        wait=False,
    ),
    _create("image-id", name="web-1", image=str(IMAGE), allow_duplicate_name=True, wait=False),
    # Without allow_duplicate_name the server first looks the name up; the list example always
    # holds a droplet, so it refuses: this checks the look-up request.
    _create("duplicate-check", "already exists", name="web-1", wait=False),
    # droplets: actions by id
    *(
        _action(kind, type=kind)
        for kind in (
            "power_on",
            "power_off",
            "shutdown",
            "reboot",
            "power_cycle",
            "enable_backups",
            "disable_backups",
            "enable_ipv6",
        )
    ),
    _action("resize", type="resize", size="s-2vcpu-4gb", disk=True),
    _action("resize-cpu-only", type="resize", size="s-2vcpu-4gb"),
    _action("snapshot", type="snapshot", name="Nifty New Snapshot"),
    _action("snapshot-unnamed", type="snapshot"),
    _action("rebuild-slug", type="rebuild", image="ubuntu-20-04-x64"),
    _action("rebuild-id", type="rebuild", image=str(IMAGE)),
    _action("restore", type="restore", image=str(BACKUP)),
    _action("rename", type="rename", name="nifty-new-name"),
    _action("reboot-wait", type="reboot", wait=True, timeout=0.3),
    # droplets: actions by tag (every type the server allows by tag)
    *(
        Case("droplet_action", {"type": kind, "tag_name": "web", "wait": False}, f"tag-{kind}")
        for kind in (
            "power_on",
            "power_off",
            "shutdown",
            "power_cycle",
            "enable_backups",
            "disable_backups",
            "enable_ipv6",
            "snapshot",
        )
    ),
    Case(
        "droplet_action",
        {"type": "snapshot", "tag_name": "web", "name": "nightly", "wait": False},
        "tag-snapshot-named",
    ),
    # droplets: delete
    Case("droplet_delete", {"droplet_id": DROPLET}, "id"),
    Case("droplet_delete", {"tag_name": "web"}, "tag"),
    # images
    *(
        Case("image_list", {"kind": kind}, kind)
        for kind in ("distribution", "application", "private", "all")
    ),
    Case("image_list", {"kind": "application", "all_pages": True}, "all-pages"),
    Case("image_list", {"page": 2, "per_page": 10, "detail": True}, "page"),
    Case("image_get", {"image": "ubuntu-20-04-x64"}, "slug"),
    Case("image_get", {"image": str(IMAGE), "detail": True}, "id"),
    Case("image_update", {"image_id": IMAGE, "name": "new-image-name"}, "name"),
    Case(
        "image_update",
        {"image_id": IMAGE, "description": "Nightly", "distribution": "Ubuntu"},
        "description-distribution",
    ),
    Case("image_delete", {"image_id": IMAGE}),
    # actions
    Case("action_get", {"action_id": ACTION}),
    Case("action_get", {"action_id": ACTION, "wait": True, "timeout": 0.3}, "wait"),
    # api: search answers from the local index; call reaches any route of the spec
    Case("api_search", {"query": "list reserved IPs"}, sends_request=False),
    Case("api_call", {"operation": "reserved_ips.list"}, "reserved-ips"),
    Case("api_call", {"operation": "cdn.list_endpoints", "query": {"per_page": 5}}, "cdn"),
    Case("api_call", {"operation": "apps.list"}, "apps"),
    Case("api_call", {"operation": "certificates.list"}, "certificates"),
    Case("api_call", {"operation": "droplets.get", "path_params": {"droplet_id": DROPLET}}, "get"),
    Case("api_call", {"operation": "tags.create", "body": {"name": "extra-awesome"}}, "post"),
    Case(
        "api_call",
        {"operation": "cdn.create_endpoint", "body": {"origin": "static.example.com", "ttl": 3600}},
        "cdn-create",
    ),
    Case(
        "api_call",
        {
            "operation": "domains.create_record",
            "path_params": {"domain_name": "example.com"},
            "body": {"type": "A", "name": "www", "data": "162.10.66.0", "ttl": 1800},
        },
        "domain-record",
    ),
    Case(
        "api_call",
        {"operation": "droplets.destroy", "path_params": {"droplet_id": DROPLET}},
        "delete",
    ),
    *(Case(*c) for c in CASES_DNS),
    *(Case(*c) for c in CASES_KUBERNETES),
    *(Case(*c) for c in CASES_VOLUMES),
    *(Case(*c) for c in CASES_VPCS),
    *(Case(*c) for c in CASES_FIREWALLS),
    *(Case(*c) for c in CASES_LOAD_BALANCERS),
    *(Case(*c) for c in CASES_DATABASES),
    *(Case(*c) for c in CASES_PROJECTS),
    *(Case(*c) for c in CASES_MONITORING),
]


# -- a known defect of the spec ----------------------------------------------------------------

#: POST /v2/droplets/actions (act by tag) declares its body as ``oneOf: [droplet_action,
#: droplet_action_snapshot]``, and droplet_action_snapshot is droplet_action plus an optional
#: ``name``. Every body matches both, so Prism (which ignores the discriminator) refuses every
#: body, valid or not, with exactly this one violation. For that request and that violation only,
#: the test checks the body against the schema the discriminator picks instead.
BY_TAG_ACTIONS = ("POST", "/v2/droplets/actions")
ONE_OF_MESSAGE = "Request body must match exactly one schema in oneOf"
ONE_OF_LOG_LINES = {
    "Request did not pass the validation rules",
    ONE_OF_MESSAGE,
    f"Violation: request.body {ONE_OF_MESSAGE}",
}


def _is_one_of_defect(violation: dict[str, Any]) -> bool:
    return violation.get("location") == ["request", "body"] and violation.get("code") == "oneOf"


@functools.cache
def _spec() -> dict[str, Any]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with SPEC.open("rb") as stream:
        return yaml.load(stream, Loader=loader)


def _discriminator_errors(exchange: Exchange) -> list[str]:
    """Validate a by-tag action body against the schema its ``type`` maps to."""
    import jsonschema

    spec = _spec()
    operation = spec["paths"][BY_TAG_ACTIONS[1]][BY_TAG_ACTIONS[0].lower()]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    try:
        body = json.loads(exchange.body)
    except ValueError:
        return [f"body is not JSON: {exchange.body!r}"]
    mapping = schema["discriminator"]["mapping"]
    if not isinstance(body, dict) or body.get("type") not in mapping:
        return [f"type must be one of {sorted(mapping)} (discriminator mapping)"]
    validator = jsonschema.Draft4Validator(
        {"$ref": mapping[body["type"]], "components": spec["components"]}
    )
    return [error.message for error in validator.iter_errors(body)]


# -- checking one call -------------------------------------------------------------------------


@dataclass
class Verdict:
    exchanges: list[Exchange]
    logged: list[LoggedRequest]
    problems: list[str] = field(default_factory=list)
    excused_refusals: int = 0  # 4xx answers explained by the spec defect above

    def report(self, case: Case, outcome: str) -> str:
        lines = [f"{case.tool} {json.dumps(case.arguments)}: {outcome}"]
        lines += [f"  {problem}" for problem in self.problems]
        lines.append("  requests of this call:")
        lines += [f"    {exchange.line()}" for exchange in self.exchanges] or ["    (none)"]
        return "\n".join(lines)


def judge(exchanges: list[Exchange], logged: list[LoggedRequest]) -> Verdict:
    verdict = Verdict(exchanges, logged)
    for exchange in exchanges:
        violations = exchange.violations
        if (exchange.method, exchange.path) == BY_TAG_ACTIONS:
            errors = _discriminator_errors(exchange)
            verdict.problems += [f"{exchange.line()}\n    body: {error}" for error in errors]
            if violations and all(_is_one_of_defect(v) for v in violations):
                if not errors:
                    verdict.excused_refusals += 1
                continue
        for violation in violations:
            where = ".".join(map(str, violation.get("location", [])))
            if where.startswith("response"):
                continue  # Prism's own example answer, not our request
            verdict.problems.append(
                f"{exchange.line()}\n    sl-violations: {where}: {violation.get('message')}"
            )
        if 400 <= exchange.status < 500 and not violations:
            verdict.problems.append(f"{exchange.line()}\n    Prism refused it ({exchange.status})")
    for request in logged:
        problems = [p for p in request.problems if not _about_the_answer(p)]
        if (request.method, request.path) == BY_TAG_ACTIONS and set(problems) <= ONE_OF_LOG_LINES:
            continue  # the spec defect, checked against the discriminator's schema above
        verdict.problems += [
            f"Prism log: {request.method} {request.path}: {problem}" for problem in problems
        ]
    return verdict


def _about_the_answer(problem: str) -> bool:
    """A Prism log line about its own answer (the spec's example, e.g. the alert list's integer
    entities where the schema says strings), not about the request we sent."""
    return problem.startswith("Response") or problem.startswith("Violation: response")


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def prism(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prism]:
    """Prism on a free loopback port; its log is ``prism.read_log()`` (file in pytest's tmp)."""
    log_path = tmp_path_factory.mktemp("prism") / "prism.log"
    with contextlib.ExitStack() as stack:
        try:
            running = stack.enter_context(Prism.running(log_path))
        except PrismError as error:
            problem = str(error)  # fail outside the except block: no chained traceback
        else:
            yield running
            return
    pytest.fail(problem, pytrace=False)  # an error, never a skip: CI must notice


def _settings(url: str) -> Settings:
    return Settings(
        token="dop_v1_x",
        api_url=url,
        poll_interval=0.05,
        read_timeout=10,
        retry_total=0,
        wait_timeout=2,
        confirm="never",  # the contract is about requests; tests/trust covers confirmation
        toolsets=("all",),  # opt-in toolsets (kubernetes) too
    )


@pytest.fixture
async def client(prism: Prism) -> AsyncIterator[Client]:
    async with Client(build_server(_settings(prism.proxy_url)), mode="auto") as connected:
        yield connected


def _text(result: Any) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)


# -- tests -------------------------------------------------------------------------------------


async def test_every_listed_tool_has_a_case():
    async with Client(build_server(_settings("http://127.0.0.1:9")), mode="auto") as listing:
        listed = {tool.name for tool in (await listing.list_tools()).tools}
    covered = {case.tool for case in CASES}
    assert not listed - covered, f"tools without a Prism contract case: {sorted(listed - covered)}"
    assert not covered - listed, f"cases for tools the server does not list: {covered - listed}"


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_tool_requests_match_the_spec(prism: Prism, client: Client, case: Case):
    seen = len(prism.exchanges)
    start = prism.mark()
    result = await client.call_tool(case.tool, case.arguments)
    end = prism.mark()
    exchanges = prism.exchanges[seen:]
    verdict = judge(exchanges, parse_log(prism.read_log(start, end)))
    outcome = f"error: {_text(result)}" if result.is_error else "ok"

    if not case.sends_request:
        assert not exchanges and not result.is_error, verdict.report(case, outcome)
        return
    assert exchanges, verdict.report(case, f"{outcome}; the call sent no request")
    assert not verdict.problems, verdict.report(case, f"{outcome}; Prism flags requests")
    if case.expect_error is not None:
        assert result.is_error and case.expect_error in _text(result), verdict.report(
            case, f"{outcome}; expected an error with {case.expect_error!r}"
        )
    elif verdict.excused_refusals:
        # Prism refused a valid by-tag body (spec defect above), so the tool reports that 422.
        assert result.is_error and "422" in _text(result), verdict.report(case, outcome)
    else:
        assert not result.is_error, verdict.report(case, outcome)
        assert result.structured_content is not None


def test_the_checks_catch_invalid_requests(prism: Prism):
    """The harness itself: requests the spec rejects are reported, from header and log."""
    seen = len(prism.exchanges)
    start = prism.mark()
    bad = [
        ("GET", "/v2/droplets?per_page=500", None),  # over the maximum
        ("POST", "/v2/droplets", {"name": "web-1", "region": "nyc3", "image": "x"}),  # no size
        ("POST", "/v2/droplets/actions?tag_name=web", {"type": "explode"}),  # not in the enum
        ("POST", "/v2/droplets/actions?tag_name=web", {"type": "snapshot", "name": 3}),
    ]
    for method, target, body in bad:
        _send(prism.proxy_url, method, target, body)
    end = prism.mark()
    exchanges = prism.exchanges[seen:]
    logged = parse_log(prism.read_log(start, end))
    # Prism accepts the last one: only one oneOf branch matches; the discriminator check catches it.
    assert [e.status for e in exchanges] == [422, 422, 422, 201]
    assert [r.path for r in logged] == [e.path for e in exchanges]
    for exchange, request in zip(exchanges, logged, strict=True):
        alone = judge([exchange], [request])
        assert alone.problems, f"not reported: {exchange.line()}"
        if exchange.status == 422:
            assert any(p.startswith("Prism log:") for p in alone.problems), (
                f"Prism's log shows no violation for {exchange.line()}: {request}"
            )
    # A valid by-tag body is refused by Prism (the spec defect) but passes the check.
    start = prism.mark()
    seen = len(prism.exchanges)
    _send(prism.proxy_url, "POST", "/v2/droplets/actions?tag_name=web", {"type": "power_on"})
    valid = judge(prism.exchanges[seen:], parse_log(prism.read_log(start, prism.mark())))
    assert not valid.problems and valid.excused_refusals == 1, valid.problems


def _send(base: str, method: str, target: str, body: Any) -> None:
    """One raw request through the proxy (for the harness test)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + target, data=data, method=method)
    request.add_header("Authorization", "Bearer dop_v1_x")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        urllib.request.urlopen(request, timeout=10).close()
    except urllib.error.HTTPError as error:
        error.close()
