"""Built-in adapters: manifests, builds cached and redone when sources change, missing
toolchains as skips, and every shipped adapter passing the ADAPTER area."""

import shutil
import textwrap
import threading
from pathlib import Path

import pytest

from fixtures import builtin_adapters
from fixtures.errors import AdapterFault, TargetUnavailable
from fixtures.target_spec import parse_target
from fixtures.targets import make_target
from tests.requirements import SHIPPED_ADAPTER_PACKAGES, needs_debian_package, require_debian_packages
from tests.test_harness_end_to_end import REAL_HOME, run_suite

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = builtin_adapters.names()


@pytest.fixture
def scratch_adapters(tmp_path, monkeypatch):
    """An empty adapters/ tree, building into a scratch cache."""
    monkeypatch.setattr(builtin_adapters, "ADAPTERS_DIR", tmp_path / "adapters")
    monkeypatch.setenv("SOCKSPEC_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "adapters").mkdir()
    return tmp_path / "adapters"


def write_adapter(adapters: Path, name: str, manifest: str, files: dict[str, str]) -> Path:
    folder = adapters / name
    folder.mkdir()
    (folder / "adapter.toml").write_text(textwrap.dedent(manifest))
    for file_name, text in files.items():
        (folder / file_name).write_text(textwrap.dedent(text))
    return folder


# A build that copies its one source to {out}: the manifest machinery without a compiler.
COPYING_MANIFEST = """
    sources = ["*.txt"]
    tools = []
    build = ["{python}", "-c", "import shutil, sys; shutil.copy('source.txt', sys.argv[1])", "{out}"]
    run = ["{out}", "--flag"]
"""


def test_manifests_name_the_shipped_adapters():
    assert "c" in SHIPPED
    for name in SHIPPED:
        recipe = builtin_adapters.manifest(name)
        assert recipe.run or recipe.python, f"adapters/{name}/adapter.toml says neither how to run it nor python"
        assert parse_target(name).kind == "builtin"


def test_build_is_cached_and_redone_when_a_source_changes(scratch_adapters):
    folder = write_adapter(scratch_adapters, "toy", COPYING_MANIFEST, {"source.txt": "one"})
    first = builtin_adapters.adapter_command("toy")
    assert first[1:] == ["--flag"] and Path(first[0]).read_text() == "one"
    assert builtin_adapters.adapter_command("toy") == first
    (folder / "source.txt").write_text("two")
    second = builtin_adapters.adapter_command("toy")
    assert second != first and Path(second[0]).read_text() == "two"


@needs_debian_package(*SHIPPED_ADAPTER_PACKAGES["c"])
def test_the_c_adapter_builds_from_its_manifest(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "adapters" / "c", tmp_path / "adapters" / "c")
    monkeypatch.setattr(builtin_adapters, "ADAPTERS_DIR", tmp_path / "adapters")
    monkeypatch.setenv("SOCKSPEC_CACHE_DIR", str(tmp_path / "cache"))
    try:
        command = builtin_adapters.adapter_command("c")
    except TargetUnavailable as exc:
        pytest.skip(str(exc))
    assert Path(command[0]).exists() and str(tmp_path / "cache") in command[0]


def test_missing_tool_is_unavailable_not_an_error(scratch_adapters):
    write_adapter(scratch_adapters, "toy", COPYING_MANIFEST.replace("tools = []", 'tools = ["no-such-compiler"]'),
                  {"source.txt": "x"})
    with pytest.raises(TargetUnavailable, match="needs 'no-such-compiler', which is not on PATH"):
        builtin_adapters.adapter_command("toy")


def test_failed_build_names_the_missing_package_or_shows_the_output(scratch_adapters):
    failing = """
        sources = ["*.txt"]
        build = ["{python}", "-c", "import sys; print('fatal: thing.h: No such file'); sys.exit(1)"]
        run = ["{out}"]
        [missing]
        "thing.h" = "thing headers (Debian: apt-get install libthing-dev)"
    """
    write_adapter(scratch_adapters, "needs-thing", failing, {"a.txt": "x"})
    with pytest.raises(TargetUnavailable, match="needs thing headers"):
        builtin_adapters.adapter_command("needs-thing")
    write_adapter(scratch_adapters, "broken", failing.replace('"thing.h" =', '"unrelated.h" ='), {"a.txt": "x"})
    with pytest.raises(AdapterFault, match="building adapter 'broken' failed .*\n.*thing.h: No such file"):
        builtin_adapters.adapter_command("broken")


def test_malformed_manifest_is_one_clear_error(scratch_adapters):
    write_adapter(scratch_adapters, "bad", "sources = [", {})
    with pytest.raises(AdapterFault, match="adapters/bad/adapter.toml is not a valid manifest"):
        builtin_adapters.adapter_command("bad")


def test_in_process_manifest_makes_a_python_target(scratch_adapters):
    write_adapter(scratch_adapters, "inproc", """
        sources = ["*.py"]
        python = "reference_impl.engine:ReferenceAdapter"
    """, {"marker.py": ""})
    target = make_target(parse_target("inproc"), grace=1.0)
    try:
        assert target.spec.kind == "python" and target.label == "inproc"
        assert "tcp" in target.info.features
    finally:
        target.close()


def shipped_command(pytester, name: str) -> None:
    """Build (or find cached) a shipped adapter, with the real HOME that its toolchain lives in."""
    pytester._monkeypatch.setenv("HOME", REAL_HOME)
    require_debian_packages(*SHIPPED_ADAPTER_PACKAGES[name])
    recipe = builtin_adapters.manifest(name)
    if recipe.in_process:
        return
    try:
        builtin_adapters.adapter_command(name)
    except TargetUnavailable as exc:
        pytest.skip(str(exc))


# An adapter of SCTP alone (protocol 1.6) declares neither tcp nor udp: most of the ADAPTER
# area's behaviours are not applicable to it.
ADAPTER_AREA_MINIMUM = {"pion-sctp": 3}


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_adapter_passes_the_adapter_area(pytester, name):
    """An adapter bug must read as one: every shipped adapter keeps the protocol itself."""
    shipped_command(pytester, name)
    result = run_suite(pytester, "--behaviour", "ADAPTER", "--target", name)
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= ADAPTER_AREA_MINIMUM.get(name, 8) and "failed" not in outcomes \
        and "errors" not in outcomes, result.stdout.str()[-3000:]


def test_whole_suite_passes_against_the_c_adapter_in_parallel(pytester):
    shipped_command(pytester, "c")
    result = run_suite(pytester, "-n", "2", "--target", "c")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) > 100 and "failed" not in outcomes and "errors" not in outcomes, outcomes


def test_an_in_process_adapter_leaves_no_thread_behind():
    """Targets restart after faults: each start of the asyncio adapter must clean up its loop
    thread and the transport's worker when closed."""
    before = {t.ident for t in threading.enumerate()}
    for _ in range(3):
        target = make_target(parse_target("asyncio"), grace=1.0)
        assert "tcp" in target.info.features
        target.close()
    for thread in threading.enumerate():  # stopped threads end on their own; give them their deadline
        if thread.ident not in before:
            thread.join(timeout=5)
    assert not [t.name for t in threading.enumerate() if t.ident not in before]
