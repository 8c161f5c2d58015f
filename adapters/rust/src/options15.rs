//! The options protocol 1.5 adds (docs/protocol.md §7): std's accessors where it has them
//! (`set_read_timeout`, `set_write_timeout`, `take_error` on TcpStream, TcpListener and
//! UdpSocket), socket2's `SockRef` otherwise (keep-alive tuning, user timeout, cork,
//! TOS / traffic class, OOB inline, SO_TYPE, SO_ACCEPTCONN).

use crate::args::Family;
use crate::errors::{bad, errno_text, io_fail, supply, OpError, R};
use crate::sockets::{Entry, Kind};
use serde_json::{json, Value};
use socket2::{TcpKeepalive, Type};
use std::io;
use std::time::Duration;

pub(crate) const NAMES: [&str; 13] = [
    "rcvtimeo",
    "sndtimeo",
    "keepidle",
    "keepintvl",
    "keepcnt",
    "user_timeout",
    "cork",
    "tos",
    "oobinline",
    "type",
    "acceptconn",
    "error",
    "quickack", // 1.7: TCP_QUICKACK, socket2's (std has none)
];

fn seconds(name: &str, value: &Value) -> R<Option<Duration>> {
    match value.as_f64() {
        Some(s) if value.is_number() && s >= 0.0 => {
            // 0 means no timeout: std refuses Some(Duration::ZERO), None is how it says so.
            Ok(if s == 0.0 {
                None
            } else {
                Some(Duration::from_secs_f64(s))
            })
        }
        _ => Err(bad(format!("option '{name}' takes seconds, a number >= 0"))),
    }
}

fn as_bool(name: &str, value: &Value) -> R<bool> {
    value
        .as_bool()
        .ok_or_else(|| bad(format!("option '{name}' takes a bool")))
}

fn as_u32(name: &str, value: &Value) -> R<u32> {
    let n = value
        .as_i64()
        .ok_or_else(|| bad(format!("option '{name}' takes an integer")))?;
    u32::try_from(n).map_err(|_| {
        supply(
            "EINVAL",
            format!("option '{name}': {n} cannot be given to socket2 (it takes an unsigned value)"),
        )
    })
}

fn timeout_secs(d: Option<Duration>) -> Value {
    match d {
        None => json!(0),
        Some(d) => json!((d.as_secs_f64() * 1e6).round() / 1e6),
    }
}

pub(crate) fn set(entry: &Entry, name: &str, value: &Value) -> R<()> {
    let kind = &entry.kind;
    let sref = kind.sref();
    let result = match name {
        "rcvtimeo" => {
            let d = seconds(name, value)?;
            match kind {
                Kind::Stream(s) => s.set_read_timeout(d),
                Kind::Udp(s) => s.set_read_timeout(d),
                _ => sref.set_read_timeout(d),
            }
        }
        "sndtimeo" => {
            let d = seconds(name, value)?;
            match kind {
                Kind::Stream(s) => s.set_write_timeout(d),
                Kind::Udp(s) => s.set_write_timeout(d),
                _ => sref.set_write_timeout(d),
            }
        }
        // socket2's set_tcp_keepalive switches SO_KEEPALIVE on as well (documented).
        "keepidle" => {
            let d = Duration::from_secs(as_u32(name, value)? as u64);
            sref.set_tcp_keepalive(&TcpKeepalive::new().with_time(d))
        }
        "keepintvl" => {
            let d = Duration::from_secs(as_u32(name, value)? as u64);
            sref.set_tcp_keepalive(&TcpKeepalive::new().with_interval(d))
        }
        "keepcnt" => {
            sref.set_tcp_keepalive(&TcpKeepalive::new().with_retries(as_u32(name, value)?))
        }
        "user_timeout" => {
            let ms = as_u32(name, value)?;
            sref.set_tcp_user_timeout(if ms == 0 {
                None
            } else {
                Some(Duration::from_millis(ms as u64))
            })
        }
        "cork" => sref.set_tcp_cork(as_bool(name, value)?),
        "quickack" => sref.set_tcp_quickack(as_bool(name, value)?),
        "tos" => {
            let tos = as_u32(name, value)?;
            match entry.family {
                Family::V6 => sref.set_tclass_v6(tos),
                _ => sref.set_tos_v4(tos),
            }
        }
        "oobinline" => sref.set_out_of_band_inline(as_bool(name, value)?),
        "type" | "acceptconn" | "error" => {
            return Err(supply(
                "ENOPROTOOPT",
                format!(
                "setsockopt {name}: neither std nor socket2 has a setter for a read-only option; \
                     the adapter answers what Linux answers"
            ),
            ))
        }
        _ => unreachable!("only NAMES"),
    };
    result.map_err(|e| io_fail(e, &format!("setsockopt {name}")))
}

pub(crate) fn get(entry: &Entry, name: &str) -> R<Value> {
    let kind = &entry.kind;
    let sref = kind.sref();
    let context = format!("getsockopt {name}");
    let wrap = |e: io::Error| -> OpError { io_fail(e, &context) };
    Ok(match name {
        "rcvtimeo" => timeout_secs(
            match kind {
                Kind::Stream(s) => s.read_timeout(),
                Kind::Udp(s) => s.read_timeout(),
                _ => sref.read_timeout(),
            }
            .map_err(wrap)?,
        ),
        "sndtimeo" => timeout_secs(
            match kind {
                Kind::Stream(s) => s.write_timeout(),
                Kind::Udp(s) => s.write_timeout(),
                _ => sref.write_timeout(),
            }
            .map_err(wrap)?,
        ),
        "keepidle" => json!(sref.tcp_keepalive_time().map_err(wrap)?.as_secs()),
        "keepintvl" => json!(sref.tcp_keepalive_interval().map_err(wrap)?.as_secs()),
        "keepcnt" => json!(sref.tcp_keepalive_retries().map_err(wrap)?),
        "user_timeout" => json!(sref
            .tcp_user_timeout()
            .map_err(wrap)?
            .map_or(0, |d| d.as_millis() as u64)),
        "cork" => json!(sref.tcp_cork().map_err(wrap)?),
        "quickack" => json!(sref.tcp_quickack().map_err(wrap)?),
        "tos" => json!(match entry.family {
            Family::V6 => sref.tclass_v6(),
            _ => sref.tos_v4(),
        }
        .map_err(wrap)?),
        "oobinline" => json!(sref.out_of_band_inline().map_err(wrap)?),
        "type" => {
            let t = sref.r#type().map_err(wrap)?;
            json!(if t == Type::STREAM {
                "stream".to_string()
            } else if t == Type::DGRAM {
                "dgram".to_string()
            } else if t == Type::SEQPACKET {
                "seqpacket".to_string()
            } else if t == Type::RAW {
                "raw".to_string()
            } else {
                i32::from(t).to_string()
            })
        }
        "acceptconn" => json!(sref.is_listener().map_err(wrap)?),
        "error" => {
            let pending = match kind {
                Kind::Stream(s) => s.take_error(),
                Kind::Listener(s) => s.take_error(),
                Kind::Udp(s) => s.take_error(),
                _ => sref.take_error(),
            }
            .map_err(wrap)?;
            match pending {
                None => Value::Null,
                Some(e) => match e.raw_os_error() {
                    Some(code) => json!(errno_text(code)),
                    None => return Err(supply("EIO", format!("{context}: {e} (no errno)"))),
                },
            }
        }
        _ => unreachable!("only NAMES"),
    })
}
