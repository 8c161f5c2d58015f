//! Socket options (`opt.set`, `opt.get`, and `options` at creation): tokio's own accessors
//! where the tokio type has one, socket2's `SockRef` on the same socket otherwise (README,
//! "Options").

use crate::adapter::Adapter;
use crate::args::{Args, Family, Options};
use crate::errors::{bad, errno_name, io_fail, supply, unsupported, R};
use crate::sockets::Kind;
use serde_json::{json, Value};
use std::io;
use std::time::Duration;

fn bool_value(name: &str, value: &Value) -> R<bool> {
    value
        .as_bool()
        .ok_or_else(|| bad(format!("option '{name}' takes a bool")))
}

fn int_value(name: &str, value: &Value) -> R<i64> {
    value
        .as_i64()
        .ok_or_else(|| bad(format!("option '{name}' takes an integer")))
}

/// The C `int` the option carries, passed bit for bit as the unsigned argument tokio and
/// socket2 take (they cast it back to `c_int`).
fn c_int_value(name: &str, value: &Value) -> R<u32> {
    let n = int_value(name, value)?;
    i32::try_from(n)
        .map(|n| n as u32)
        .map_err(|_| supply("EINVAL", format!("option '{name}': {n} is out of range")))
}

fn linger_value(value: &Value) -> R<Option<Duration>> {
    match value {
        Value::Null => Ok(None),
        _ => {
            let seconds = int_value("linger", value)
                .map_err(|_| bad("option 'linger' takes null or integer seconds"))?;
            if seconds < 0 {
                return Err(supply(
                    "EINVAL",
                    "linger: negative seconds cannot be expressed as a Duration",
                ));
            }
            Ok(Some(Duration::from_secs(seconds as u64)))
        }
    }
}

