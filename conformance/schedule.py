"""How cases are handed to xdist workers: by reference run, longest first.

A case's expected trace is the reference's run of the same behaviour, family and seat, made
once per process and shared by every target (conformance.runner._expected). So the cases
that share it go to one worker as one unit: the reference runs once per unit instead of once
per worker that meets the behaviour (a keep-alive case waits 4 s, for the reference as for
each target). Units are handed out one at a time, as workers free up, longest first (the
longest-processing-time rule): most of a long case is waiting (a keep-alive window, a
retransmission timer, a quiet window that must pass in full), which workers overlap, and
only short units are left for the end, so no worker runs a long queue while the rest idle.

Expected seconds per case come from a measured matrix run (``conformance/case_seconds.json``,
written by ``benchmarks/case_seconds.py``); a behaviour it does not list counts as short.
Neither the grouping nor the order changes a verdict: every case stands alone.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from xdist.scheduler import LoadScopeScheduling

from .scenario import FAMILY_NEEDS

CASE_SECONDS = Path(__file__).resolve().parent / "case_seconds.json"
SHORT_CASE = 0.02  # seconds: a case the measurement does not list
# Longest first, so that "x-ipv4-mapped" is not read as family "ipv4" of target "x-…-mapped".
_FAMILIES = sorted(FAMILY_NEEDS, key=len, reverse=True)


@functools.lru_cache(maxsize=1)
def case_seconds() -> dict[str, float]:
    """Mean seconds of one case, by behaviour ID, as last measured; empty if not at hand."""
    try:
        return dict(json.loads(CASE_SECONDS.read_text(encoding="utf-8"))["seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def unit_of(nodeid: str) -> str:
    """The unit a case belongs to: its test function, family and seat, i.e. its node ID
    without the target (``…::test_x[c-ipv4-client]`` → ``…::test_x[ipv4-client]``). A node
    ID that is not a case (no target-family-seat parameters) is a unit of its own."""
    function, bracket, params = nodeid.partition("[")
    if not bracket or not params.endswith("]"):
        return nodeid
    rest, dash, seat = params[:-1].rpartition("-")
    for family in _FAMILIES:
        if dash and rest.endswith("-" + family):
            return f"{function}[{family}-{seat}]"
    return nodeid


def order_by_unit(items: list) -> None:
    """Sort ``items`` in place so each unit's cases are together, units longest first (by
    their cases' expected seconds summed); equal units keep their collection order."""
    seconds = case_seconds()
    units = [unit_of(item.nodeid) for item in items]
    totals: dict[str, float] = {}
    first: dict[str, int] = {}
    for index, (item, unit) in enumerate(zip(items, units)):
        spec = getattr(getattr(item, "function", None), "sockspec", None)
        totals[unit] = totals.get(unit, 0.0) + (seconds.get(spec.behaviour.id, SHORT_CASE) if spec else 0.0)
        first.setdefault(unit, index)
    order = sorted(range(len(items)), key=lambda i: (-totals[units[i]], first[units[i]], i))
    items[:] = [items[i] for i in order]


class UnitScheduling(LoadScopeScheduling):
    """xdist's load-scope scheduling with sockspec's units, in the order collection gave them
    (already longest first): one unit per worker at a time, plus one queued."""

    def __init__(self, config, log=None) -> None:
        super().__init__(config, log)
        self._indexes: dict = {}  # per worker: node ID -> its place in that worker's collection

    def _split_scope(self, nodeid: str) -> str:
        return unit_of(nodeid)

    def _assign_work_unit(self, node) -> None:
        """As xdist's, with each worker's collection indexed once: xdist looks every case up
        with list.index, a scan of the whole collection per case (7.8 s of the controller's
        time in a 14,145-case matrix)."""
        scope, work_unit = self.workqueue.popitem(last=False)
        self.assigned_work.setdefault(node, {})[scope] = work_unit
        index = self._indexes.get(node)
        if index is None:
            index = self._indexes[node] = {nodeid: i for i, nodeid in enumerate(self.registered_collections[node])}
        node.send_runtest_some([index[nodeid] for nodeid, completed in work_unit.items() if not completed])
