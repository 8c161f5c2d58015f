"""SCTP (protocol 1.6): associations over the kernel's SCTP or a user-space stack with UDP
encapsulation (RFC 6951). The endpoint gives the ``sctp.*`` operations that wait their
``timeout`` (fixtures/endpoint.py), and a host without SCTP is told which package gives it
(conformance/runner.py ``HOST_NEEDS``)."""
