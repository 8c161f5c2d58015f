"""The reference over stdio with one multicast fault: ``python multicast_adapter.py NAME``,
NAME a class of tests/faulty/multicast.py. The multicast behaviours run their target as a twin
in a namespace of its own (an in-process fault cannot be one), so each fault is this program."""

import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # the repository, wherever this runs

from reference_impl import adapter
from tests.faulty import multicast


def main() -> None:
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    adapter.ReferenceAdapter = getattr(multicast, sys.argv[1])  # serve() makes one of these
    adapter.serve(sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    main()
