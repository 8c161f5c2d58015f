//! Addresses as the protocol writes them (`{"host", "port"}`, Unix `{"path"}` /
//! `{"abstract"}` / `{"unnamed"}`), and the `addr.local` / `addr.peer` operations.

use crate::adapter::Adapter;
use crate::args::Args;
use crate::errors::{io_fail, R};
use crate::sockets::{not_offered, Kind};
use serde_json::{json, Value};
use std::io;
use std::net::SocketAddr;

pub(crate) fn address_json(addr: SocketAddr) -> Value {
    // Ipv6Addr's Display prints IPv4-mapped addresses as ::ffff:a.b.c.d, like inet_ntop.
    json!({"host": addr.ip().to_string(), "port": addr.port()})
}

/// `tokio::net::unix::SocketAddr`: a path, an abstract name, or unnamed.
pub(crate) fn unix_json(addr: &tokio::net::unix::SocketAddr) -> Value {
    if let Some(p) = addr.as_pathname() {
        json!({"path": p.to_string_lossy()})
    } else if let Some(name) = addr.as_abstract_name() {
        json!({"abstract": String::from_utf8_lossy(name)})
    } else {
        json!({"unnamed": true})
    }
}

/// socket2's address (a `UnixSocket`'s, which tokio does not report).
pub(crate) fn sockaddr_json(addr: &socket2::SockAddr) -> Value {
    if let Some(p) = addr.as_pathname() {
        json!({"path": p.to_string_lossy()})
    } else if let Some(name) = addr.as_abstract_namespace() {
        json!({"abstract": String::from_utf8_lossy(name)})
    } else if let Some(a) = addr.as_socket() {
        address_json(a)
    } else {
        json!({"unnamed": true})
    }
}

pub(crate) fn with_handle(handle: i64, local: Value, peer: Value) -> Value {
    json!({"handle": handle, "local": local, "peer": peer})
}

impl Adapter {
    pub(crate) fn op_addr_local(&mut self, args: &Args) -> R<Value> {
        let entry = self.entry(args)?;
        let ip =
            |r: io::Result<SocketAddr>| r.map(address_json).map_err(|e| io_fail(e, "local_addr"));
        let unix = |r: io::Result<tokio::net::unix::SocketAddr>| {
            r.map(|a| unix_json(&a))
                .map_err(|e| io_fail(e, "local_addr"))
        };
        match &entry.kind {
            Kind::TcpSocket(s) => ip(s.local_addr()),
            Kind::Listener(s) => ip(s.local_addr()),
            Kind::Stream(s) => ip(s.local_addr()),
            Kind::Udp(s) => ip(s.local_addr()),
            Kind::Server(s) => Ok(s.local()),
            Kind::UnixListener(s) => unix(s.local_addr()),
            Kind::UnixStream(s) => unix(s.local_addr()),
            Kind::UnixDatagram(s) => unix(s.local_addr()),
            // tokio's UnixSocket reports no address: socket2's getsockname
            Kind::UnixSocket(_) => entry
                .kind
                .sref()
                .local_addr()
                .map(|a| sockaddr_json(&a))
                .map_err(|e| io_fail(e, "local_addr")),
        }
    }

    pub(crate) fn op_addr_peer(&mut self, args: &Args) -> R<Value> {
        let entry = self.entry(args)?;
        let ip =
            |r: io::Result<SocketAddr>| r.map(address_json).map_err(|e| io_fail(e, "peer_addr"));
        let unix = |r: io::Result<tokio::net::unix::SocketAddr>| {
            r.map(|a| unix_json(&a))
                .map_err(|e| io_fail(e, "peer_addr"))
        };
        match &entry.kind {
            Kind::Stream(s) => ip(s.peer_addr()),
            Kind::Udp(s) => ip(s.peer_addr()),
            Kind::UnixStream(s) => unix(s.peer_addr()),
            Kind::UnixDatagram(s) => unix(s.peer_addr()),
            other => Err(not_offered(other, "peer_addr")),
        }
    }
}
