"""The reference over stdio with one fault of tests/faulty/more_wire.py: ``python
more_wire_adapter.py NAME``. TCP-WIRE-016 runs its target as a twin in a namespace of its own
(an in-process fault cannot be one), so its faults are this program."""

import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # the repository, wherever this runs

from reference_impl import adapter
from tests.faulty import more_wire


def main() -> None:
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    adapter.ReferenceAdapter = getattr(more_wire, sys.argv[1])  # serve() makes one of these
    adapter.serve(sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    main()
