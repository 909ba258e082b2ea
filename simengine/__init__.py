"""simengine: regional input-output and agent-based simulation of local public spending."""

__version__ = "0.1.0"
