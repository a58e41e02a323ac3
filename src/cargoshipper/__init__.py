"""CargoShipper MCP: run DigitalOcean infrastructure from an AI agent, safely and compactly."""

__version__ = "0.1.0"
