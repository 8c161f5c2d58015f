"""The catalogue is well-formed data, every behaviour has a scenario, and the docs table is current."""

import re
from pathlib import Path

from conformance import catalogue
from conformance.cli import main as sockspec, markdown_table
from conformance.scenario import SCENARIOS
from conformance.scenarios import load_all

ROOT = Path(__file__).resolve().parent.parent


def test_ids_are_stable_in_form_and_levels_valid():
    for behaviour in catalogue.load().values():
        assert re.fullmatch(r"[A-Z0-9]+(-[A-Z0-9]+)*-\d{3}", behaviour.id), behaviour.id
        assert behaviour.level in catalogue.LEVELS
        assert behaviour.rule.endswith(".") and behaviour.source


def test_every_behaviour_has_a_scenario_and_every_scenario_a_behaviour():
    load_all()
    assert sorted(SCENARIOS) == sorted(catalogue.load())


def test_the_two_foundation_areas_hold_at_least_35_behaviours():
    assert len(catalogue.select(["TCP-STREAM", "TCP-PASSIVE"])) >= 35


def test_docs_catalogue_is_generated_from_the_data():
    expected = markdown_table(list(catalogue.load().values()))
    assert (ROOT / "docs/catalogue.md").read_text() == expected + "\n", \
        "docs/catalogue.md is stale: run `sockspec list --format markdown > docs/catalogue.md`"


def test_sockspec_list_prints_ids_and_sources(capsys):
    assert sockspec(["list", "TCP-STREAM-009"]) == 0
    out = capsys.readouterr().out
    assert "TCP-STREAM-009" in out and "RFC 9293 §3.10.7.1" in out


def test_selection_by_prefix():
    assert {b.id for b in catalogue.select(["tcp-passive-02"])} == {f"TCP-PASSIVE-02{i}" for i in range(10)}


def test_session_teardown_and_datagram_areas_hold_at_least_45_behaviours():
    assert len(catalogue.select(["TCP-SESSION", "TCP-TEARDOWN", "UDP-DGRAM"])) >= 45
