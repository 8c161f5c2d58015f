"""Unix-domain paths (protocol 1.4): each case gets a private directory made by the suite,
shown relative in traces, and removed when the case ends, whatever the target left there."""

from __future__ import annotations

import glob
import os
import tempfile

from conformance.scenario import UNIX_DIR_PREFIX
from fixtures.endpoint import unix_base_dir
from reference_impl.engine import ReferenceAdapter
from tests.conftest import grade_cases
from tests.faulty.unix import CloseKeepsAbstractName, CloseUnlinks


def _left_behind() -> list[str]:
    return sorted(glob.glob(os.path.join(unix_base_dir(), f"{UNIX_DIR_PREFIX}{os.getpid()}-*")))


def test_nothing_is_left_in_the_temp_area_after_a_run():
    before = _left_behind()
    for behaviour_id in ("UNIX-NAME-001", "UNIX-NAME-003", "UNIX-NAME-005", "UNIX-DGRAM-001", "UNIX-PASS-003"):
        verdicts = grade_cases(behaviour_id, ReferenceAdapter)
        assert verdicts and all(v.grade == "pass" for _, v in verdicts), behaviour_id
    assert _left_behind() == before == []


def test_nothing_is_left_when_the_target_fails_either():
    for behaviour_id, fault in (("UNIX-NAME-006", CloseKeepsAbstractName), ("UNIX-NAME-003", CloseUnlinks)):
        verdicts = grade_cases(behaviour_id, fault)
        assert any(v.grade == "fail" for _, v in verdicts), behaviour_id
    assert _left_behind() == []


def test_traces_show_paths_relative_to_the_case_directory():
    (_, verdict), *_ = grade_cases("UNIX-NAME-001", ReferenceAdapter)
    for trace in (verdict.target_trace, verdict.reference_trace):
        lines = [entry.text for entry in trace.entries]
        assert any("address=s → ok" in line and "local=s" in line for line in lines), lines
        assert not any(tempfile.gettempdir() in line for line in lines), lines
    assert verdict.target_trace.unix_dir != verdict.reference_trace.unix_dir  # a directory per run
