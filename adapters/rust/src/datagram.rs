//! Datagram (UDP) operations: `udp.bind`, `udp.connect`, `udp.sendto`, `udp.recvfrom`, over
//! `std::net::UdpSocket` (socket2 only to apply `options` before bind).

use crate::adapter::Adapter;
use crate::address::address_json;
use crate::args::{socket_addr, Args};
use crate::errors::{bad, io_fail, supply, R};
use crate::flags::{blocking_call, Flags};
use crate::sockets::{as_uninit, configured, not_offered, Kind};
use crate::wait::waiting;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::{json, Value};
use socket2::Type;
use std::net::UdpSocket;
use std::os::fd::AsRawFd;

const MAX_DATAGRAM: usize = 65535;

impl Adapter {
    pub(crate) fn op_udp_bind(&mut self, args: &Args) -> R<Value> {
        let family = args.family()?;
        let addr = socket_addr(family, args.string("host")?, args.int_or("port", Some(0))?)?;
        let options = args.options()?;
        let socket = if options.is_empty() {
            UdpSocket::bind(addr).map_err(|e| io_fail(e, "UdpSocket::bind"))?
        } else {
            let socket = configured(family, Type::DGRAM, None, &options, false)?;
            socket.bind(&addr.into()).map_err(|e| io_fail(e, "bind"))?;
            socket.into()
        };
        socket
            .set_nonblocking(true)
            .map_err(|e| io_fail(e, "set_nonblocking"))?;
        let local = socket.local_addr().map_err(|e| io_fail(e, "local_addr"))?;
        let handle = self.register(family, Kind::Udp(socket));
        Ok(json!({"handle": handle, "local": address_json(local)}))
    }

    pub(crate) fn op_udp_connect(&mut self, args: &Args) -> R<Value> {
        let entry = self.entry(args)?;
        let socket = match &entry.kind {
            Kind::Udp(s) => s,
            other => return Err(not_offered(other, "UDP connect")),
        };
        let addr = socket_addr(entry.family, args.string("host")?, args.int("port")?)?;
        socket.connect(addr).map_err(|e| io_fail(e, "connect"))?;
        let local = socket.local_addr().map_err(|e| io_fail(e, "local_addr"))?;
        let peer = socket.peer_addr().map_err(|e| io_fail(e, "peer_addr"))?;
        Ok(json!({"local": address_json(local), "peer": address_json(peer)}))
    }

    pub(crate) fn op_udp_sendto(&mut self, args: &Args) -> R<Value> {
        let entry = self.entry(args)?;
        let socket = match &entry.kind {
            Kind::Udp(s) => s,
            other => return Err(not_offered(other, "UDP send")),
        };
        let data = args.data()?;
        let timeout = args.timeout()?;
        // MSG_DONTWAIT: one attempt on the adapter's non-blocking socket.
        let timeout = if Flags::read(args, &["dontwait"])?.dontwait {
            0.0
        } else {
            timeout
        };
        let fd = socket.as_raw_fd();
        let sent = match args.optional_string("host")? {
            None => waiting(fd, libc::POLLOUT, timeout, "send", || socket.send(&data))?,
            Some(host) => {
                let addr = socket_addr(entry.family, host, args.int("port")?)?;
                waiting(fd, libc::POLLOUT, timeout, "send_to", || {
                    socket.send_to(&data, addr)
                })?
            }
        };
        Ok(json!({"sent": sent}))
    }

    pub(crate) fn op_udp_recvfrom(&mut self, args: &Args) -> R<Value> {
        let entry = self.entry(args)?;
        let socket = match &entry.kind {
            Kind::Udp(s) => s,
            other => return Err(not_offered(other, "UDP receive")),
        };
        let timeout = args.timeout()?;
        let max = args.int("max")?;
        if max < 1 {
            return Err(bad("max must be >= 1"));
        }
        let f = Flags::read(args, &["peek", "dontwait", "trunc", "blocking"])?;
        let timeout = if f.dontwait { 0.0 } else { timeout };
        let max = (max as u64).min(MAX_DATAGRAM as u64) as usize;
        let kind = &entry.kind;
        if f.trunc {
            // MSG_TRUNC: socket2's recv_from_with_flags answers the datagram's real length.
            let mut buffer = vec![0u8; max];
            let sref = kind.sref();
            let flags = libc::MSG_TRUNC | if f.peek { libc::MSG_PEEK } else { 0 };
            let mut attempt = || sref.recv_from_with_flags(as_uninit(&mut buffer), flags);
            let (n, from) = if f.blocking {
                blocking_call(kind, "recv_from MSG_TRUNC", &mut attempt)?
            } else {
                waiting(
                    socket.as_raw_fd(),
                    libc::POLLIN,
                    timeout,
                    "recv_from MSG_TRUNC",
                    &mut attempt,
                )?
            };
            let peer = from
                .as_socket()
                .ok_or_else(|| supply("EAFNOSUPPORT", "recv_from: not an IP address"))?;
            return Ok(json!({
                "data": BASE64.encode(&buffer[..n.min(max)]),
                "peer": address_json(peer),
                "truncated": n > max,
                "length": n,
            }));
        }
        // std's recv_from / peek_from do not report MSG_TRUNC: a buffer one byte longer than
        // `max` tells whether the datagram was longer (the kernel discards the rest either way).
        let mut buffer = vec![0u8; max + 1];
        let peek = f.peek;
        let mut attempt = || {
            if peek {
                socket.peek_from(&mut buffer) // std's UdpSocket::peek_from
            } else {
                socket.recv_from(&mut buffer)
            }
        };
        let (n, peer) = if f.blocking {
            blocking_call(kind, "recv_from", &mut attempt)?
        } else {
            waiting(
                socket.as_raw_fd(),
                libc::POLLIN,
                timeout,
                "recv_from",
                &mut attempt,
            )?
        };
        Ok(json!({
            "data": BASE64.encode(&buffer[..n.min(max)]),
            "peer": address_json(peer),
            "truncated": n > max,
            "emulated": ["truncated"],
        }))
    }
}
