//! What a handle names: one of tokio's socket types, or an echo server.

use crate::args::Family;
use crate::errors::{unsupported, OpError};
use crate::serve::Server;
use socket2::SockRef;
use tokio::net::{
    TcpListener, TcpSocket, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixSocket,
    UnixStream,
};

pub(crate) enum Kind {
    /// `tcp.socket`: `tokio::net::TcpSocket`, not yet connected or listening
    TcpSocket(TcpSocket),
    /// `tokio::net::TcpListener`
    Listener(TcpListener),
    /// `tokio::net::TcpStream` (connected or accepted)
    Stream(TcpStream),
    /// `tokio::net::UdpSocket`
    Udp(UdpSocket),
    /// `serve.start`: an echo server running as tasks of the runtime
    Server(Server),
    /// `tokio::net::UnixListener`
    UnixListener(UnixListener),
    /// `tokio::net::UnixStream` (connected, accepted, or one end of a pair)
    UnixStream(UnixStream),
    /// `tokio::net::UnixDatagram`
    UnixDatagram(UnixDatagram),
    /// `tokio::net::UnixSocket`: a bound stream socket that neither listens nor connects
    UnixSocket(UnixSocket),
}

pub(crate) struct Entry {
    pub(crate) family: Family,
    pub(crate) kind: Kind,
}

impl Kind {
    /// socket2's view of the same socket, for what tokio has no accessor for.
    pub(crate) fn sref(&self) -> SockRef<'_> {
        match self {
            Kind::TcpSocket(s) => SockRef::from(s),
            Kind::Listener(s) => SockRef::from(s),
            Kind::Stream(s) => SockRef::from(s),
            Kind::Udp(s) => SockRef::from(s),
            Kind::Server(s) => s.sref(),
            Kind::UnixListener(s) => SockRef::from(s),
            Kind::UnixStream(s) => SockRef::from(s),
            Kind::UnixDatagram(s) => SockRef::from(s),
            Kind::UnixSocket(s) => SockRef::from(s),
        }
    }

    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Kind::TcpSocket(_) => "tokio::net::TcpSocket",
            Kind::Listener(_) => "tokio::net::TcpListener",
            Kind::Stream(_) => "tokio::net::TcpStream",
            Kind::Udp(_) => "tokio::net::UdpSocket",
            Kind::Server(_) => "an echo server",
            Kind::UnixListener(_) => "tokio::net::UnixListener",
            Kind::UnixStream(_) => "tokio::net::UnixStream",
            Kind::UnixDatagram(_) => "tokio::net::UnixDatagram",
            Kind::UnixSocket(_) => "tokio::net::UnixSocket",
        }
    }
}

/// An operation tokio's type for this handle does not have (ruled out at compile time).
pub(crate) fn not_offered(kind: &Kind, what: &str) -> OpError {
    unsupported(format!("{} has no {what}", kind.type_name()))
}
