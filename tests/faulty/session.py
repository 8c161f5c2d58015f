"""Faulty echo servers of the session area (TCP-SESSION-*): programs with one classic bug."""

from __future__ import annotations

from .common import BadEcho  # noqa: F401

# Which fault makes which check the first one a target gets wrong (tests/check_proof.py).
PROOFS: dict[str, dict] = {
    'TCP-SESSION-005': {
        'the half-closed client gets its whole echo': BadEcho('drops-tail'),
    },
    'TCP-SESSION-006': {
        'the others are still served': BadEcho('fragile'),
    },
    'TCP-SESSION-008': {
        'no server-side socket left in ESTABLISHED or CLOSE-WAIT': BadEcho('leaks'),
    },
    'TCP-SESSION-009': {
        'the later session gets only its own bytes': BadEcho('stale'),
    },
}
