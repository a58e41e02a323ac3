"""The records the sandbox keeps. Views that need other records live in the route modules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


@dataclass
class Region:
    slug: str
    name: str
    features: list[str]
    available: bool = True

    def to_json(self, sizes: list[str]) -> JSON:
        return {
            "name": self.name,
            "slug": self.slug,
            "features": list(self.features),
            "available": self.available,
            "sizes": sizes,
        }


@dataclass
class Size:
    slug: str
    description: str
    vcpus: int
    memory: int  # MiB
    disk: int  # GiB
    transfer: float  # TiB
    price_monthly: float
    price_hourly: float
    regions: list[str]
    available: bool = True

    def to_json(self) -> JSON:
        return {
            "slug": self.slug,
            "memory": self.memory,
            "vcpus": self.vcpus,
            "disk": self.disk,
            "transfer": _number(self.transfer),
            "price_monthly": _number(self.price_monthly),
            "price_hourly": self.price_hourly,
            "regions": list(self.regions),
            "available": self.available,
            "description": self.description,
            "disk_info": [{"type": "local", "size": {"amount": self.disk, "unit": "gib"}}],
        }


def _number(value: float) -> float | int:
    """Whole numbers as ints, as DigitalOcean writes prices and transfer (6, not 6.0)."""
    return int(value) if float(value).is_integer() else value


@dataclass
class Image:
    id: int
    name: str
    distribution: str
    regions: list[str]
    created_at: str
    type: str = "base"  # base | snapshot | backup | custom
    slug: str | None = None
    public: bool = True
    kind: str | None = None  # "distribution" | "application" for public images, else None
    min_disk_size: int = 10
    size_gigabytes: float = 2.34
    description: str = ""
    tags: list[str] = field(default_factory=list)
    status: str = "available"
    droplet_id: int | None = None  # the Droplet a snapshot or backup was taken from

    def to_json(self) -> JSON:
        return {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "distribution": self.distribution,
            "slug": self.slug,
            "public": self.public,
            "regions": list(self.regions),
            "created_at": self.created_at,
            "min_disk_size": self.min_disk_size,
            "size_gigabytes": self.size_gigabytes,
            "description": self.description,
            "tags": list(self.tags),
            "status": self.status,
            "error_message": "",
        }


@dataclass
class SshKey:
    id: int
    name: str
    public_key: str
    fingerprint: str

    def to_json(self) -> JSON:
        return {
            "id": self.id,
            "fingerprint": self.fingerprint,
            "public_key": self.public_key,
            "name": self.name,
        }


@dataclass
class Vpc:
    id: str
    name: str
    region: str
    ip_range: str  # e.g. "10.108.0.0/20"
    created_at: str
    default: bool = True  # the region's default VPC (exactly one per region)
    description: str = ""


@dataclass
class Droplet:
    id: int
    name: str
    region: str
    size: str
    image: JSON  # the image as it was when the Droplet was built
    vpc_uuid: str
    created_at: str
    disk: int
    status: str = "new"  # new | active | off | archive
    features: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    volume_ids: list[str] = field(default_factory=list)
    backup_ids: list[int] = field(default_factory=list)
    snapshot_ids: list[int] = field(default_factory=list)
    ssh_key_ids: list[int] = field(default_factory=list)
    user_data: str | None = None
    public_ipv4: str | None = None
    private_ipv4: str | None = None
    public_ipv6: str | None = None
    backup_policy: JSON | None = None  # set while backups are on (see _backups)
    kernel: JSON | None = None  # None: the image's internal kernel (every Droplet since 2017)


@dataclass
class Action:
    id: int
    type: str
    resource_type: str
    resource_id: int | None
    region_slug: str | None
    started_at: str
    due: float  # clock() time at which it completes
    status: str = "in-progress"  # in-progress | completed | errored
    completed_at: str | None = None
    on_complete: Callable[[], None] | None = field(default=None, repr=False, compare=False)


@dataclass
class Tag:
    name: str
    last_tagged: dict[str, str] = field(default_factory=dict)  # resource plural -> uri
    last_tagged_uri: str = ""


def ssh_fingerprint(public_key: str) -> str | None:
    """The MD5 fingerprint DigitalOcean shows for an OpenSSH public key, or None if malformed."""
    import base64
    import binascii
    import hashlib

    parts = public_key.strip().split()
    if len(parts) < 2 or not parts[0].startswith(("ssh-", "ecdsa-", "sk-")):
        return None
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(blob) < 4 or blob[4 : 4 + int.from_bytes(blob[:4], "big")] != parts[0].encode():
        return None
    digest = hashlib.md5(blob).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))
