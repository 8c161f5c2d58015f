//! `udp.*`: `tokio::net::UdpSocket`. With `options`, the socket is made by socket2 (options
//! must precede bind and tokio's UdpSocket::bind takes none) and handed to tokio with
//! `UdpSocket::from_std`, as tokio's documentation suggests.

use crate::adapter::Adapter;
use crate::address::address_json;
use crate::args::{domain, socket_addr, Args};
use crate::errors::{io_fail, R};
use crate::options::apply;
use crate::ready::flag;
use crate::sockets::{not_offered, Kind};
use crate::stream::max_arg;
use crate::wait::waiting;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::{json, Value};
use socket2::{Protocol, Socket, Type};
use tokio::net::UdpSocket;

/// Room for the largest datagram (and one byte more, to notice truncation).
const MAX_DATAGRAM: usize = 65536;

impl Adapter {
    pub(crate) async fn op_udp_bind(&mut self, args: &Args<'_>) -> R<Value> {
        let family = args.family()?;
        let addr = socket_addr(family, args.string("host")?, args.int("port")?)?;
        let options = args.options()?;
        let socket = if options.is_empty() {
            UdpSocket::bind(addr)
                .await
                .map_err(|e| io_fail(e, "bind"))?
        } else {
            let s = Socket::new(domain(family), Type::DGRAM, Some(Protocol::UDP))
                .map_err(|e| io_fail(e, "socket"))?;
            apply(family, None, &s, &options)?;
            s.bind(&addr.into()).map_err(|e| io_fail(e, "bind"))?;
            s.set_nonblocking(true)
                .map_err(|e| io_fail(e, "set_nonblocking"))?;
            UdpSocket::from_std(s.into()).map_err(|e| io_fail(e, "UdpSocket::from_std"))?
        };
        let local = socket.local_addr().map_err(|e| io_fail(e, "local_addr"))?;
        let handle = self.register(family, Kind::Udp(socket));
        Ok(json!({"handle": handle, "local": address_json(local)}))
    }

    pub(crate) async fn op_udp_connect(&mut self, args: &Args<'_>) -> R<Value> {
        let entry = self.entry(args)?;
        let addr = socket_addr(entry.family, args.string("host")?, args.int("port")?)?;
        let Kind::Udp(s) = &entry.kind else {
            return Err(not_offered(&entry.kind, "connect (UdpSocket)"));
        };
        s.connect(addr).await.map_err(|e| io_fail(e, "connect"))?;
        let local = s.local_addr().map_err(|e| io_fail(e, "local_addr"))?;
        let peer = s.peer_addr().map_err(|e| io_fail(e, "peer_addr"))?;
        Ok(json!({"local": address_json(local), "peer": address_json(peer)}))
    }

    pub(crate) async fn op_udp_sendto(&mut self, args: &Args<'_>) -> R<Value> {
        let data = args.data()?;
        let timeout = args.timeout()?;
        let dontwait = flag(args, "dontwait")?;
        let entry = self.entry(args)?;
        let host = args.optional_string("host")?;
        let target = match host {
            Some(h) => Some(socket_addr(entry.family, h, args.int("port")?)?),
            None => None,
        };
        let Kind::Udp(s) = &entry.kind else {
            return Err(not_offered(&entry.kind, "send_to (UdpSocket)"));
        };
        let sent = match target {
            // flag.dontwait: try_send_to / try_send, tokio's one attempt
            Some(t) if dontwait => s
                .try_send_to(&data, t)
                .map_err(|e| io_fail(e, "try_send_to"))?,
            None if dontwait => s.try_send(&data).map_err(|e| io_fail(e, "try_send"))?,
            Some(t) => waiting(timeout, "send_to", s.send_to(&data, t)).await?,
            None => waiting(timeout, "send", s.send(&data)).await?,
        };
        Ok(json!({"sent": sent}))
    }

    pub(crate) async fn op_udp_recvfrom(&mut self, args: &Args<'_>) -> R<Value> {
        let max = max_arg(args)?.min(MAX_DATAGRAM);
        let timeout = args.timeout()?;
        let peek = flag(args, "peek")?;
        let dontwait = flag(args, "dontwait")?;
        let entry = self.entry(args)?;
        let Kind::Udp(s) = &entry.kind else {
            return Err(not_offered(&entry.kind, "recv_from (UdpSocket)"));
        };
        // recv_from does not report MSG_TRUNC: one byte more than `max` tells a longer datagram.
        let mut buf = vec![0u8; max + 1];
        let (n, peer) = if peek {
            // flag.peek: UdpSocket::peek_from (MSG_PEEK); with dontwait, polled once
            waiting(
                if dontwait { 0.0 } else { timeout },
                "peek_from",
                s.peek_from(&mut buf),
            )
            .await?
        } else if dontwait {
            // flag.dontwait: try_recv_from, tokio's one attempt
            s.try_recv_from(&mut buf)
                .map_err(|e| io_fail(e, "try_recv_from"))?
        } else {
            waiting(timeout, "recv_from", s.recv_from(&mut buf)).await?
        };
        Ok(json!({
            "data": BASE64.encode(&buf[..n.min(max)]),
            "peer": address_json(peer),
            "truncated": n > max,
            "emulated": ["truncated"],
        }))
    }
}
