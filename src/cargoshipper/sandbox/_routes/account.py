"""The account, its balance, and its SSH keys."""

from __future__ import annotations

from .._api import (
    Request,
    Response,
    Router,
    created,
    no_content,
    not_found,
    ok,
    paginate,
    unprocessable,
)
from .._models import SshKey, ssh_fingerprint

router = Router()


@router.get("/v2/account")
def get_account(request: Request) -> Response:
    return ok({"account": dict(request.world.account)})


@router.get("/v2/customers/my/balance")
def get_balance(request: Request) -> Response:
    return ok({**request.world.balance, "generated_at": request.world.iso()})


def find_ssh_key(request: Request, identifier: str) -> SshKey:
    """An SSH key by id or fingerprint; 404 if there is none."""
    keys = request.world.ssh_keys
    if identifier.isdigit() and int(identifier) in keys:
        return keys[int(identifier)]
    for key in keys.values():
        if key.fingerprint == identifier:
            return key
    raise not_found()


@router.get("/v2/account/keys")
def list_ssh_keys(request: Request) -> Response:
    keys = [key.to_json() for key in request.world.ssh_keys.values()]
    return ok(paginate(request, "ssh_keys", keys))


@router.post("/v2/account/keys")
def create_ssh_key(request: Request) -> Response:
    body = request.json()
    name = body.get("name")
    public_key = body.get("public_key")
    if not isinstance(name, str) or not name.strip():
        raise unprocessable("Name can't be blank")
    fingerprint = ssh_fingerprint(public_key) if isinstance(public_key, str) else None
    if fingerprint is None:
        raise unprocessable("Key invalid, key should be of the format `type key [comment]`")
    if any(k.fingerprint == fingerprint for k in request.world.ssh_keys.values()):
        raise unprocessable("SSH Key is already in use on your account")
    key = SshKey(request.world.next_id("ssh_key"), name, public_key.strip(), fingerprint)
    request.world.ssh_keys[key.id] = key
    return created({"ssh_key": key.to_json()})


@router.get("/v2/account/keys/{ssh_key_identifier}")
def get_ssh_key(request: Request) -> Response:
    key = find_ssh_key(request, request.params["ssh_key_identifier"])
    return ok({"ssh_key": key.to_json()})


@router.put("/v2/account/keys/{ssh_key_identifier}")
def update_ssh_key(request: Request) -> Response:
    key = find_ssh_key(request, request.params["ssh_key_identifier"])
    name = request.json().get("name")
    if name is not None:
        if not isinstance(name, str) or not name.strip():
            raise unprocessable("Name can't be blank")
        key.name = name
    return ok({"ssh_key": key.to_json()})


@router.delete("/v2/account/keys/{ssh_key_identifier}")
def delete_ssh_key(request: Request) -> Response:
    key = find_ssh_key(request, request.params["ssh_key_identifier"])
    del request.world.ssh_keys[key.id]
    return no_content()
