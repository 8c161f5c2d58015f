//! Raw and ping ICMP sockets (protocol 1.1): `raw.open`, `raw.send`, `raw.recv`. std has no
//! raw sockets, so these are socket2's throughout.

use crate::adapter::Adapter;
use crate::args::{socket_addr, Args, Family};
use crate::errors::{bad, io_fail, R};
use crate::sockets::{as_uninit, configured, not_offered, Kind};
use crate::stream::MAX_STREAM_READ;
use crate::wait::waiting;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::{json, Value};
use socket2::{Protocol, SockAddr, Type};
use std::os::fd::AsRawFd;

impl Adapter {
    pub(crate) fn op_raw_open(&mut self, args: &Args) -> R<Value> {
        let family = args.family()?;
        let protocol = args.string("protocol")?;
        let expected = if family == Family::V4 {
            "icmp"
        } else {
            "icmpv6"
        };
        if protocol != expected {
            return Err(bad(format!(
                "protocol must be '{expected}' for this family"
            )));
        }
        let ty = match args.optional_string("kind")?.unwrap_or("raw") {
            "raw" => Type::RAW,
            "ping" => Type::DGRAM,
            _ => return Err(bad("kind is 'raw' or 'ping'")),
        };
        let number = if family == Family::V4 {
            Protocol::ICMPV4
        } else {
            Protocol::ICMPV6
        };
        let options = args.options()?;
        let socket = configured(family, ty, Some(number), &options, true)?;
        socket
            .set_nonblocking(true)
            .map_err(|e| io_fail(e, "set_nonblocking"))?;
        let handle = self.register(family, Kind::Raw(socket));
        Ok(json!({"handle": handle}))
    }

    pub(crate) fn op_raw_send(&mut self, args: &Args) -> R<Value> {
        let entry = self.entry(args)?;
        let socket = match &entry.kind {
            Kind::Raw(s) => s,
            other => return Err(not_offered(other, "raw send")),
        };
        let data = args.data()?;
        let timeout = args.timeout()?;
        let to: SockAddr = socket_addr(entry.family, args.string("host")?, 0)?.into();
        let sent = waiting(
            socket.as_raw_fd(),
            libc::POLLOUT,
            timeout,
            "send_to",
            || socket.send_to(&data, &to),
        )?;
        Ok(json!({"sent": sent}))
    }

    pub(crate) fn op_raw_recv(&mut self, args: &Args) -> R<Value> {
        let entry = self.entry(args)?;
        let socket = match &entry.kind {
            Kind::Raw(s) => s,
            other => return Err(not_offered(other, "raw receive")),
        };
        let timeout = args.timeout()?;
        let max = args.int_or("max", Some(65535))?;
        if max < 1 {
            return Err(bad("max must be >= 1"));
        }
        let mut buffer = vec![0u8; (max as u64).min(MAX_STREAM_READ as u64) as usize];
        let (n, from) = waiting(
            socket.as_raw_fd(),
            libc::POLLIN,
            timeout,
            "recv_from",
            || socket.recv_from(as_uninit(&mut buffer)),
        )?;
        let host = from
            .as_socket()
            .map(|a| a.ip().to_string())
            .unwrap_or_default();
        Ok(json!({"data": BASE64.encode(&buffer[..n]), "peer": {"host": host, "port": 0}}))
    }
}
