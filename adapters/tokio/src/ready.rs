//! `wait` (protocol 1.5): tokio's readiness API, `ready(Interest)` on `TcpStream`,
//! `UdpSocket`, `UnixStream` and `UnixDatagram`. tokio's listeners and unconnected sockets
//! (`TcpListener`, `TcpSocket`, `UnixListener`, `UnixSocket`) have no readiness API: a
//! listener is awaited with `accept()` only (README, "Findings").

use crate::adapter::Adapter;
use crate::args::Args;
use crate::errors::{bad, io_fail, R};
use crate::sockets::{not_offered, Kind};
use crate::wait::{within, Within};
use serde_json::{json, Value};
use std::future::Future;
use std::io;
use tokio::io::{Interest, Ready};

/// A boolean argument; absent or null is false (§6 "Flags and blocking calls").
pub(crate) fn flag(args: &Args, name: &str) -> R<bool> {
    match args.0.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(bad(format!("argument '{name}' must be a bool"))),
    }
}

/// The readiness tokio holds right now for `interest`, without waiting (`None`: none of it).
async fn now<F: Future<Output = io::Result<Ready>>>(fut: F) -> Option<io::Result<Ready>> {
    tokio::select! {
        biased;
        r = fut => Some(r),
        _ = std::future::ready(()) => None,
    }
}

fn ready_of(
    kind: &Kind,
    interest: Interest,
) -> R<std::pin::Pin<Box<dyn Future<Output = io::Result<Ready>> + '_>>> {
    Ok(match kind {
        Kind::Stream(s) => Box::pin(s.ready(interest)),
        Kind::Udp(s) => Box::pin(s.ready(interest)),
        Kind::UnixStream(s) => Box::pin(s.ready(interest)),
        Kind::UnixDatagram(s) => Box::pin(s.ready(interest)),
        other => return Err(not_offered(other, "readiness API (ready(Interest))")),
    })
}

impl Adapter {
    pub(crate) async fn op_wait(&mut self, args: &Args<'_>) -> R<Value> {
        let timeout = args.timeout()?;
        let events = args
            .0
            .get("events")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("argument 'events' must be a list"))?;
        let (mut read, mut write, mut rdhangup) = (false, false, false);
        for event in events {
            match event.as_str() {
                Some("read") => read = true,
                Some("write") => write = true,
                Some("rdhangup") => rdhangup = true,
                _ => return Err(bad(format!("unknown event {event}"))),
            }
        }
        let entry = self.entry(args)?;
        // tokio's error readiness is always of interest, as POLLERR is to poll; a read hang-up
        // is part of READABLE (READ_CLOSED, from EPOLLRDHUP).
        let mut interest = Interest::ERROR;
        if read || rdhangup {
            interest = interest.add(Interest::READABLE);
        }
        if write {
            interest = interest.add(Interest::WRITABLE);
        }
        match within(timeout, ready_of(&entry.kind, interest)?).await {
            Within::Done(r) => {
                r.map_err(|e| io_fail(e, "ready"))?;
            }
            Within::Pending => return Ok(json!({"events": []})),
        }
        // Every condition that holds now, as poll answers them all.
        let all = Interest::READABLE
            .add(Interest::WRITABLE)
            .add(Interest::ERROR);
        let ready = match now(ready_of(&entry.kind, all)?).await {
            Some(r) => r.map_err(|e| io_fail(e, "ready"))?,
            None => Ready::EMPTY,
        };
        let mut out = Vec::new();
        if read && ready.is_readable() {
            out.push("read");
        }
        if write && ready.is_writable() {
            out.push("write");
        }
        if rdhangup && ready.is_read_closed() {
            out.push("rdhangup");
        }
        if ready.is_error() {
            out.push("error");
        }
        if ready.is_read_closed() && ready.is_write_closed() {
            out.push("hangup");
        }
        Ok(json!({"events": out}))
    }
}
