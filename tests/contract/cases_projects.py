"""Prism contract cases for the projects toolset: (tool, arguments, label[, expect_error]).

Ids and names come from the spec's examples: the project list holds my-web-api
(4e1bfbc3-...) and the default project Default (addb4547-...); every project's resources are
droplet 13457723 and domain example.com, so project_delete refuses before sending, naming them,
as it must. The droplet list holds example.com (3164444) and the domain list example.com, which
project_assign resolves; a name in neither is refused after the look-ups, before the POST.
"""

from __future__ import annotations

from typing import Any

PROJECT = "4e1bfbc3-dc3e-41f2-a18f-1b4d7ba71679"  # my-web-api

CASES_PROJECTS: list[tuple[Any, ...]] = [
    ("project_list", {}, ""),
    ("project_list", {"page": 2, "per_page": 10}, "page"),
    ("project_get", {"project": PROJECT}, "id"),
    ("project_get", {"project": "my-web-api"}, "name"),
    ("project_get", {"project": "default"}, "default"),
    (
        "project_create",
        {
            "name": "staging",
            "environment": "Staging",
            "purpose": "Service or API",
            "description": "pre-production",
        },
        "",
    ),
    ("project_create", {"name": "minimal"}, "minimal"),
    ("project_create", {"name": "my-web-api"}, "taken", "already exists"),
    ("project_update", {"project": PROJECT, "description": "API", "environment": "Production"}, ""),
    ("project_update", {"project": PROJECT, "name": "renamed-api"}, "rename"),
    ("project_update", {"project": "my-web-api", "is_default": True}, "make-default"),
    (
        "project_assign",
        {"project": PROJECT, "resources": ["droplet:3164444", "domain:example.com"]},
        "",
    ),
    (
        "project_assign",
        {"project": "default", "resources": ["droplet:example.com", "do:domain:example.com"]},
        "default-by-name",
    ),
    (
        "project_assign",
        {"project": PROJECT, "resources": ["droplet:ghost"]},
        "unknown",
        "Nothing was assigned",
    ),
    ("project_delete", {"project": PROJECT}, "not-empty", "still holds 2 resource(s)"),
    ("project_delete", {"project": "default"}, "default", "is the default project"),
]
