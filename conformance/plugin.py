"""The sockspec pytest plugin (entry point ``pytest11``): targets, selection, grading, labels.

Each behaviour test is parametrised over targets × families × the seats the target takes.
Its body is a scenario; this plugin runs it with the reference and with the target, grades
the pair, and reports through three channels that stay apart:

- a behaviour the target gets wrong fails (Allure: failed);
- a fault of the adapter or the harness is an *error* (Allure: broken);
- a behaviour the target or host cannot do is skipped as *not applicable*, with its reason.
"""

from __future__ import annotations

import functools
import json
import resource
from collections import Counter
from dataclasses import dataclass

import pytest

from fixtures import host
from fixtures.errors import AdapterFault, TargetSpecError, TargetUnavailable
from fixtures.target_spec import parse_targets
from fixtures.echo_service import AdapterTcpEcho, AdapterUdpEcho, ProgramEcho
from fixtures.programs import ProgramTarget
from fixtures.targets import Target, make_target
from fixtures.transports import InProcessTransport
from reference_impl.engine import ReferenceAdapter

from . import catalogue
from .grading import ReferenceDisagrees, Verdict, execute, grade
from .scenario import NotApplicable, ScenarioSpec

TARGETS = pytest.StashKey[dict]()
GRADE_PROPERTY = "sockspec"
SEVERITY = {"MUST": "critical", "SHOULD": "normal", "MAY": "minor"}


@dataclass(frozen=True)
class Case:
    """One parametrisation of a behaviour test."""
    target: str
    family: str
    seat: str

    @property
    def id(self) -> str:
        return f"{self.target}-{self.family}-{self.seat}"


# -- options and configuration ------------------------------------------------------------

def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sockspec", "sockspec socket conformance")
    group.addoption("--target", action="append", default=[], metavar="SPEC",
                    help="implementation under test (repeatable): reference (default), python:MODULE:ATTR, "
                         "cmd:COMMAND, or a built-in adapter name such as c; LABEL=SPEC names it")
    group.addoption("--behaviour", "--behavior", action="append", default=[], metavar="ID",
                    help="run only behaviours whose ID starts with ID (repeatable), e.g. TCP-PASSIVE")
    group.addoption("--adapter-grace", type=float, default=5.0, metavar="SECONDS",
                    help="how long past an operation's own timeout an adapter may take to answer (default 5)")
    group.addoption("--program-start-timeout", type=float, default=10.0, metavar="SECONDS",
                    help="how long a program target may take to start listening (default 10)")
    group.addoption("--sockspec-report", metavar="DIR",
                    help="write the compliance report (summary.json, compliance.html) into DIR")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "behaviour(id): the catalogue behaviour a scenario checks")
    _raise_open_file_limit()
    try:
        specs = parse_targets(config.getoption("target"))
        grace = config.getoption("adapter_grace")
        start = config.getoption("program_start_timeout")
        targets = {spec.label: ProgramTarget(spec, start) if spec.is_program else make_target(spec, grace)
                   for spec in specs}
    except TargetSpecError as exc:
        raise pytest.UsageError(str(exc)) from None
    for prefix in config.getoption("behaviour"):
        if not catalogue.select([prefix]):
            raise pytest.UsageError(f"--behaviour {prefix!r} matches no behaviour; see `sockspec list`")
    config.stash[TARGETS] = targets
    config.pluginmanager.register(ResultCollector(config), "sockspec-results")


