"""What the project's own tests need from the machine, named by Debian package.

A test that needs a package skips, naming it, when the package is missing, instead of
failing on a machine that lacks it (the README's commands on a fresh machine):

    pytestmark = needs_debian_package("iproute2")            # a whole module
    @needs_debian_package("libjansson-dev", "libssl-dev")     # one test
    require_debian_packages(*SHIPPED_ADAPTER_PACKAGES["go"])   # inside a test

A package counts as installed when what the tests use of it is there: its program on PATH,
or its header where the compiler looks. A toolchain installed another way (rustup's cargo,
Go from go.dev) counts too: it is the program that matters.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

# Where cc looks for headers on Debian (the multiarch folder holds e.g. openssl/opensslconf.h).
INCLUDE_DIRS = ["/usr/local/include", "/usr/include", *map(str, Path("/usr/include").glob("*-linux-gnu*"))]


@dataclass(frozen=True)
class Programs:
    """Installed when any one of these programs is on PATH."""
    names: tuple[str, ...]

    def present(self) -> bool:
        return any(shutil.which(name) for name in self.names)


@dataclass(frozen=True)
class Header:
    """Installed when this header is where the compiler looks."""
    path: str

    def present(self) -> bool:
        return any(os.path.exists(os.path.join(directory, self.path)) for directory in INCLUDE_DIRS)


@dataclass(frozen=True)
class Library:
    """Installed when a file matching this pattern exists (a language's library folder)."""
    pattern: str

    def present(self) -> bool:
        return any(Path("/").glob(self.pattern.lstrip("/")))


PACKAGES = {
    "gcc": Programs(("cc", "gcc")),
    "libjansson-dev": Header("jansson.h"),
    "libssl-dev": Header("openssl/ssl.h"),
    "golang-go": Programs(("go",)),
    "cargo": Programs(("cargo",)),
    "default-jdk-headless": Programs(("javac",)),
    "maven": Programs(("mvn",)),
    "nodejs": Programs(("node",)),
    "npm": Programs(("npm",)),
    "iproute2": Programs(("ss",)),
    "socat": Programs(("socat",)),
    "ncat": Programs(("ncat",)),
    "iputils-ping": Programs(("ping",)),
    "util-linux": Programs(("setpriv",)),  # setpriv and unshare come together
    "chromium": Programs(("chromium", "chromium-browser")),
    "chromium-driver": Programs(("chromedriver",)),
    "libuv1-dev": Header("uv.h"),
    "erlang-nox": Programs(("escript",)),
    "erlang-jiffy": Library("/usr/lib/erlang/lib/jiffy-*/ebin/jiffy.beam"),
}

# What each shipped adapter needs to build and run (adapters/<name>/adapter.toml).
SHIPPED_ADAPTER_PACKAGES = {
    "c": ("gcc", "libjansson-dev", "libssl-dev"),
    "go": ("golang-go",),
    "rust": ("cargo",),
    "java": ("default-jdk-headless", "maven"),
    "node": ("nodejs",),
    "asyncio": (),
    "tokio": ("cargo",),
    "netty": ("default-jdk-headless", "maven"),
    "netty-epoll": ("default-jdk-headless", "maven"),
    "trio": (),  # a PyPI package: the project's `adapters` extra installs it
    "uvloop": (),  # likewise
    "libuv": ("gcc", "libuv1-dev", "libjansson-dev"),
    "erlang": ("erlang-nox", "erlang-jiffy"),
    "pion-sctp": ("golang-go",),  # SCTP only (protocol 1.6): Pion's SCTP over UDP
}


def missing_debian_packages(*names: str) -> list[str]:
    return [name for name in names if not PACKAGES[name].present()]


def skip_reason(missing: list[str]) -> str:
    return f"needs Debian package(s) {', '.join(missing)} (apt-get install {' '.join(missing)})"


def needs_debian_package(*names: str) -> pytest.MarkDecorator:
    """A skipif mark: the test skips, naming the missing packages, when any is missing."""
    missing = missing_debian_packages(*names)
    return pytest.mark.skipif(bool(missing), reason=skip_reason(missing))


def require_debian_packages(*names: str) -> None:
    """Inside a test: skip it now, naming the missing packages, when any is missing."""
    missing = missing_debian_packages(*names)
    if missing:
        pytest.skip(skip_reason(missing))
