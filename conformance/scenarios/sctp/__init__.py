"""SCTP (protocol 1.6): associations over the kernel's SCTP or a user-space stack with UDP
encapsulation (RFC 6951).

Until fixtures/endpoint.py and conformance/runner.py learn SCTP themselves, this package
tells them: the ``sctp.*`` operations that wait take the endpoint's ``timeout`` argument,
and a host without SCTP is told which package gives it.
"""

from conformance import runner
from fixtures import endpoint
from reference_impl.sctp.usrsctp import PACKAGE

endpoint._WAITING_OPS.update({"sctp.connect", "sctp.accept", "sctp.send", "sctp.recv"})
runner.HOST_NEEDS.setdefault("sctp", f"SCTP: neither the kernel's nor usrsctp (Debian: {PACKAGE})")