def _raise_open_file_limit() -> None:
    """Hundreds of concurrent sessions need more descriptors than the usual soft limit of 1024;
    adapters started from here inherit the raised limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 65536 if hard == resource.RLIM_INFINITY else min(hard, 65536)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def pytest_unconfigure(config: pytest.Config) -> None:
    for target in config.stash.get(TARGETS, {}).values():
        target.close()


def pytest_report_header(config: pytest.Config) -> list[str]:
    targets = config.stash.get(TARGETS, {})
    return [f"sockspec target {t.label!r}: {t.spec.text.removeprefix(t.label + '=')}" for t in targets.values()]


# -- collection -----------------------------------------------------------------------------

def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    spec: ScenarioSpec | None = getattr(metafunc.function, "sockspec", None)
    if spec is None:
        return
    targets = metafunc.config.stash[TARGETS]
    cases = [Case(label, family, seat)
             for label, target in targets.items() if target_kind(target) in spec.target_kinds
             for family in spec.families
             for seat in spec.seats]
    metafunc.parametrize("run", cases, ids=[case.id for case in cases], indirect=True)


def target_kind(target: Target | ProgramTarget) -> str:
    return target.kind if isinstance(target, ProgramTarget) else "adapter"


@pytest.fixture
def run(request: pytest.FixtureRequest) -> Case:
    """The case a behaviour test runs; the plugin hands the scenario a live Run instead."""
    return request.param


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    prefixes = [p.upper() for p in config.getoption("behaviour")]
    selected, deselected = [], []
    for item in items:
        spec: ScenarioSpec | None = getattr(getattr(item, "function", None), "sockspec", None)
        if spec is None:
            selected.append(item)
            continue
        selected_id = not prefixes or any(spec.behaviour.id.startswith(p) for p in prefixes)
        if not selected_id or not isinstance(item.callspec.params.get("run"), Case):
            deselected.append(item)  # not asked for, or no target of a kind this scenario can check
            continue
        _add_allure_labels(item, spec, item.callspec.params["run"])
        selected.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


def _add_allure_labels(item: pytest.Item, spec: ScenarioSpec, case: Case) -> None:
    b = spec.behaviour
    for label_type, value in (("epic", b.area.kind), ("feature", b.area.title), ("story", f"{b.id} {b.title}"),
                              ("severity", SEVERITY[b.level]), ("tag", b.level), ("parentSuite", case.target),
                              ("suite", b.area.title), ("subSuite", case.family)):
        item.add_marker(pytest.mark.allure_label(value, label_type=label_type))
    if b.link:
        item.add_marker(pytest.mark.allure_link(b.link, link_type="link", name=b.source))


# -- running a behaviour ------------------------------------------------------------------------

@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    spec: ScenarioSpec | None = getattr(pyfuncitem.function, "sockspec", None)
    if spec is None:
        return None
    case: Case = pyfuncitem.funcargs["run"]
    target: Target = pyfuncitem.config.stash[TARGETS][case.target]
    _describe_in_allure(spec, case)
    verdict = check_case(pyfuncitem.function, spec, case, target)
    _record(pyfuncitem, spec, case, verdict.grade, verdict.headline)
    _attach(verdict, case)
    if verdict.grade == "fail":
        # The evidence is the traces, not this plugin's stack: no Python traceback.
        pytest.fail(f"{spec.behaviour.id} {verdict.headline}\n{verdict.report}", pytrace=False)
    if verdict.grade == "divergent":
        import allure
        allure.dynamic.tag("allowed-divergence")
        pyfuncitem.warn(pytest.PytestWarning(f"{spec.behaviour.id} [{case.id}]: {verdict.headline}"))
    return True


def check_case(scenario, spec: ScenarioSpec, case: Case, target: Target | ProgramTarget) -> Verdict:
    """Applicability, the expected run, the target's run, and the grade."""
    needs = spec.needs(case.family)
    host_missing = needs - _host_features()
    if host_missing:
        pytest.skip(f"not applicable on this host: it lacks {', '.join(sorted(host_missing))}")
    seats = _all_seats(spec)
    expected = execute(scenario, spec, case.family, case.seat, _reference_seats(seats), _driven_echo(spec))
    if isinstance(target, ProgramTarget):
        actual = _run_program(scenario, spec, case, target, seats)
    else:
        actual = _run_adapter(scenario, spec, case, target, seats,
                              {need for need in needs if not need.startswith("host.")})
    try:
        return grade(actual, expected, case.target, spec.behaviour.rule)
    except ReferenceDisagrees as exc:
        raise AdapterFault(f"harness: {exc}") from None


def _run_adapter(scenario, spec: ScenarioSpec, case: Case, target: Target, seats: tuple[str, ...],
                 needs: set[str]):
    try:
        features = target.info.features
    except TargetUnavailable as exc:
        pytest.skip(f"target {case.target!r} unavailable: {exc}")
    missing = needs - features
    if missing:
        pytest.skip(f"not applicable: target {case.target!r} lacks feature(s) {', '.join(sorted(missing))}")
    try:
        target.reset()
        transports = _reference_seats(seats)
        for seat in case.seat.split("+"):  # "client+server": the target on both ends
            transports[seat] = target.transport()
        actual = execute(scenario, spec, case.family, case.seat, transports, _driven_echo(spec))
        target.reset()  # release the target's sockets now, not at the next test
    except AdapterFault:
        target.discard()
        raise
    except NotApplicable as exc:
        pytest.skip(f"not applicable: {exc}")
    return actual


def _run_program(scenario, spec: ScenarioSpec, case: Case, target: ProgramTarget, seats: tuple[str, ...]):
    if case.family not in target.families:
        pytest.skip(f"not applicable: program {case.target!r} serves only {', '.join(target.families)}")
    address = target.address(case.family)
    actual = execute(scenario, spec, case.family, case.seat, _reference_seats(seats),
                     lambda run: ProgramEcho(address))
    target.check_alive(case.family)
    return actual


def _driven_echo(spec: ScenarioSpec):
    """The echo service for adapters: the endpoint in the server seat, driven as a server."""
    if spec.echo is None:
        return None
    service = AdapterTcpEcho if spec.echo == "tcp" else AdapterUdpEcho
    return lambda run: service(run.server, run.family, run.host)


def _all_seats(spec: ScenarioSpec) -> tuple[str, ...]:
    named = [seat for combined in spec.seats for seat in combined.split("+")]
    return tuple(dict.fromkeys(("client", "server", *named, *spec.peers)))  # every seat, once


