"""The sockspec pytest plugin (entry point ``pytest11``): targets, selection, grading, labels.

Each behaviour test is parametrised over targets × families × the seats the target takes.
Its body is a scenario; this plugin runs it with the reference and with the target, grades
the pair, and reports through three channels that stay apart:

- a behaviour the target gets wrong fails (Allure: failed);
- a fault of the adapter or the harness is an *error* (Allure: broken);
- a behaviour the target or host cannot do is skipped as *not applicable*, with its reason.
"""

from __future__ import annotations

import dataclasses
import json
import resource
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from fixtures.builtin_adapters import adapter_command, manifest
from fixtures.errors import AdapterFault, TargetSpecError, TargetUnavailable
from fixtures.pingers import PingTarget
from fixtures.programs import ProgramTarget
from fixtures.target_spec import parse_targets
from fixtures.targets import Target, make_target

from . import catalogue
from .availability import unavailable_reason
from .collector import GRADE_PROPERTY, ResultCollector, grade_of
from .grading import Verdict
from .repeat import Flaky, check_repeatedly, skip_grade
from .runner import Case, check_case, close_reference_twins, target_kind
from .scenario import ScenarioSpec
from .schedule import UnitScheduling, order_by_unit

TARGETS = pytest.StashKey[dict]()
SEVERITY = {"MUST": "critical", "SHOULD": "normal", "MAY": "minor"}


# -- options and configuration ------------------------------------------------------------

def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sockspec", "sockspec socket conformance")
    group.addoption("--target", action="append", default=[], metavar="SPEC",
                    help="implementation under test (repeatable): reference (default), python:MODULE:ATTR, "
                         "cmd:COMMAND, or a built-in adapter name such as c; LABEL=SPEC names it")
    group.addoption("--behaviour", "--behavior", action="append", default=[], metavar="ID",
                    help="run only behaviours whose ID starts with ID (repeatable), e.g. TCP-PASSIVE")
    group.addoption("--exclude", action="append", default=[], metavar="ID",
                    help="leave out behaviours whose ID starts with ID (repeatable), e.g. TCP-SESSION-003")
    group.addoption("--sockspec-repeat", type=int, default=1, metavar="N",
                    help="run each case N times; a case whose grades differ across repeats is flaky (default 1)")
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
        targets = {spec.label: _make(spec, grace, start) for spec in specs}
    except TargetSpecError as exc:
        raise pytest.UsageError(str(exc)) from None
    for option in ("behaviour", "exclude"):
        for prefix in config.getoption(option):
            if not catalogue.select([prefix]):
                raise pytest.UsageError(f"--{option} {prefix!r} matches no behaviour; see `sockspec list`")
    if config.getoption("sockspec_repeat") < 1:
        raise pytest.UsageError("--sockspec-repeat must be at least 1")
    config.stash[TARGETS] = targets
    config.pluginmanager.register(ResultCollector(config, targets), "sockspec-results")
    if not hasattr(config, "workerinput"):  # xdist workers find the controller's builds cached
        _build_shipped_adapters(specs)


def _build_shipped_adapters(specs) -> None:
    """Build shipped adapters up front, saying so: a first Maven or Cargo build takes minutes.
    A build that fails is one line here; each of the target's tests then reports it.

    Builds run in parallel, one lane per toolchain (the first tool a manifest names): builds
    of different ecosystems overlap their downloads and compiles, while two builds sharing a
    local repository (Maven's ~/.m2, Cargo's registry) never race over it."""
    lanes: dict[str, list] = {}
    for spec in specs:
        recipe = manifest(spec.value) if spec.kind == "builtin" else None
        if recipe is not None and not recipe.in_process:
            lanes.setdefault(recipe.tools[0] if recipe.tools else spec.value, []).append(spec)
    if lanes:
        with ThreadPoolExecutor(max_workers=len(lanes), thread_name_prefix="sockspec-build") as pool:
            list(pool.map(_build_lane, lanes.values()))


