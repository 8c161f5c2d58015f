"""A ctypes binding of the few usrsctp calls the reference needs (Debian: libusrsctp-dev).

usrsctp is a user-space SCTP stack (RFC 9260; the one inside the browsers' data channels).
The reference starts it once per process with UDP encapsulation (RFC 6951): SCTP packets
travel inside UDP datagrams to and from one UDP port, the process's *encapsulation port*.
Nothing here calls back into Python: sockets are non-blocking and polled with
``usrsctp_get_events``, so the stack's threads never need the interpreter.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import socket
import threading

IPPROTO_SCTP = 132
# usrsctp.h
SCTP_EVENT_READ, SCTP_EVENT_WRITE, SCTP_EVENT_ERROR = 0x1, 0x2, 0x4
SCTP_NODELAY, SCTP_MAXSEG, SCTP_RECVRCVINFO, SCTP_REMOTE_UDP_ENCAPS_PORT = 0x4, 0xE, 0x1F, 0x24
# protocol 1.8: association parameters
SCTP_INITMSG, SCTP_PEER_ADDR_PARAMS, SCTP_STATUS, SCTP_GET_PEER_ADDR_INFO = 0x3, 0xA, 0x100, 0x101
SPP_HB_ENABLE, SPP_HB_DISABLE, SPP_HB_TIME_IS_ZERO = 0x1, 0x2, 0x80
STATES = {0x0000: "closed", 0x1000: "closed", 0x2000: "closed", 0x0002: "cookie-wait", 0x0004: "cookie-echoed",
          0x0008: "established", 0x0010: "shutdown-sent", 0x0020: "shutdown-received",
          0x0040: "shutdown-ack-sent", 0x0080: "shutdown-pending"}  # usrsctp.h "user state values"
SCTP_SENDV_SNDINFO, SCTP_RECVV_RCVINFO = 1, 1
SCTP_EOF, SCTP_ABORT, SCTP_UNORDERED = 0x100, 0x200, 0x400
MSG_NOTIFICATION, MSG_EOR = 0x2000, 0x80
SOL_SOCKET, SO_LINGER, SO_ERROR = socket.SOL_SOCKET, socket.SO_LINGER, socket.SO_ERROR
# Set this to any value to act as if the library were missing (tests of that path).
HIDE_VARIABLE = "SOCKSPEC_NO_USRSCTP"
PACKAGE = "libusrsctp-dev (usrsctp, a user-space SCTP stack)"
VERSION = "0.9.5.0"  # Debian bookworm's; the library does not report its own


class SndInfo(ctypes.Structure):
    _fields_ = [("snd_sid", ctypes.c_uint16), ("snd_flags", ctypes.c_uint16), ("snd_ppid", ctypes.c_uint32),
                ("snd_context", ctypes.c_uint32), ("snd_assoc_id", ctypes.c_uint32)]


class RcvInfo(ctypes.Structure):
    _fields_ = [("rcv_sid", ctypes.c_uint16), ("rcv_ssn", ctypes.c_uint16), ("rcv_flags", ctypes.c_uint16),
                ("rcv_ppid", ctypes.c_uint32), ("rcv_tsn", ctypes.c_uint32), ("rcv_cumtsn", ctypes.c_uint32),
                ("rcv_context", ctypes.c_uint32), ("rcv_assoc_id", ctypes.c_uint32)]


class UdpEncaps(ctypes.Structure):
    _fields_ = [("sue_address", ctypes.c_byte * 128), ("sue_assoc_id", ctypes.c_uint32),
                ("sue_port", ctypes.c_uint16)]


class SockaddrStorage(ctypes.Structure):
    _fields_ = [("raw", ctypes.c_uint64 * 16)]  # 128 bytes, 8-byte aligned, as the C type


class InitMsg(ctypes.Structure):
    _fields_ = [("sinit_num_ostreams", ctypes.c_uint16), ("sinit_max_instreams", ctypes.c_uint16),
                ("sinit_max_attempts", ctypes.c_uint16), ("sinit_max_init_timeo", ctypes.c_uint16)]


class PaddrParams(ctypes.Structure):
    _fields_ = [("spp_address", SockaddrStorage), ("spp_assoc_id", ctypes.c_uint32),
                ("spp_hbinterval", ctypes.c_uint32), ("spp_pathmtu", ctypes.c_uint32),
                ("spp_flags", ctypes.c_uint32), ("spp_ipv6_flowlabel", ctypes.c_uint32),
                ("spp_pathmaxrxt", ctypes.c_uint16), ("spp_dscp", ctypes.c_uint8)]


class PaddrInfo(ctypes.Structure):
    _fields_ = [("spinfo_address", SockaddrStorage), ("spinfo_assoc_id", ctypes.c_uint32),
                ("spinfo_state", ctypes.c_int32), ("spinfo_cwnd", ctypes.c_uint32), ("spinfo_srtt", ctypes.c_uint32),
                ("spinfo_rto", ctypes.c_uint32), ("spinfo_mtu", ctypes.c_uint32)]


class Status(ctypes.Structure):
    _fields_ = [("sstat_assoc_id", ctypes.c_uint32), ("sstat_state", ctypes.c_int32), ("sstat_rwnd", ctypes.c_uint32),
                ("sstat_unackdata", ctypes.c_uint16), ("sstat_penddata", ctypes.c_uint16),
                ("sstat_instrms", ctypes.c_uint16), ("sstat_outstrms", ctypes.c_uint16),
                ("sstat_fragmentation_point", ctypes.c_uint32), ("sstat_primary", PaddrInfo)]


class Linger(ctypes.Structure):
    _fields_ = [("l_onoff", ctypes.c_int), ("l_linger", ctypes.c_int)]


_lock = threading.Lock()
_lib: ctypes.CDLL | None = None
_encaps_port: int | None = None


def library() -> ctypes.CDLL | None:
    """The loaded library, or None where it is not installed."""
    global _lib
    if os.environ.get(HIDE_VARIABLE):
        return None
    if _lib is None:
        name = ctypes.util.find_library("usrsctp") or "libusrsctp.so.2"
        try:
            lib = ctypes.CDLL(name, use_errno=True)
        except OSError:
            return None
        _declare(lib)
        _lib = lib
    return _lib


def _declare(lib: ctypes.CDLL) -> None:
    vp, i, sz = ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t
    signatures = {
        "usrsctp_init": (None, [ctypes.c_uint16, vp, vp]),
        "usrsctp_socket": (vp, [i, i, i, vp, vp, ctypes.c_uint32, vp]),
        "usrsctp_setsockopt": (i, [vp, i, i, vp, ctypes.c_uint32]),
        "usrsctp_getsockopt": (i, [vp, i, i, vp, ctypes.POINTER(ctypes.c_uint32)]),
        "usrsctp_bind": (i, [vp, vp, ctypes.c_uint32]),
        "usrsctp_listen": (i, [vp, i]),
        "usrsctp_accept": (vp, [vp, vp, ctypes.POINTER(ctypes.c_uint32)]),
        "usrsctp_connect": (i, [vp, vp, ctypes.c_uint32]),
        "usrsctp_sendv": (ctypes.c_ssize_t, [vp, vp, sz, vp, i, vp, ctypes.c_uint32, ctypes.c_uint, i]),
        "usrsctp_recvv": (ctypes.c_ssize_t, [vp, vp, sz, vp, ctypes.POINTER(ctypes.c_uint32), vp,
                                             ctypes.POINTER(ctypes.c_uint32), ctypes.POINTER(ctypes.c_uint),
                                             ctypes.POINTER(i)]),
        "usrsctp_shutdown": (i, [vp, i]),
        "usrsctp_close": (None, [vp]),
        "usrsctp_set_non_blocking": (i, [vp, i]),
        "usrsctp_get_events": (i, [vp]),
        "usrsctp_getladdrs": (i, [vp, ctypes.c_uint32, ctypes.POINTER(vp)]),
        "usrsctp_freeladdrs": (None, [vp]),
        "usrsctp_getpaddrs": (i, [vp, ctypes.c_uint32, ctypes.POINTER(vp)]),
        "usrsctp_freepaddrs": (None, [vp]),
        "usrsctp_sysctl_set_sctp_no_csum_on_loopback": (i, [ctypes.c_uint32]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype, function.argtypes = restype, argtypes


def _free_udp_port() -> int:
    """A UDP port free on both 0.0.0.0 and [::] (usrsctp binds its encapsulation sockets to
    the wildcard addresses of both families)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("0.0.0.0", 0))
            port = probe.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as probe6:
                    probe6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                    probe6.bind(("::", port))
            except OSError:
                continue
        return port
    raise OSError("no UDP port free on both families")


def stack() -> tuple[ctypes.CDLL, int]:
    """The process's one usrsctp stack, started on first use: the library and its UDP
    encapsulation port (RFC 6951 §5.1)."""
    global _encaps_port
    lib = library()
    if lib is None:
        raise OSError(f"usrsctp is not installed ({PACKAGE})")
    with _lock:
        if _encaps_port is None:
            port = _free_udp_port()
            lib.usrsctp_init(port, None, None)
            # RFC 9260 §6.8: every packet carries a CRC32c; usrsctp may skip it on loopback.
            lib.usrsctp_sysctl_set_sctp_no_csum_on_loopback(0)
            _encaps_port = port
    return lib, _encaps_port


def errno_now() -> int:
    return ctypes.get_errno()