/// Sets `name` on a socket: `kind` is the tokio object when there is one (its accessor is
/// used if it has one), `sref` the same socket through socket2.
pub(crate) fn set_on(
    family: Family,
    kind: Option<&Kind>,
    sref: &socket2::Socket,
    name: &str,
    value: &Value,
) -> R<()> {
    if crate::multicast::NAMES.contains(&name) {
        return crate::multicast::set(family, kind, sref, name, value);
    }
    let context = format!("setsockopt {name}");
    let result: io::Result<()> = match name {
        "reuseaddr" => {
            let on = bool_value(name, value)?;
            match kind {
                Some(Kind::TcpSocket(s)) => s.set_reuseaddr(on),
                _ => sref.set_reuse_address(on),
            }
        }
        "reuseport" => {
            let on = bool_value(name, value)?;
            match kind {
                Some(Kind::TcpSocket(s)) => s.set_reuseport(on),
                _ => sref.set_reuse_port(on),
            }
        }
        "keepalive" => {
            let on = bool_value(name, value)?;
            match kind {
                Some(Kind::TcpSocket(s)) => s.set_keepalive(on),
                _ => sref.set_keepalive(on),
            }
        }
        "v6only" => sref.set_only_v6(bool_value(name, value)?),
        "nodelay" => {
            let on = bool_value(name, value)?;
            match kind {
                Some(Kind::TcpSocket(s)) => s.set_nodelay(on),
                Some(Kind::Stream(s)) => s.set_nodelay(on),
                _ => sref.set_tcp_nodelay(on),
            }
        }
        "broadcast" => {
            let on = bool_value(name, value)?;
            match kind {
                Some(Kind::Udp(s)) => s.set_broadcast(on),
                _ => sref.set_broadcast(on),
            }
        }
        "rcvbuf" => {
            let size = c_int_value(name, value)?;
            match kind {
                Some(Kind::TcpSocket(s)) => s.set_recv_buffer_size(size),
                _ => sref.set_recv_buffer_size(size as usize),
            }
        }
        "sndbuf" => {
            let size = c_int_value(name, value)?;
            match kind {
                Some(Kind::TcpSocket(s)) => s.set_send_buffer_size(size),
                _ => sref.set_send_buffer_size(size as usize),
            }
        }
        "ttl" => {
            let ttl = c_int_value(name, value)?;
            match (family, kind) {
                // tokio's set_ttl is IP_TTL whatever the family (std/mio underneath): the
                // protocol's IPv6 hop limit is socket2's IPV6_UNICAST_HOPS.
                (Family::V6, _) => sref.set_unicast_hops_v6(ttl),
                (_, Some(Kind::Stream(s))) => s.set_ttl(ttl),
                (_, Some(Kind::Listener(s))) => s.set_ttl(ttl),
                (_, Some(Kind::Udp(s))) => s.set_ttl(ttl),
                _ => sref.set_ttl_v4(ttl),
            }
        }
        "linger" => {
            let linger = linger_value(value)?;
            // tokio's set_linger is deprecated ("SO_LINGER causes the socket to block the
            // thread on drop") but kept; it is what its users call.
            #[allow(deprecated)]
            match kind {
                Some(Kind::TcpSocket(s)) => s.set_linger(linger),
                Some(Kind::Stream(s)) => s.set_linger(linger),
                _ => sref.set_linger(linger),
            }
        }
        // -- 1.5: socket2 (tokio has no accessor), except tos and take_error ---------------
        "keepidle" | "keepintvl" | "keepcnt" => {
            let n = c_int_value(name, value)?;
            // socket2's only way: set_tcp_keepalive, which also turns SO_KEEPALIVE on
            let params = socket2::TcpKeepalive::new();
            let params = match name {
                "keepidle" => params.with_time(Duration::from_secs(n as u64)),
                "keepintvl" => params.with_interval(Duration::from_secs(n as u64)),
                _ => params.with_retries(n),
            };
            sref.set_tcp_keepalive(&params)
        }
        "user_timeout" => {
            let ms = c_int_value(name, value)?;
            sref.set_tcp_user_timeout(match ms {
                0 => None,
                ms => Some(Duration::from_millis(ms as u64)),
            })
        }
        "cork" => sref.set_tcp_cork(bool_value(name, value)?),
        // 1.7: TCP_QUICKACK, socket2's (tokio has none)
        "quickack" => sref.set_tcp_quickack(bool_value(name, value)?),
        "tos" => {
            let tos = c_int_value(name, value)?;
            match (family, kind) {
                (Family::V6, _) => sref.set_tclass_v6(tos),
                (_, Some(Kind::TcpSocket(s))) => s.set_tos_v4(tos),
                (_, Some(Kind::Udp(s))) => s.set_tos_v4(tos),
                _ => sref.set_tos_v4(tos),
            }
        }
        "oobinline" => sref.set_out_of_band_inline(bool_value(name, value)?),
        "type" | "acceptconn" | "error" => {
            return Err(supply(
                "ENOPROTOOPT",
                format!("{name} is read-only: tokio and socket2 have no setter for it"),
            ))
        }
        _ => return Err(unsupported(format!("unknown option '{name}'"))),
    };
    result.map_err(|e| io_fail(e, &context))
}

/// Applies a creating operation's `options`, in any order (§7).
pub(crate) fn apply(
    family: Family,
    kind: Option<&Kind>,
    sref: &socket2::Socket,
    options: &Options,
) -> R<()> {
    for (name, value) in options {
        set_on(family, kind, sref, name, value)?;
    }
    Ok(())
}

