"""The initial account: DigitalOcean's catalog (always) and a small demo fleet (``seed=True``)."""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import TYPE_CHECKING

from ._backups import backup_policy
from ._models import JSON, Action, Droplet, Image, Region, Size, SshKey, Vpc, ssh_fingerprint
from ._network import assign_addresses, default_vpc

if TYPE_CHECKING:
    from ._state import World

DAY = 86_400.0

REGIONS = {
    "nyc1": "New York 1",
    "nyc3": "New York 3",
    "sfo3": "San Francisco 3",
    "ams3": "Amsterdam 3",
    "fra1": "Frankfurt 1",
    "lon1": "London 1",
    "sgp1": "Singapore 1",
    "tor1": "Toronto 1",
    "blr1": "Bangalore 1",
    "syd1": "Sydney 1",
}
REGION_FEATURES = [
    "backups",
    "ipv6",
    "metadata",
    "install_agent",
    "storage",
    "image_transfer",
]

# slug, description, vcpus, memory MiB, disk GiB, transfer TiB, $/month, $/hour, regions lacking it
SIZES: list[tuple[str, str, int, int, int, float, float, float, tuple[str, ...]]] = [
    ("s-1vcpu-512mb-10gb", "Basic", 1, 512, 10, 0.5, 4.0, 0.00595, ()),
    ("s-1vcpu-1gb", "Basic", 1, 1024, 25, 1.0, 6.0, 0.00893, ()),
    ("s-1vcpu-2gb", "Basic", 1, 2048, 50, 2.0, 12.0, 0.01786, ()),
    ("s-2vcpu-2gb", "Basic", 2, 2048, 60, 3.0, 18.0, 0.02679, ()),
    ("s-2vcpu-4gb", "Basic", 2, 4096, 80, 4.0, 24.0, 0.03571, ()),
    ("s-4vcpu-8gb", "Basic", 4, 8192, 160, 5.0, 48.0, 0.07143, ()),
    ("s-8vcpu-16gb", "Basic", 8, 16384, 320, 6.0, 96.0, 0.14286, ()),
    ("c-2", "CPU-Optimized", 2, 4096, 25, 4.0, 42.0, 0.0625, ("nyc1",)),
    ("g-2vcpu-8gb", "General Purpose", 2, 8192, 25, 4.0, 63.0, 0.09375, ("nyc1", "syd1")),
    ("m-2vcpu-16gb", "Memory-Optimized", 2, 16384, 50, 4.0, 84.0, 0.125, ("nyc1", "syd1")),
]

# id, slug, name, distribution, kind, min_disk_size, size_gigabytes
PUBLIC_IMAGES: list[tuple[int, str, str, str, str, int, float]] = [
    (170_210_011, "ubuntu-24-04-x64", "24.04 (LTS) x64", "Ubuntu", "distribution", 7, 2.47),
    (129_211_873, "ubuntu-22-04-x64", "22.04 (LTS) x64", "Ubuntu", "distribution", 7, 2.21),
    (147_886_402, "debian-12-x64", "12 x64", "Debian", "distribution", 7, 1.02),
    (169_452_510, "fedora-42-x64", "42 x64", "Fedora", "distribution", 7, 1.55),
    (155_217_304, "rockylinux-9-x64", "9 x64", "Rocky Linux", "distribution", 10, 1.34),
    (156_090_512, "centos-stream-9-x64", "9 Stream x64", "CentOS", "distribution", 10, 1.42),
    (158_404_021, "docker-20-04", "Docker on Ubuntu 22.04", "Ubuntu", "application", 25, 3.91),
    (158_404_355, "wordpress-22-04", "WordPress on Ubuntu 22.04", "Ubuntu", "application", 25, 4.2),
    (158_404_788, "mysql-22-04", "MySQL on Ubuntu 22.04", "Ubuntu", "application", 25, 3.05),
    (158_405_102, "lamp-22-04", "LAMP on Ubuntu 22.04", "Ubuntu", "application", 25, 3.37),
]

# The externally managed kernels a Droplet may switch to (GET /v2/droplets/{id}/kernels).
KERNELS: list[JSON] = [
    {
        "id": 7515,
        "name": "DigitalOcean GrubLoader v0.2 (20160714)",
        "version": "2016.07.13-DigitalOcean_loader_Ubuntu",
    },
    {
        "id": 61833229,
        "name": "Ubuntu 18.04 x64 vmlinuz-4.15.0-20-generic",
        "version": "4.15.0-20-generic",
    },
    {"id": 231, "name": "DO-recovery-static-fsck", "version": "3.8.0-25-generic"},
]

ACCOUNT_UUID = "b6fc48dbf6d9906cace5f3c78dc9851e757381ef"
TEAM_UUID = "5df3e3004a17e242b7c20ca6c9fc25b701a47ece"