def _build_lane(specs) -> None:
    for spec in specs:
        try:
            adapter_command(spec.value, announce=_say)
        except (AdapterFault, TargetUnavailable) as exc:
            _say(f"sockspec: target {spec.label!r} is unusable: {str(exc).splitlines()[0]}")


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _make(spec, grace: float, start_timeout: float):
    if spec.kind == "ping":
        return PingTarget(spec)
    if spec.is_program:
        return ProgramTarget(spec, start_timeout)
    return make_target(spec, grace)


def _raise_open_file_limit() -> None:
    """Hundreds of concurrent sessions need more descriptors than the usual soft limit of 1024;
    adapters started from here inherit the raised limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 65536 if hard == resource.RLIM_INFINITY else min(hard, 65536)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def pytest_sessionstart(session: pytest.Session) -> None:
    _index_teardown_reports(session.config.pluginmanager.get_plugin("terminalreporter"))


def _index_teardown_reports(reporter) -> None:
    """pytest's failure summary looks up each failure's teardown report by scanning every
    report of the run (TerminalReporter._get_teardown_reports; pytest-dev/pytest#13360): with
    455 failures among 14,145 cases that is 14 s after the last case. The same lookup, from an
    index made once per summary. (Left as it is if pytest has no such method.)"""
    if reporter is None or not callable(getattr(reporter, "_get_teardown_reports", None)):
        return
    index: dict = {}
    indexed = [-1]

    def teardown_reports(node_id):
        if indexed[0] != len(reporter.stats.get("", ())):
            index.clear()
            for report in reporter.getreports(""):
                if report.when == "teardown":  # keyed as pytest asks: .id from pytest 9, .nodeid before
                    index.setdefault(getattr(report, "id", report.nodeid), []).append(report)
            indexed[0] = len(reporter.stats.get("", ()))
        return list(index.get(node_id, ()))
    reporter._get_teardown_reports = teardown_reports


def pytest_unconfigure(config: pytest.Config) -> None:
    for target in config.stash.get(TARGETS, {}).values():
        target.close()
    close_reference_twins()


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
             for family in spec.families if _serves_family(target, family)
             for seat in spec.seats]
    metafunc.parametrize("run", cases, ids=[case.id for case in cases], indirect=True)


def _serves_family(target, family: str) -> bool:
    """An echo program serves Internet families (tcp-echo:, udp-echo:) or the Unix-domain one
    (unix-echo:, unixgram-echo:), never both: no case of the other kind is made for it."""
    kind = target_kind(target)
    if not kind.endswith("-echo"):
        return True
    return (family == "unix") == kind.startswith("unix")


@pytest.fixture
def run(request: pytest.FixtureRequest) -> Case:
    """The case a behaviour test runs; the plugin hands the scenario a live Run instead."""
    return request.param


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    prefixes = [p.upper() for p in config.getoption("behaviour")]
    excluded = tuple(p.upper() for p in config.getoption("exclude"))
    selected, deselected = [], []
    for item in items:
        spec: ScenarioSpec | None = getattr(getattr(item, "function", None), "sockspec", None)
        if spec is None:
            selected.append(item)
            continue
        selected_id = ((not prefixes or any(spec.behaviour.id.startswith(p) for p in prefixes))
                       and not spec.behaviour.id.startswith(excluded))
        if not selected_id or not isinstance(item.callspec.params.get("run"), Case):
            deselected.append(item)  # not asked for, or no target of a kind this scenario can check
            continue
        selected.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected
    order_by_unit(items)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """With ``-n`` and xdist's default distribution, cases go out by unit, longest first
    (conformance/schedule.py); another ``--dist`` the user asks for is kept."""
    if config.getoption("dist") != "load" or not _runs_the_catalogue(config):
        return None
    config.option.loadscopereorder = False  # the units come ordered from collection
    return UnitScheduling(config, log)


def _runs_the_catalogue(config: pytest.Config) -> bool:
    """Every path the run was given lies in the conformance package (the behaviour tests): the
    project's own tests keep xdist's scheduling."""
    package = Path(__file__).resolve().parent
    paths = [Path(config.invocation_params.dir, arg.split("::", 1)[0]).resolve() for arg in config.args]
    return bool(paths) and all(path == package or package in path.parents for path in paths)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # Labels go on the cases this process runs, not on every collected one: each xdist worker
    # collects the whole matrix, and marking it all cost a third of collection.
    spec: ScenarioSpec | None = getattr(getattr(item, "function", None), "sockspec", None)
    if spec is not None:
        _add_allure_labels(item, spec, item.callspec.params["run"])


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
    verdict = check_repeatedly(lambda: check_case(pyfuncitem.function, spec, case, target),
                               pyfuncitem.config.getoption("sockspec_repeat"))
    if isinstance(verdict, Flaky):
        _report_flaky(pyfuncitem, spec, case, verdict)
    evidence = _case_evidence(verdict, spec, case, target)
    _record(pyfuncitem, spec, case, verdict.grade, verdict.headline,
            verdict.report if verdict.grade == "fail" else "", **evidence)
    _attach(verdict, evidence.get("trace", ""))
    if verdict.grade == "fail":
        # The evidence is the traces, not this plugin's stack: no Python traceback.
        pytest.fail(f"{spec.behaviour.id} {verdict.headline}\n{verdict.report}", pytrace=False)
    if verdict.grade == "divergent":
        import allure
        allure.dynamic.tag("allowed-divergence")
        pyfuncitem.warn(pytest.PytestWarning(f"{spec.behaviour.id} [{case.id}]: {verdict.headline}"))
    return True


def _case_evidence(verdict: Verdict, spec: ScenarioSpec, case: Case, target) -> dict:
    """What a case keeps for the report beside its grade: its traces when it did not fail (a
    pass shows what was exercised), what the adapter said it made up (supplied error names,
    emulated results), and what was asked of the target (operation coverage)."""
    from fixtures.trace import side_by_side
    kept: dict = {}
    if verdict.grade != "fail":
        kept["trace"] = side_by_side(verdict.target_trace, verdict.reference_trace,
                                     f"target ({case.target})", "reference")
    if verdict.adapter_notes:
        kept["adapter_notes"] = verdict.adapter_notes
    info = getattr(target, "known_info", None)
    declared = info.features if info else frozenset()
    seen = verdict.target_trace.coverage(case.seat.split("+"), declared)
    # The case's own needs were exercised by running it at all (the family ipv4-mapped, say).
    seen["features"] = sorted(set(seen["features"]) | (spec.needs(case.family) & declared))
    kept["coverage"] = seen
    if info:
        kept["features"] = sorted(info.features)  # as declared (widened to this version)
    return kept


def _report_flaky(item: pytest.Function, spec: ScenarioSpec, case: Case, flaky: Flaky) -> None:
    """A flaky case fails, with each repeat's grade and the first differing repeat's evidence."""
    import allure
    _record(item, spec, case, "flaky", flaky.headline, flaky.evidence, repeats=flaky.grades)
    allure.dynamic.tag("flaky")
    allure.attach(flaky.evidence, name="repeats", attachment_type=allure.attachment_type.TEXT)
    pytest.fail(f"{spec.behaviour.id} {flaky.headline}\n{flaky.evidence}", pytrace=False)


def _describe_in_allure(spec: ScenarioSpec, case: Case) -> None:
    import allure
    b = spec.behaviour
    allure.dynamic.title(f"{b.id} {b.title} [{case.target}, {case.family}, target as {case.seat}]")
    allure.dynamic.description(f"**{b.level}**: {b.rule}\n\nSource: {b.source}")
    allure.dynamic.parameter("target", case.target)
    allure.dynamic.parameter("family", case.family)
    allure.dynamic.parameter("seat", f"target as {case.seat}")


def _attach(verdict: Verdict, traces: str) -> None:
    """``traces``: both side by side, as kept for the summary of a case that did not fail."""
    import allure
    if verdict.grade == "fail":
        text = verdict.report  # the traces, the first difference marked
    elif verdict.grade == "divergent":  # its report is the divergences alone
        text = f"allowed divergences:\n{verdict.report}\n\n{traces}"
    else:
        text = traces
    if verdict.difference:
        allure.attach(verdict.difference, name="first difference", attachment_type=allure.attachment_type.TEXT)
    allure.attach(text, name="traces (target | reference)", attachment_type=allure.attachment_type.TEXT)
    if verdict.grade != "pass":
        # The traces as data, for a tool to diff, where there is a difference. A pass keeps the
        # text alone: the JSON of 8,600 passing cases was 40% of a matrix's Allure results and
        # of the time Allure took to render them (43 s, now 26 s).
        allure.attach(f'{{"target": {_trace_json(verdict.target_trace)},\n "reference": '
                      f'{_reference_trace_json(verdict.reference_trace)}}}',
                      name="traces.json", attachment_type=allure.attachment_type.JSON)


def _trace_json(trace) -> str:
    """A trace's entries as indented JSON (msgspec where installed: a trace per case, twice)."""
    from fixtures import codec
    entries = trace.to_json()
    if codec.msgspec is not None:
        try:
            return codec.msgspec.json.format(codec.msgspec.json.encode(entries), indent=1).decode()
        except (TypeError, ValueError, OverflowError):
            pass  # a value msgspec does not write: json says what it makes of it
    return json.dumps(entries, indent=1, default=_json_default)


def _json_default(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


# The reference's trace of a case is one object shared by every target's verdict (runner's
# _EXPECTED): its JSON is made once. Keyed by identity, the trace held so the id stays its own.
_REFERENCE_JSON: dict[int, tuple[object, str]] = {}


def _reference_trace_json(trace) -> str:
    cached = _REFERENCE_JSON.get(id(trace))
    if cached is None or cached[0] is not trace:
        if len(_REFERENCE_JSON) >= 4096:
            _REFERENCE_JSON.clear()
        cached = _REFERENCE_JSON[id(trace)] = (trace, _trace_json(trace))
    return cached[1]


def _record(item: pytest.Item, spec: ScenarioSpec, case: Case, grade_name: str, headline: str,
            evidence: str = "", **extra) -> None:
    info = item.config.stash[TARGETS][case.target].known_info
    item.user_properties.append((GRADE_PROPERTY, json.dumps({
        "behaviour": spec.behaviour.id, "target": case.target, "family": case.family, "seat": case.seat,
        "grade": grade_name, "detail": headline, "nodeid": item.nodeid,
        "adapter": info.describe() if info else None, "version": info.version if info else None,
        **({"evidence": evidence} if evidence else {}), **extra,
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
        grade_name = skip_grade(detail)
    else:  # anything but a graded verdict is a fault of the adapter or the harness
        grade_name = "error"
        detail = call.excinfo.exconly() if call.excinfo else "error"
        if call.excinfo and call.excinfo.errisinstance(AdapterFault):
            report.longrepr = f"adapter fault [{case.id}]: {call.excinfo.value}"  # one clear message
    unavailable = unavailable_reason(item.config.stash[TARGETS][case.target], call.excinfo and call.excinfo.value)
    _record(item, spec, case, grade_name, detail.splitlines()[0] if detail else grade_name,
            detail if grade_name == "error" else "", **({"unavailable": unavailable} if unavailable else {}))
    report.user_properties = list(item.user_properties)
    return report


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
    if graded["grade"] == "flaky" and report.failed:
        return "flaky", "K", "FLAKY"
    return None
