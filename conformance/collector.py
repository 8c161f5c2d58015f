"""Graded results: carried on each report (they cross xdist with it), collected, written."""

from __future__ import annotations

import functools
from collections import Counter

import pytest

from fixtures import codec

GRADE_PROPERTY = "sockspec"


def grade_of(report: pytest.TestReport) -> dict | None:
    for name, value in getattr(report, "user_properties", ()):
        if name == GRADE_PROPERTY:
            return _decoded(value)
    return None


@functools.lru_cache(maxsize=64)
def _decoded(value: str) -> dict:
    """A graded case, decoded once: hooks ask for a report's grade several times, and on the
    xdist controller it holds the case's traces. (Callers only read it.)"""
    return codec.loads(value)


def family_of(spec) -> str | None:
    """The language a target's library belongs to (its manifest's ``family``; the reference is
    Python's socket module), so the report can set a library beside its neighbours."""
    if spec.kind == "reference":
        return "Python"
    if spec.kind == "builtin":
        from fixtures.builtin_adapters import manifest
        return manifest(spec.value).family or None
    return None


class ResultCollector:
    """Collects graded cases as reports arrive (on the xdist controller too: a report's
    user_properties travel with it) and writes the reports at the end of the session."""

    def __init__(self, config: pytest.Config, targets: dict) -> None:
        self.config = config
        self.targets = targets
        self.results: list[dict] = []
        self.report_paths: list = []
        self.report_notes: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        graded = grade_of(report)
        if graded is not None and (report.when == "call" or (report.when == "setup" and not report.passed)):
            self.results.append(graded)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if hasattr(self.config, "workerinput"):  # an xdist worker: the controller writes the reports
            return
        targets = {}
        for label, target in self.targets.items():
            own = [r for r in self.results if r["target"] == label]
            adapters = {r["adapter"] for r in own if r.get("adapter")}
            versions = {r["version"] for r in own if r.get("version")}
            targets[label] = {"spec": target.spec.text, "adapter": ", ".join(sorted(adapters)) or None,
                              "version": ", ".join(sorted(versions)) or None, "family": family_of(target.spec)}
        alluredir = getattr(self.config.option, "allure_report_dir", None)
        if alluredir:
            from reports import allure_meta
            allure_meta.write(alluredir, targets)
        report_dir = self.config.getoption("sockspec_report")
        if report_dir and self.results:
            from reports.writer import write_reports
            written = write_reports(report_dir, self.results, targets, alluredir)
            self.report_paths, self.report_notes = written.paths, written.notes

    def pytest_terminal_summary(self, terminalreporter) -> None:
        reasons = Counter(r["detail"] for r in self.results if r["grade"] in ("not-applicable", "skipped"))
        if reasons:
            terminalreporter.section("sockspec: not applicable or skipped")
            for reason, count in reasons.most_common():
                terminalreporter.write_line(f"{count:4d} × {reason}")
        flaky = [r for r in self.results if r["grade"] == "flaky"]
        if flaky:
            terminalreporter.section("sockspec: flaky (grades differ across repeats)")
            for r in flaky:
                terminalreporter.write_line(f"{r['nodeid']}: {r['detail']}")
        from reports import target_status
        for label in self.targets if self.results else ():  # (no results: not a run of the suite)
            status = target_status.status_of(self.results, label)
            if status["status"] != target_status.RAN:  # no verdict on it: say so where nobody can miss it
                terminalreporter.write_line(f"sockspec: target {label!r} did not run ({status['status']}): "
                                            f"{status['status_reason']}", yellow=True, bold=True)
        for path in self.report_paths:
            terminalreporter.write_line(f"sockspec report: {path}")
        for note in self.report_notes:
            terminalreporter.write_line(f"sockspec report: {note}")
