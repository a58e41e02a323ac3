"""Every pydo operation, findable by plain-language search.

The index (``operations.json``, built offline by ``scripts/build_operations_index.py``) is
plain JSON: loading it imports neither pydo nor YAML, so listing tools stays cheap.

    >>> search("list reserved IPs")[0].id
    'reserved_ips.list'
    >>> get_operation("droplets.get").path_params
    ('droplet_id',)
"""

from ._index import Operation, get_operation, operations, pydo_version
from ._search import search

__all__ = ["Operation", "get_operation", "operations", "pydo_version", "search"]
