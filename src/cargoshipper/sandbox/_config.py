"""Settings of one sandbox instance."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SandboxConfig:
    """How the simulated DigitalOcean account behaves.

    boot_seconds: from a Droplet create until it is ``active`` (and its create action completes).
    action_seconds: how long an action (power_off, resize, snapshot ...) stays ``in-progress``.
    seed: start with the small demo account (Droplets, keys, snapshots, tags), not an empty one.
    rate_limit_per_hour: the sliding-hour budget behind the ``ratelimit-*`` headers; then 429.
    """

    boot_seconds: float = 3.0
    action_seconds: float = 1.5
    seed: bool = True
    rate_limit_per_hour: int = 5000
