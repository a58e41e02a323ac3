"""A local, stateful DigitalOcean API v2 simulator served over real HTTP on loopback.

Point pydo (or any client) at ``Sandbox(...).url``. It keeps a small account (regions, sizes,
images, SSH keys, Droplets, actions, tags, domains, volumes, Kubernetes, VPCs, firewalls, load
balancers), follows the official OpenAPI spec's shapes, and can inject faults (error statuses,
slow answers, dropped connections) for tests. The spec's other collections (reserved IPs,
certificates, CDN endpoints ...) live in a generic in-memory store; any other operation of the
spec answers 501 ``not_implemented``.
"""

from ._app import App, create_app
from ._config import SandboxConfig
from ._faults import Fault
from ._server import Sandbox, serve
from ._state import World

__all__ = ["App", "Fault", "Sandbox", "SandboxConfig", "World", "create_app", "serve"]
