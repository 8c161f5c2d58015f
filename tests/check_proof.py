"""Check-level proof: which checks a behaviour makes, and which fault proves each can fail.

A check is known by its *key*: its name with numbers and booleans blanked out, so that a
check made once per size or per setting ("1472-byte datagram arrives whole") is one check.
Every area's faulty module lists ``PROOFS = {behaviour: {check key: fault}}``; the fault
must make that check the first one the target gets wrong.
"""

from __future__ import annotations

import re

from tests.faulty import (corners, datagram, errqueue, flags, icmp, more_corners, more_flags, more_readiness, more_wire,
                          multicast, options15, passive, protocol_faults, readiness, sctp, sctp_params, session, stream,
                          teardown, unix, wire_options)

_BLANKED = re.compile(r"\b(\d+|True|False|None)\b")
STOP = "(scenario stopped)"


def check_key(name: str) -> str:
    return _BLANKED.sub("#", name)


def _merged(*modules) -> dict[str, dict]:
    proofs: dict[str, dict] = {}
    for module in modules:
        for behaviour_id, checks in module.PROOFS.items():
            proofs.setdefault(behaviour_id, {}).update(checks)
    return proofs


PROOFS = _merged(stream, passive, teardown, session, datagram, icmp, protocol_faults, unix, readiness, flags,
                 options15, corners, wire_options, more_corners, sctp, sctp_params, more_flags, more_readiness,
                 more_wire, errqueue, multicast)

# Checks no faulty target can reach first, each with the reason (they guard the host or the
# kernel, not the target). Keep this short: every entry is a check that cannot fail.
UNPROVABLE: dict[tuple[str, str], str] = {}


def made_checks(behaviour_id: str) -> set[str]:
    """The keys of the checks the reference makes over every case of a behaviour."""
    from tests.conftest import grade_cases
    from tests.test_faults_are_caught import reference_for
    return {check_key(entry.name) for _, verdict in grade_cases(behaviour_id, reference_for(behaviour_id))
            for entry in verdict.reference_trace.checks() if entry.kind == "check"}


def main(argv: list[str] | None = None) -> None:
    """``python -m tests.check_proof [PREFIX…]``: each check, and the fault that proves it."""
    import sys
    from conformance import catalogue
    from fixtures.endpoint import Endpoint
    Endpoint.default_timeout = 1.0  # as the project's tests run
    prefixes = (sys.argv[1:] if argv is None else argv) or [""]
    total = proven = 0
    for behaviour in catalogue.select(prefixes):
        for key in sorted(made_checks(behaviour.id)):
            fault = PROOFS.get(behaviour.id, {}).get(key)
            excuse = UNPROVABLE.get((behaviour.id, key))
            total += 1
            proven += bool(fault or excuse)
            shown = getattr(fault, "__name__", None) or (repr(fault) if fault else f"(unprovable: {excuse})" if excuse else "MISSING")
            print(f"{behaviour.id:18} {key!r:70} {shown}")
    print(f"\n{proven}/{total} checks proven able to fail")


if __name__ == "__main__":
    main()
