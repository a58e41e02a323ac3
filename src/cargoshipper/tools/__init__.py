"""Every toolset, in the order the tool list shows them: the one enrolment list."""

from ..registry import Toolset
from . import (
    account,
    actions,
    api,
    catalog,
    databases,
    dns,
    droplets,
    firewalls,
    images,
    kubernetes,
    load_balancers,
    monitoring,
    projects,
    volumes,
    vpcs,
)

TOOLSETS: tuple[Toolset, ...] = (
    account.TOOLSET,
    catalog.TOOLSET,
    droplets.TOOLSET,
    images.TOOLSET,
    actions.TOOLSET,
    dns.TOOLSET,
    volumes.TOOLSET,
    kubernetes.TOOLSET,
    vpcs.TOOLSET,
    firewalls.TOOLSET,
    load_balancers.TOOLSET,
    databases.TOOLSET,
    projects.TOOLSET,
    monitoring.TOOLSET,
    api.TOOLSET,
)
