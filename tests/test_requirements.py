"""tests/requirements.py: a missing package is a skip that names it (simulated: PATH and the
include folders pointed at empty places, nothing uninstalled)."""

import pytest

from tests import requirements
from tests.requirements import SHIPPED_ADAPTER_PACKAGES, missing_debian_packages, require_debian_packages


@pytest.fixture
def bare_machine(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(requirements, "INCLUDE_DIRS", [str(tmp_path)])
    return tmp_path


def test_on_a_bare_machine_every_package_is_missing_and_named(bare_machine):
    assert missing_debian_packages("gcc", "libjansson-dev", "libssl-dev", "iproute2") == [
        "gcc", "libjansson-dev", "libssl-dev", "iproute2"]
    with pytest.raises(pytest.skip.Exception, match=r"needs Debian package\(s\) libjansson-dev, libssl-dev "
                                                    r"\(apt-get install libjansson-dev libssl-dev\)"):
        require_debian_packages("libjansson-dev", "libssl-dev")


def test_a_program_on_path_or_a_header_in_an_include_folder_counts_as_installed(bare_machine):
    (bare_machine / "cc").write_text("#!/bin/sh\n")
    (bare_machine / "cc").chmod(0o755)
    (bare_machine / "openssl").mkdir()
    (bare_machine / "openssl" / "ssl.h").write_text("")
    assert missing_debian_packages("gcc", "libjansson-dev", "libssl-dev") == ["libjansson-dev"]


def test_the_c_compiler_alone_is_not_enough_for_the_c_adapter(bare_machine):
    (bare_machine / "cc").write_text("#!/bin/sh\n")
    (bare_machine / "cc").chmod(0o755)
    assert missing_debian_packages(*SHIPPED_ADAPTER_PACKAGES["c"]) == ["libjansson-dev", "libssl-dev"]


def test_every_shipped_adapter_has_its_packages_named():
    from fixtures.builtin_adapters import names
    assert sorted(SHIPPED_ADAPTER_PACKAGES) == sorted(names())
    assert all(p in requirements.PACKAGES for packages in SHIPPED_ADAPTER_PACKAGES.values() for p in packages)
