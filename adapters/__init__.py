"""Shipped adapters for other languages; sources only, built on first use by fixtures.builtin_adapters."""
