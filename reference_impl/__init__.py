"""The Python reference: every protocol operation over the stdlib ``socket`` module.

This package stands alone (standard library only): it is the oracle the suite compares
targets against, so it must not lean on the suite it judges.
"""

__version__ = "1.0.0"
