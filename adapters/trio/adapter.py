"""The trio adapter's entry point (adapter.toml: ``python = "adapters.trio.adapter:load"``).

trio is a PyPI package (the project's ``adapters`` extra). This module imports it only when
the suite starts the target, so that a machine without trio sees the target unavailable, with
one line saying how to install it, instead of an import error.
"""

from __future__ import annotations

INSTALL = "pip install 'sockspec[adapters]'"


def load():
    """A new TrioAdapter (core.py): trio on a thread of its own, answering handle(request)."""
    try:
        import trio  # noqa: F401
    except ImportError as exc:
        raise _unavailable(f"the trio adapter needs the trio package ({INSTALL}): {exc}") from None
    from .core import TrioAdapter
    return TrioAdapter()


def _unavailable(message: str) -> Exception:
    try:  # the suite's own "cannot run here" (a skip with its reason), when run by the suite
        from fixtures.errors import TargetUnavailable
    except ImportError:
        return RuntimeError(message)
    return TargetUnavailable(message)
