"""Faulty targets for wire_options behaviours (issue 13, phase 2): PROOFS maps each check to its fault."""

PROOFS: dict[str, dict] = {}
