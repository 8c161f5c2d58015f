//! Socket addresses as the protocol writes them (`{"host", "port"}`), and the `addr.local` /
//! `addr.peer` operations.

use crate::adapter::Adapter;
use crate::args::Args;
use crate::errors::{io_fail, supply, R};
use crate::sockets::{not_offered, Kind};
use crate::unix::unix_name;
use serde_json::{json, Value};
use socket2::SockAddr;
use std::net::{SocketAddr, TcpStream};

pub(crate) fn address_json(addr: SocketAddr) -> Value {
    // Ipv6Addr's Display prints IPv4-mapped addresses as ::ffff:a.b.c.d, like inet_ntop.
    json!({"host": addr.ip().to_string(), "port": addr.port()})
}

fn sockaddr_json(addr: SockAddr) -> R<Value> {
    addr.as_socket()
        .map(address_json)
        .ok_or_else(|| supply("EAFNOSUPPORT", "not an internet address"))
}

/// Both ends of a new connection, for the `tcp.connect` / `tcp.accept` answer.
pub(crate) fn stream_endpoints(stream: &TcpStream) -> R<(SocketAddr, SocketAddr)> {
    let local = stream.local_addr().map_err(|e| io_fail(e, "local_addr"))?;
    let peer = stream.peer_addr().map_err(|e| io_fail(e, "peer_addr"))?;
    Ok((local, peer))
}

pub(crate) fn with_handle(handle: i64, (local, peer): (SocketAddr, SocketAddr)) -> Value {
    json!({"handle": handle, "local": address_json(local), "peer": address_json(peer)})
}

impl Adapter {
    pub(crate) fn op_addr_local(&mut self, args: &Args) -> R<Value> {
        let entry = self.entry(args)?;
        let context = "local_addr";
        if let Some(name) = unix_name(&entry.kind, false) {
            return name;
        }
        match &entry.kind {
            Kind::Listener(s) => s
                .local_addr()
                .map(address_json)
                .map_err(|e| io_fail(e, context)),
            Kind::Stream(s) => s
                .local_addr()
                .map(address_json)
                .map_err(|e| io_fail(e, context)),
            Kind::Udp(s) => s
                .local_addr()
                .map(address_json)
                .map_err(|e| io_fail(e, context)),
            Kind::Unconnected(s) | Kind::Raw(s) => {
                sockaddr_json(s.local_addr().map_err(|e| io_fail(e, context))?)
            }
            Kind::Server(s) => Ok(s.local_json()),
            Kind::UnixListener(_)
            | Kind::UnixStream(_)
            | Kind::UnixDatagram(_)
            | Kind::UnixSocket(_) => {
                unreachable!("Unix handles are answered above")
            }
        }
    }

    pub(crate) fn op_addr_peer(&mut self, args: &Args) -> R<Value> {
        let entry = self.entry(args)?;
        let context = "peer_addr";
        if let Kind::UnixListener(_) = entry.kind {
            return Err(not_offered(&entry.kind, "peer_addr"));
        }
        if let Some(name) = unix_name(&entry.kind, true) {
            return name;
        }
        match &entry.kind {
            Kind::Stream(s) => s
                .peer_addr()
                .map(address_json)
                .map_err(|e| io_fail(e, context)),
            Kind::Udp(s) => s
                .peer_addr()
                .map(address_json)
                .map_err(|e| io_fail(e, context)),
            Kind::Unconnected(s) | Kind::Raw(s) => {
                sockaddr_json(s.peer_addr().map_err(|e| io_fail(e, context))?)
            }
            other @ (Kind::Listener(_) | Kind::Server(_)) => Err(not_offered(other, "peer_addr")),
            Kind::UnixListener(_)
            | Kind::UnixStream(_)
            | Kind::UnixDatagram(_)
            | Kind::UnixSocket(_) => {
                unreachable!("Unix handles are answered above")
            }
        }
    }
}