@functools.lru_cache(maxsize=1)
def _host_features() -> frozenset[str]:
    """What this host offers: the reference's features (peers sit in every other seat), and
    ``host.*`` tools that checks of kernel state need."""
    features = set(ReferenceAdapter().features)
    if host.ss_available():
        features.add("host.ss")
    return frozenset(features)


def _reference_seats(seats: tuple[str, ...]) -> dict:
    return {seat: InProcessTransport(ReferenceAdapter(), f"reference peer ({seat})") for seat in seats}


def _describe_in_allure(spec: ScenarioSpec, case: Case) -> None:
    import allure
    b = spec.behaviour
    allure.dynamic.title(f"{b.id} {b.title} [{case.target}, {case.family}, target as {case.seat}]")
    allure.dynamic.description(f"**{b.level}**: {b.rule}\n\nSource: {b.source}")


def _attach(verdict: Verdict, case: Case) -> None:
    import allure
    from fixtures.trace import side_by_side
    text = verdict.report or side_by_side(verdict.target_trace, verdict.reference_trace,
                                          f"target ({case.target})", "reference")
    allure.attach(text, name="traces (target | reference)", attachment_type=allure.attachment_type.TEXT)
    allure.attach(json.dumps({"target": verdict.target_trace.to_json(),
                              "reference": verdict.reference_trace.to_json()}, indent=1),
                  name="traces.json", attachment_type=allure.attachment_type.JSON)


def _record(item: pytest.Item, spec: ScenarioSpec, case: Case, grade_name: str, headline: str) -> None:
    info = item.config.stash[TARGETS][case.target].known_info
    item.user_properties.append((GRADE_PROPERTY, json.dumps({
        "behaviour": spec.behaviour.id, "target": case.target, "family": case.family, "seat": case.seat,
        "grade": grade_name, "detail": headline, "nodeid": item.nodeid,
        "adapter": info.describe() if info else None,
    })))


# -- reporting --------------------------------------------------------------------------------

@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    spec = getattr(getattr(item, "function", None), "sockspec", None)
    if spec is None or report.when == "teardown" or (report.when == "setup" and report.passed):
        return report
    if any(name == GRADE_PROPERTY for name, _ in item.user_properties):
        return report
    case: Case = item.callspec.params["run"]
    if report.skipped:
        detail = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        detail = detail.removeprefix("Skipped: ")
        grade_name = "not-applicable" if detail.startswith("not applicable") else "skipped"
    else:  # anything but a graded verdict is a fault of the adapter or the harness
        grade_name = "error"
        detail = call.excinfo.exconly() if call.excinfo else "error"
        if call.excinfo and call.excinfo.errisinstance(AdapterFault):
            report.longrepr = f"adapter fault [{case.id}]: {call.excinfo.value}"  # one clear message
    _record(item, spec, case, grade_name, detail.splitlines()[0] if detail else grade_name)
    report.user_properties = list(item.user_properties)
    return report


def grade_of(report: pytest.TestReport) -> dict | None:
    for name, value in getattr(report, "user_properties", ()):
        if name == GRADE_PROPERTY:
            return json.loads(value)
    return None


class ResultCollector:
    """Collects graded cases as reports arrive (on the xdist controller too: a report's
    user_properties travel with it) and writes the reports at the end of the session."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.results: list[dict] = []
        self.report_paths: list = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        graded = grade_of(report)
        if graded is not None and (report.when == "call" or (report.when == "setup" and not report.passed)):
            self.results.append(graded)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if hasattr(self.config, "workerinput"):  # an xdist worker: the controller writes the reports
            return
        targets = {}
        for label, target in self.config.stash[TARGETS].items():
            adapters = {r["adapter"] for r in self.results if r["target"] == label and r.get("adapter")}
            targets[label] = {"spec": target.spec.text, "adapter": ", ".join(sorted(adapters)) or None}
        alluredir = getattr(self.config.option, "allure_report_dir", None)
        if alluredir:
            from reports import allure_meta
            allure_meta.write(alluredir, targets)
        report_dir = self.config.getoption("sockspec_report")
        if report_dir and self.results:
            from reports.writer import write_reports
            self.report_paths = write_reports(report_dir, self.results, targets)

    def pytest_terminal_summary(self, terminalreporter) -> None:
        reasons = Counter(r["detail"] for r in self.results if r["grade"] in ("not-applicable", "skipped"))
        if reasons:
            terminalreporter.section("sockspec: not applicable or skipped")
            for reason, count in reasons.most_common():
                terminalreporter.write_line(f"{count:4d} × {reason}")
        for path in self.report_paths:
            terminalreporter.write_line(f"sockspec report: {path}")


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config):
    graded = grade_of(report)
    if graded is None or report.when == "teardown":
        return None
    if graded["grade"] == "error" and report.failed:
        return "error", "E", "ERROR"
    if graded["grade"] == "divergent" and report.passed and report.when == "call":
        return "divergent", "D", "PASSED (allowed divergence)"
    if graded["grade"] == "not-applicable" and report.skipped:
        return "inapplicable", "n", "NOT APPLICABLE"
    return None
