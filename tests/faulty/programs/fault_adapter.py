"""The reference over stdio with one fault of a tests/faulty module: ``python fault_adapter.py
MODULE NAME`` (``multicast JoinIgnored``). Behaviours that run their target as a twin, in a
namespace of its own, cannot use an in-process fault, so those faults are this program."""

import importlib
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # the repository, wherever this runs

from reference_impl import adapter


def main() -> None:
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    module = importlib.import_module(f"tests.faulty.{sys.argv[1]}")
    adapter.ReferenceAdapter = getattr(module, sys.argv[2])  # serve() makes one of these
    adapter.serve(sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    main()
