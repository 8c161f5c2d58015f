"""The xdist controller's own work, kept linear: pytest's failure summary finds each failure's
teardown report through an index (conformance.plugin._index_teardown_reports), and the
scheduler finds each case's place in a worker's collection through one."""

from __future__ import annotations

from types import SimpleNamespace

from _pytest.reports import TestReport

from conformance.plugin import _index_teardown_reports
from conformance.schedule import UnitScheduling


def _report(nodeid: str, when: str) -> TestReport:
    return TestReport(nodeid=nodeid, location=("t.py", 1, nodeid), keywords={}, outcome="passed",
                      longrepr=None, when=when)


class FakeReporter:
    def __init__(self, reports):
        self.stats = {"": reports}

    def getreports(self, name):
        return self.stats.get(name, [])

    def _get_teardown_reports(self, node_id):  # pytest's own, as it is
        return [r for r in self.getreports("") if r.when == "teardown" and getattr(r, "id", r.nodeid) == node_id]


def test_the_indexed_lookup_finds_what_pytest_finds():
    reports = [_report(f"t.py::test_{i % 7}", when) for i in range(50) for when in ("setup", "teardown")]
    reporter = FakeReporter(reports)
    unindexed = {r.nodeid: reporter._get_teardown_reports(getattr(r, "id", r.nodeid)) for r in reports}
    _index_teardown_reports(reporter)
    for report in reports:
        assert reporter._get_teardown_reports(getattr(report, "id", report.nodeid)) == unindexed[report.nodeid]
    reports.append(_report("t.py::test_late", "teardown"))  # a report that came after the index was made
    assert [r.nodeid for r in reporter._get_teardown_reports(getattr(reports[-1], "id", "t.py::test_late"))] \
        == ["t.py::test_late"]


def test_a_reporter_without_the_lookup_is_left_alone():
    reporter = SimpleNamespace(stats={}, getreports=lambda name: [])
    _index_teardown_reports(reporter)
    _index_teardown_reports(None)
    assert not hasattr(reporter, "_get_teardown_reports")


def test_a_unit_is_sent_as_its_places_in_the_worker_collection():
    sent = []

    class Node:  # a worker, as the scheduler sees one
        send_runtest_some = staticmethod(sent.append)
    node = Node()
    config = SimpleNamespace(getvalue=lambda name: ["2*popen"] if name == "tx" else None,
                             option=SimpleNamespace(loadscopereorder=False))
    scheduler = UnitScheduling(config)
    collection = [f"t.py::test_x[{target}-ipv4-client]" for target in ("reference", "c", "go")]
    scheduler.registered_collections[node] = collection
    scheduler.workqueue["t.py::test_x[ipv4-client]"] = {collection[0]: False, collection[1]: True, collection[2]: False}
    scheduler._assign_work_unit(node)
    assert sent == [[0, 2]]
    assert scheduler.assigned_work[node] == {"t.py::test_x[ipv4-client]": {collection[0]: False, collection[1]: True,
                                                                           collection[2]: False}}
