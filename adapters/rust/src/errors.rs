//! Errors as the protocol reports them: a code (a POSIX errno name, or BADREQUEST /
//! UNSUPPORTED) and a message.

use std::io::{self, ErrorKind};

pub(crate) struct OpError {
    pub(crate) code: String,
    pub(crate) message: String,
    /// The adapter chose the name: std/socket2 reported no errno (protocol 1.3, §2.2).
    pub(crate) supplied: bool,
}

pub(crate) type R<T> = Result<T, OpError>;

pub(crate) fn fail(code: &str, message: impl Into<String>) -> OpError {
    OpError {
        code: code.to_string(),
        message: message.into(),
        supplied: false,
    }
}

/// An errno name the adapter chose itself, answered with `"supplied": true`.
pub(crate) fn supply(code: &str, message: impl Into<String>) -> OpError {
    OpError {
        supplied: true,
        ..fail(code, message)
    }
}

pub(crate) fn bad(message: impl Into<String>) -> OpError {
    fail("BADREQUEST", message)
}

pub(crate) fn unsupported(message: impl Into<String>) -> OpError {
    fail("UNSUPPORTED", message)
}

/// The errno name behind an `io::Error` (its `raw_os_error`). Errors that std or socket2
/// make up themselves carry no errno: they are named after their `ErrorKind` (see README).
pub(crate) fn io_fail(error: io::Error, context: &str) -> OpError {
    if let Some(code) = error.raw_os_error() {
        return fail(&errno_name(code), format!("{context}: {error}"));
    }
    let code = match error.kind() {
        ErrorKind::TimedOut => "ETIMEDOUT",
        ErrorKind::WouldBlock => "EAGAIN",
        ErrorKind::InvalidInput | ErrorKind::InvalidData => "EINVAL",
        ErrorKind::ConnectionRefused => "ECONNREFUSED",
        ErrorKind::ConnectionReset => "ECONNRESET",
        ErrorKind::ConnectionAborted => "ECONNABORTED",
        ErrorKind::NotConnected => "ENOTCONN",
        ErrorKind::AddrInUse => "EADDRINUSE",
        ErrorKind::AddrNotAvailable => "EADDRNOTAVAIL",
        ErrorKind::BrokenPipe => "EPIPE",
        ErrorKind::PermissionDenied => "EACCES",
        ErrorKind::Unsupported => "EOPNOTSUPP",
        ErrorKind::OutOfMemory => "ENOMEM",
        _ => "EIO",
    };
    supply(
        code,
        format!(
            "{context}: {error} (no errno; named after io::ErrorKind::{:?})",
            error.kind()
        ),
    )
}

pub(crate) fn errno_text(code: i32) -> String {
    errno_name(code)
}

fn errno_name(code: i32) -> String {
    // EAGAIN (not EWOULDBLOCK) and EOPNOTSUPP (not ENOTSUP) are the protocol's names; on
    // Linux each pair shares one value, so the first arm wins.
    let name = match code {
        libc::EAGAIN => "EAGAIN",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::EINTR => "EINTR",
        libc::EIO => "EIO",
        libc::EBADF => "EBADF",
        libc::ENOMEM => "ENOMEM",
        libc::EACCES => "EACCES",
        libc::EFAULT => "EFAULT",
        libc::EBUSY => "EBUSY",
        libc::EEXIST => "EEXIST",
        libc::ENODEV => "ENODEV",
        libc::EINVAL => "EINVAL",
        libc::ENFILE => "ENFILE",
        libc::EMFILE => "EMFILE",
        libc::ENOSPC => "ENOSPC",
        libc::EPIPE => "EPIPE",
        libc::ERANGE => "ERANGE",
        libc::ENOSYS => "ENOSYS",
        libc::ENOTSOCK => "ENOTSOCK",
        libc::EDESTADDRREQ => "EDESTADDRREQ",
        libc::EMSGSIZE => "EMSGSIZE",
        libc::EPROTOTYPE => "EPROTOTYPE",
        libc::ENOPROTOOPT => "ENOPROTOOPT",
        libc::EPROTONOSUPPORT => "EPROTONOSUPPORT",
        libc::ESOCKTNOSUPPORT => "ESOCKTNOSUPPORT",
        libc::EPFNOSUPPORT => "EPFNOSUPPORT",
        libc::EAFNOSUPPORT => "EAFNOSUPPORT",
        libc::EADDRINUSE => "EADDRINUSE",
        libc::EADDRNOTAVAIL => "EADDRNOTAVAIL",
        libc::ENETDOWN => "ENETDOWN",
        libc::ENETUNREACH => "ENETUNREACH",
        libc::ENETRESET => "ENETRESET",
        libc::ECONNABORTED => "ECONNABORTED",
        libc::ECONNRESET => "ECONNRESET",
        libc::ENOBUFS => "ENOBUFS",
        libc::EISCONN => "EISCONN",
        libc::ENOTCONN => "ENOTCONN",
        libc::ESHUTDOWN => "ESHUTDOWN",
        libc::ETIMEDOUT => "ETIMEDOUT",
        libc::ECONNREFUSED => "ECONNREFUSED",
        libc::EHOSTDOWN => "EHOSTDOWN",
        libc::EHOSTUNREACH => "EHOSTUNREACH",
        libc::EALREADY => "EALREADY",
        libc::EINPROGRESS => "EINPROGRESS",
        libc::EPROTO => "EPROTO",
        _ => return format!("ERRNO{code}"),
    };
    name.to_string()
}