fn get_option(family: Family, kind: &Kind, name: &str) -> R<Value> {
    if crate::multicast::NAMES.contains(&name) {
        return crate::multicast::get(family, kind, name);
    }
    let context = format!("getsockopt {name}");
    let wrap = |e: io::Error| io_fail(e, &context);
    let sref = kind.sref();
    Ok(match name {
        "reuseaddr" => json!(match kind {
            Kind::TcpSocket(s) => s.reuseaddr(),
            _ => sref.reuse_address(),
        }
        .map_err(wrap)?),
        "reuseport" => json!(match kind {
            Kind::TcpSocket(s) => s.reuseport(),
            _ => sref.reuse_port(),
        }
        .map_err(wrap)?),
        "keepalive" => json!(match kind {
            Kind::TcpSocket(s) => s.keepalive(),
            _ => sref.keepalive(),
        }
        .map_err(wrap)?),
        "v6only" => json!(sref.only_v6().map_err(wrap)?),
        "nodelay" => json!(match kind {
            Kind::TcpSocket(s) => s.nodelay(),
            Kind::Stream(s) => s.nodelay(),
            _ => sref.tcp_nodelay(),
        }
        .map_err(wrap)?),
        "broadcast" => json!(match kind {
            Kind::Udp(s) => s.broadcast(),
            _ => sref.broadcast(),
        }
        .map_err(wrap)?),
        "rcvbuf" => json!(match kind {
            Kind::TcpSocket(s) => s.recv_buffer_size(),
            _ => sref.recv_buffer_size().map(|n| n as u32),
        }
        .map_err(wrap)? as i32),
        "sndbuf" => json!(match kind {
            Kind::TcpSocket(s) => s.send_buffer_size(),
            _ => sref.send_buffer_size().map(|n| n as u32),
        }
        .map_err(wrap)? as i32),
        "ttl" => json!(match (family, kind) {
            (Family::V6, _) => sref.unicast_hops_v6(),
            (_, Kind::Stream(s)) => s.ttl(),
            (_, Kind::Listener(s)) => s.ttl(),
            (_, Kind::Udp(s)) => s.ttl(),
            _ => sref.ttl_v4(),
        }
        .map_err(wrap)? as i32),
        "linger" => match match kind {
            Kind::TcpSocket(s) => s.linger(),
            Kind::Stream(s) => s.linger(),
            _ => sref.linger(),
        }
        .map_err(wrap)?
        {
            None => Value::Null,
            Some(d) => json!(d.as_secs()),
        },
        // -- 1.5 ----------------------------------------------------------------------------
        "keepidle" => json!(sref.tcp_keepalive_time().map_err(wrap)?.as_secs()),
        "keepintvl" => json!(sref.tcp_keepalive_interval().map_err(wrap)?.as_secs()),
        "keepcnt" => json!(sref.tcp_keepalive_retries().map_err(wrap)?),
        "user_timeout" => json!(sref
            .tcp_user_timeout()
            .map_err(wrap)?
            .map_or(0, |d| d.as_millis() as u64)),
        "cork" => json!(sref.tcp_cork().map_err(wrap)?),
        "quickack" => json!(sref.tcp_quickack().map_err(wrap)?),
        "tos" => json!(match (family, kind) {
            (Family::V6, _) => sref.tclass_v6(),
            (_, Kind::TcpSocket(s)) => s.tos_v4(),
            (_, Kind::Udp(s)) => s.tos_v4(),
            _ => sref.tos_v4(),
        }
        .map_err(wrap)?),
        "oobinline" => json!(sref.out_of_band_inline().map_err(wrap)?),
        "type" => {
            let t = sref.r#type().map_err(wrap)?;
            json!(if t == socket2::Type::STREAM {
                "stream"
            } else if t == socket2::Type::DGRAM {
                "dgram"
            } else if t == socket2::Type::SEQPACKET {
                "seqpacket"
            } else if t == socket2::Type::RAW {
                "raw"
            } else {
                "other"
            })
        }
        "acceptconn" => json!(sref.is_listener().map_err(wrap)?),
        "error" => {
            // tokio's take_error where its type has one (SO_ERROR, cleared by reading)
            let pending = match kind {
                Kind::Stream(s) => s.take_error(),
                Kind::TcpSocket(s) => s.take_error(),
                Kind::Udp(s) => s.take_error(),
                Kind::UnixStream(s) => s.take_error(),
                Kind::UnixDatagram(s) => s.take_error(),
                Kind::UnixListener(s) => s.take_error(),
                _ => sref.take_error(),
            }
            .map_err(wrap)?;
            match pending {
                None => Value::Null,
                Some(e) => match e.raw_os_error() {
                    Some(code) => json!(errno_name(code)),
                    None => json!("EIO"),
                },
            }
        }
        _ => return Err(unsupported(format!("unknown option '{name}'"))),
    })
}

impl Adapter {
    pub(crate) fn op_opt_set(&mut self, args: &Args) -> R<Value> {
        let entry = self.entry(args)?;
        let name = args.string("name")?;
        // `value` may be null (linger off), so it is read as given.
        let value = args
            .0
            .get("value")
            .ok_or_else(|| bad("missing argument 'value'"))?;
        set_on(
            entry.family,
            Some(&entry.kind),
            &entry.kind.sref(),
            name,
            value,
        )?;
        Ok(json!({}))
    }

    pub(crate) fn op_opt_get(&mut self, args: &Args) -> R<Value> {
        let entry = self.entry(args)?;
        let name = args.string("name")?;
        Ok(json!({"value": get_option(entry.family, &entry.kind, name)?}))
    }
}
