"""End-to-end verification kit for cross-account, cross-region AWS messaging."""

__version__ = "0.1.0"
