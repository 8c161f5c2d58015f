//! What a handle names: one of std's socket types, or a socket2 socket where std has no
//! such object, with the helpers every operation module shares.

use crate::args::{domain, Family, Options};
use crate::errors::{io_fail, unsupported, OpError, R};
use crate::options::set_option;
use crate::serve::Server;
use socket2::{Protocol, SockRef, Socket, Type};
use std::mem::MaybeUninit;
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::{UnixDatagram, UnixListener, UnixStream};

pub(crate) enum Kind {
    /// `std::net::TcpListener`
    Listener(TcpListener),
    /// `std::net::TcpStream` (connected or accepted)
    Stream(TcpStream),
    /// `tcp.socket`: an unconnected `socket2::Socket` (std has no such object)
    Unconnected(Socket),
    /// `std::net::UdpSocket`
    Udp(UdpSocket),
    /// `raw.open`: a `socket2::Socket` of type SOCK_RAW or SOCK_DGRAM/IPPROTO_ICMP
    Raw(Socket),
    /// `serve.start`: an echo server on threads of its own (its listener or UDP socket)
    Server(Server),
    /// `std::os::unix::net::UnixListener`
    UnixListener(UnixListener),
    /// `std::os::unix::net::UnixStream` (connected, accepted, or one end of a pair)
    UnixStream(UnixStream),
    /// `std::os::unix::net::UnixDatagram`
    UnixDatagram(UnixDatagram),
    /// a Unix `socket2::Socket` where std has none: seqpacket sockets (listening, connected,
    /// paired), a bound stream socket that does not listen, a listener on an unbound socket
    UnixSocket(Socket),
}

/// An open handle: its socket, and the family it was opened with (`ttl` and addresses
/// depend on it).
pub(crate) struct Entry {
    pub(crate) family: Family,
    pub(crate) kind: Kind,
}

impl Kind {
    pub(crate) fn fd(&self) -> RawFd {
        match self {
            Kind::Listener(s) => s.as_raw_fd(),
            Kind::Stream(s) => s.as_raw_fd(),
            Kind::Unconnected(s) | Kind::Raw(s) => s.as_raw_fd(),
            Kind::Udp(s) => s.as_raw_fd(),
            Kind::Server(s) => s.fd(),
            Kind::UnixListener(s) => s.as_raw_fd(),
            Kind::UnixStream(s) => s.as_raw_fd(),
            Kind::UnixDatagram(s) => s.as_raw_fd(),
            Kind::UnixSocket(s) => s.as_raw_fd(),
        }
    }

    /// socket2's view of the same socket, for what std has no accessor for.
    pub(crate) fn sref(&self) -> SockRef<'_> {
        match self {
            Kind::Listener(s) => SockRef::from(s),
            Kind::Stream(s) => SockRef::from(s),
            Kind::Unconnected(s) | Kind::Raw(s) => SockRef::from(s),
            Kind::Udp(s) => SockRef::from(s),
            Kind::Server(s) => s.sref(),
            Kind::UnixListener(s) => SockRef::from(s),
            Kind::UnixStream(s) => SockRef::from(s),
            Kind::UnixDatagram(s) => SockRef::from(s),
            Kind::UnixSocket(s) => SockRef::from(s),
        }
    }

    pub(crate) fn name(&self) -> &'static str {
        match self {
            Kind::Listener(_) => "std::net::TcpListener",
            Kind::Stream(_) => "std::net::TcpStream",
            Kind::Unconnected(_) => "an unconnected socket2::Socket",
            Kind::Udp(_) => "std::net::UdpSocket",
            Kind::Raw(_) => "a raw socket2::Socket",
            Kind::Server(_) => "an echo server (serve.start)",
            Kind::UnixListener(_) => "std::os::unix::net::UnixListener",
            Kind::UnixStream(_) => "std::os::unix::net::UnixStream",
            Kind::UnixDatagram(_) => "std::os::unix::net::UnixDatagram",
            Kind::UnixSocket(_) => "a Unix socket2::Socket",
        }
    }
}

/// UNSUPPORTED for an operation the handle's type does not offer (see the crate docs).
pub(crate) fn not_offered(kind: &Kind, what: &str) -> OpError {
    unsupported(format!("{} has no {what}", kind.name()))
}

/// A socket2 socket with `options` applied in order (for what must precede bind).
pub(crate) fn configured(
    family: Family,
    ty: Type,
    protocol: Option<Protocol>,
    options: &Options,
    raw: bool,
) -> R<Socket> {
    let socket = Socket::new(domain(family), ty, protocol).map_err(|e| io_fail(e, "socket"))?;
    // Wrapped in an Entry so the options go through the same code as `opt.set`.
    let entry = Entry {
        family,
        kind: if raw {
            Kind::Raw(socket)
        } else {
            Kind::Unconnected(socket)
        },
    };
    for (name, value) in options {
        set_option(&entry, name, value)?;
    }
    match entry.kind {
        Kind::Raw(s) | Kind::Unconnected(s) => Ok(s),
        _ => unreachable!(),
    }
}

/// socket2's receive calls take possibly-uninitialised buffers; ours is initialised.
pub(crate) fn as_uninit(buf: &mut [u8]) -> &mut [MaybeUninit<u8>] {
    // SAFETY: MaybeUninit<u8> has the layout of u8, and the bytes are initialised already.
    unsafe { &mut *(buf as *mut [u8] as *mut [MaybeUninit<u8>]) }
}
