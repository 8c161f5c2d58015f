"""The uvloop target: the asyncio adapter (adapters/asyncio) on ``uvloop.new_event_loop()``.

No code of its own beyond the loop and the name: every operation is AsyncioAdapter's, run on
uvloop's event loop (libuv underneath) instead of the standard library's. uvloop is a PyPI
package, in the project's ``adapters`` extra; without it the target is unavailable.
"""

from __future__ import annotations

import platform

from adapters.asyncio.adapter import AsyncioAdapter

INSTALL = "pip install 'sockspec[adapters]'"


def _uvloop():
    try:
        import uvloop
    except ImportError as exc:
        from fixtures.errors import TargetUnavailable  # the suite loads this module: say why in one line
        raise TargetUnavailable(f"built-in adapter 'uvloop' needs the uvloop package ({exc}): "
                                f"{INSTALL}") from None
    return uvloop


class UvloopAdapter(AsyncioAdapter):
    implementation = "uvloop"

    def __init__(self) -> None:
        self._uvloop = _uvloop()
        super().__init__(loop_factory=self._uvloop.new_event_loop)

    def version(self) -> str:
        return f"{self._uvloop.__version__} (asyncio on CPython {platform.python_version()})"
