//! The flags of protocol 1.5 (docs/protocol.md §6 "Flags and blocking calls"). std has
//! `peek` (TcpStream::peek, UdpSocket::peek_from) and blocking calls (its sockets block
//! unless set_nonblocking, and end on set_read_timeout / set_write_timeout); socket2 has
//! the rest: `recv_with_flags` (MSG_WAITALL), `recv_from_with_flags` (MSG_TRUNC),
//! `send_out_of_band` / `recv_out_of_band` (MSG_OOB). `dontwait` is one attempt on the
//! adapter's non-blocking socket, which is what MSG_DONTWAIT does.

use crate::args::{duration, Args};
use crate::errors::{bad, fail, io_fail, R};
use crate::sockets::Kind;
use serde_json::Value;
use std::io::{self, ErrorKind};

#[derive(Default, Clone, Copy)]
pub(crate) struct Flags {
    pub(crate) peek: bool,
    pub(crate) waitall: bool,
    pub(crate) dontwait: bool,
    pub(crate) trunc: bool,
    pub(crate) oob: bool,
    pub(crate) blocking: bool,
}

impl Flags {
    /// Reads the flags `names` allows; absent or null is false.
    pub(crate) fn read(args: &Args, names: &[&str]) -> R<Flags> {
        let mut f = Flags::default();
        for &name in names {
            let on = match args.0.get(name) {
                None | Some(Value::Null) => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err(bad(format!("argument '{name}' must be a bool"))),
            };
            match name {
                "peek" => f.peek = on,
                "waitall" => f.waitall = on,
                "dontwait" => f.dontwait = on,
                "trunc" => f.trunc = on,
                "oob" => f.oob = on,
                "blocking" => f.blocking = on,
                _ => unreachable!(),
            }
        }
        Ok(f)
    }
}

/// One call with the socket in blocking mode (std's default), ended by the call itself or by
/// the socket's own SO_RCVTIMEO / SO_SNDTIMEO; the adapter's non-blocking mode is restored.
pub(crate) fn blocking_call<T>(
    kind: &Kind,
    context: &str,
    mut call: impl FnMut() -> io::Result<T>,
) -> R<T> {
    let sref = kind.sref();
    sref.set_nonblocking(false)
        .map_err(|e| io_fail(e, "set_nonblocking"))?;
    let result = loop {
        match call() {
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            other => break other,
        }
    };
    sref.set_nonblocking(true)
        .map_err(|e| io_fail(e, "set_nonblocking"))?;
    result.map_err(|e| io_fail(e, context))
}

/// MSG_WAITALL through socket2's recv_with_flags: the socket blocks for the call, with
/// SO_RCVTIMEO set to the request's timeout (the socket's own value is put back after), so
/// that the kernel answers what arrived when the time is up. `timeout: 0`: one attempt.
pub(crate) fn recv_waitall(kind: &Kind, buffer: &mut [u8], timeout: f64) -> R<usize> {
    let sref = kind.sref();
    let flags = libc::MSG_WAITALL;
    if timeout == 0.0 {
        return match sref.recv_with_flags(crate::sockets::as_uninit(buffer), flags) {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == ErrorKind::WouldBlock => Err(fail("EAGAIN", "recv: would block")),
            Err(e) => Err(io_fail(e, "recv MSG_WAITALL")),
        };
    }
    let saved = sref
        .read_timeout()
        .map_err(|e| io_fail(e, "read_timeout"))?;
    sref.set_read_timeout(Some(duration(timeout)))
        .map_err(|e| io_fail(e, "set_read_timeout"))?;
    let result = blocking_call(kind, "recv MSG_WAITALL", || {
        sref.recv_with_flags(crate::sockets::as_uninit(buffer), flags)
    });
    sref.set_read_timeout(saved)
        .map_err(|e| io_fail(e, "set_read_timeout"))?;
    match result {
        Err(e) if e.code == "EAGAIN" => Err(fail(
            "ETIMEDOUT",
            format!("recv MSG_WAITALL: timed out after {timeout} s"),
        )),
        other => other,
    }
}
