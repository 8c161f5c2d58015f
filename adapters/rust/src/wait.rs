//! Waiting without sleeps: every socket is non-blocking, so an operation is tried first and,
//! if it would block, waited for with poll(2) until the request's deadline.

use crate::args::duration;
use crate::errors::{fail, io_fail, R};
use std::io::{self, ErrorKind};
use std::os::fd::RawFd;
use std::time::Instant;

/// Attempts `operation` at once; if it would block, waits with poll(2) for `events` and tries
/// again, up to `timeout` in all (0: do not wait, EAGAIN).
pub(crate) fn waiting<T>(
    fd: RawFd,
    events: libc::c_short,
    timeout: f64,
    context: &str,
    mut operation: impl FnMut() -> io::Result<T>,
) -> R<T> {
    let deadline = Instant::now() + duration(timeout);
    loop {
        match operation() {
            Ok(value) => return Ok(value),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if timeout == 0.0 {
                    return Err(fail("EAGAIN", format!("{context}: would block")));
                }
            }
            Err(e) => return Err(io_fail(e, context)),
        }
        wait_ready(fd, events, deadline, timeout, context)?;
    }
}

/// Polls `fd` for `events` until it is ready, or ETIMEDOUT at `deadline` (`timeout` is only
/// for the message); EINTR restarts the poll.
pub(crate) fn wait_ready(
    fd: RawFd,
    events: libc::c_short,
    deadline: Instant,
    timeout: f64,
    context: &str,
) -> R<()> {
    loop {
        let now = Instant::now();
        if now >= deadline {
            return Err(fail(
                "ETIMEDOUT",
                format!("{context}: timed out after {timeout} s"),
            ));
        }
        let left = deadline - now;
        let ms = left.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as libc::c_int;
        let mut pollfd = libc::pollfd {
            fd,
            events,
            revents: 0,
        };
        // SAFETY: one valid pollfd for the duration of the call.
        let ready = unsafe { libc::poll(&mut pollfd, 1, ms) };
        if ready > 0 {
            return Ok(());
        }
        if ready < 0 {
            let e = io::Error::last_os_error();
            if e.kind() != ErrorKind::Interrupted {
                return Err(io_fail(e, "poll"));
            }
        }
    }
}