def seed_catalog(world: World) -> None:
    """Account, balance, regions, sizes, public images, and a default VPC per region."""
    world.account = {
        "droplet_limit": 25,
        "floating_ip_limit": 5,
        "reserved_ip_limit": 5,
        "volume_limit": 100,
        "email": "sammy@example.com",
        "name": "Sammy the Shark",
        "uuid": ACCOUNT_UUID,
        "email_verified": True,
        "status": "active",
        "status_message": "",
        "team": {"uuid": TEAM_UUID, "name": "My Team"},
    }
    world.balance = {
        "month_to_date_balance": "23.44",
        "account_balance": "12.23",
        "month_to_date_usage": "11.21",
    }
    for slug, name in REGIONS.items():
        world.regions[slug] = Region(slug=slug, name=name, features=list(REGION_FEATURES))
    for slug, desc, vcpus, memory, disk, transfer, monthly, hourly, missing in SIZES:
        regions = [r for r in REGIONS if r not in missing]
        world.sizes[slug] = Size(
            slug, desc, vcpus, memory, disk, transfer, monthly, hourly, regions
        )
    launched = world.iso(world.now() - 400 * DAY)
    for image_id, slug, name, distro, kind, min_disk, gigabytes in PUBLIC_IMAGES:
        world.images[image_id] = Image(
            id=image_id,
            name=name,
            distribution=distro,
            regions=list(REGIONS),
            created_at=launched,
            slug=slug,
            kind=kind,
            min_disk_size=min_disk,
            size_gigabytes=gigabytes,
            description=f"{distro} {name}",
        )
    for index, slug in enumerate(REGIONS):
        vpc_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"cargoshipper-sandbox/vpc/{slug}"))
        world.vpcs[vpc_id] = Vpc(
            id=vpc_id,
            name=f"default-{slug}",
            region=slug,
            ip_range=f"10.{108 + index}.0.0/20",
            created_at=launched,
        )


def make_public_key(comment: str) -> str:
    """A well-formed (but throwaway) ssh-ed25519 public key, deterministic per comment."""
    algo = b"ssh-ed25519"
    key = hashlib.sha256(comment.encode()).digest()
    blob = len(algo).to_bytes(4, "big") + algo + len(key).to_bytes(4, "big") + key
    return f"ssh-ed25519 {base64.b64encode(blob).decode()} {comment}"


def seed_account(world: World) -> None:
    """Two SSH keys, three running Droplets, a snapshot, a backup, and their tags and actions."""
    for key_id, name, comment in [
        (41_203_301, "sammy-laptop", "sammy@laptop"),
        (41_203_388, "ci-deploy", "deploy@ci"),
    ]:
        public_key = make_public_key(comment)
        fingerprint = ssh_fingerprint(public_key)
        assert fingerprint is not None
        world.ssh_keys[key_id] = SshKey(key_id, name, public_key, fingerprint)

    ubuntu = 170_210_011
    for droplet_id, name, size, tags, features in [
        (501_000_101, "app-1", "s-1vcpu-1gb", ["web", "env:prod"], ["monitoring"]),
        (501_000_102, "app-2", "s-1vcpu-1gb", ["web", "env:prod"], ["monitoring", "ipv6"]),
        (501_000_103, "db-1", "s-2vcpu-4gb", ["db", "env:prod"], ["backups"]),
    ]:
        _seed_droplet(world, droplet_id, name, size, ubuntu, tags, features)

    snapshot = Image(
        id=171_000_011,
        name="app-1-before-upgrade",
        distribution="Ubuntu",
        regions=["nyc3"],
        created_at=world.iso(world.now() - 2 * DAY),
        type="snapshot",
        public=False,
        min_disk_size=25,
        size_gigabytes=2.36,
        droplet_id=501_000_101,
    )
    backup = Image(
        id=171_000_012,
        name="db-1 backup",
        distribution="Ubuntu",
        regions=["nyc3"],
        created_at=world.iso(world.now() - 1 * DAY),
        type="backup",
        public=False,
        min_disk_size=80,
        size_gigabytes=4.18,
        droplet_id=501_000_103,
    )
    for image in (snapshot, backup):
        world.images[image.id] = image
    world.droplets[501_000_101].snapshot_ids.append(snapshot.id)
    world.droplets[501_000_103].backup_ids.append(backup.id)


def _seed_droplet(
    world: World,
    droplet_id: int,
    name: str,
    size_slug: str,
    image_id: int,
    tags: list[str],
    features: list[str],
) -> None:
    created = world.now() - 5 * DAY
    size = world.sizes[size_slug]
    droplet = Droplet(
        id=droplet_id,
        name=name,
        region="nyc3",
        size=size_slug,
        image=world.images[image_id].to_json(),
        vpc_uuid=default_vpc(world, "nyc3").id,
        created_at=world.iso(created),
        disk=size.disk,
        status="active",
        features=["private_networking", *features],
        tags=list(tags),
        ssh_key_ids=[41_203_301],
    )
    if "backups" in features:
        droplet.backup_policy = backup_policy(None)
    assign_addresses(world, droplet)
    world.droplets[droplet_id] = droplet
    for tag in tags:
        world.ensure_tag(tag).last_tagged_uri = f"/v2/droplets/{droplet_id}"
        world.tags[tag].last_tagged["droplets"] = f"/v2/droplets/{droplet_id}"
    action = Action(
        id=world.next_id("action"),
        type="create",
        resource_type="droplet",
        resource_id=droplet_id,
        region_slug="nyc3",
        started_at=world.iso(created),
        due=created + 40,
        status="completed",
        completed_at=world.iso(created + 40),
    )
    world.actions[action.id] = action
