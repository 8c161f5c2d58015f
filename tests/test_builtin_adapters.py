"""Built-in adapters: built once, cached, rebuilt when sources change; missing toolchains skip."""

import shutil
from pathlib import Path

import pytest

from fixtures import builtin_adapters
from fixtures.errors import TargetUnavailable
from tests.test_harness_end_to_end import run_suite

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def private_build(tmp_path, monkeypatch):
    """The C sources copied to a scratch tree, building into a scratch cache."""
    shutil.copytree(ROOT / "adapters" / "c", tmp_path / "adapters" / "c")
    monkeypatch.setattr(builtin_adapters, "ADAPTERS_DIR", tmp_path / "adapters")
    monkeypatch.setenv("SOCKSPEC_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "adapters" / "c"


def c_command():
    try:
        return builtin_adapters.adapter_command("c")
    except TargetUnavailable as exc:
        pytest.skip(str(exc))


def test_build_is_cached_and_redone_when_a_source_changes(private_build):
    first = c_command()
    assert c_command() == first and Path(first[0]).exists()
    source = private_build / "sockspec_adapter.c"
    source.write_text(source.read_text() + "\n/* changed */\n")
    second = c_command()
    assert second != first and Path(second[0]).exists()


def test_missing_compiler_is_unavailable_not_an_error(private_build, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(TargetUnavailable, match="needs 'cc'"):
        builtin_adapters.adapter_command("c")


def test_whole_suite_passes_against_the_c_adapter_in_parallel(pytester):
    c_command()
    result = run_suite(pytester, "-n", "2", "--target", "c")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) > 100 and "failed" not in outcomes and "errors" not in outcomes, outcomes
