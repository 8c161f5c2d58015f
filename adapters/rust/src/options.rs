//! Socket options (`opt.set`, `opt.get`, and `options` at creation): std's own accessors
//! where the std type has a stable one, socket2's `SockRef` on the same socket otherwise.

use crate::adapter::Adapter;
use crate::args::{Args, Family};
use crate::errors::{bad, io_fail, supply, unsupported, R};
use crate::sockets::{Entry, Kind};
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

/// The C `int` the option carries, passed through bit for bit as the unsigned argument
/// std/socket2 take (they cast it back to `c_int`).
fn c_int_value(name: &str, value: &Value) -> R<u32> {
    let n = int_value(name, value)?;
    i32::try_from(n)
        .map(|n| n as u32)
        .map_err(|_| supply("EINVAL", format!("option '{name}': {n} is out of range")))
}

pub(crate) fn set_option(entry: &Entry, name: &str, value: &Value) -> R<()> {
    if crate::options15::NAMES.contains(&name) {
        return crate::options15::set(entry, name, value);
    }
    if crate::multicast::NAMES.contains(&name) {
        return crate::multicast::set(entry, name, value);
    }
    let kind = &entry.kind;
    let context = format!("setsockopt {name}");
    let result = match name {
        "reuseaddr" => kind.sref().set_reuse_address(bool_value(name, value)?),
        "reuseport" => kind.sref().set_reuse_port(bool_value(name, value)?),
        "keepalive" => kind.sref().set_keepalive(bool_value(name, value)?),
        "v6only" => kind.sref().set_only_v6(bool_value(name, value)?),
        // SO_PASSCRED: std has no accessor; socket2's (declared as unix.credentials).
        "passcred" => kind.sref().set_passcred(bool_value(name, value)?),
        "nodelay" => {
            let on = bool_value(name, value)?;
            match kind {
                Kind::Stream(s) => s.set_nodelay(on),
                other => other.sref().set_tcp_nodelay(on),
            }
        }
        "broadcast" => {
            let on = bool_value(name, value)?;
            match kind {
                Kind::Udp(s) => s.set_broadcast(on),
                other => other.sref().set_broadcast(on),
            }
        }
        "rcvbuf" => kind
            .sref()
            .set_recv_buffer_size(c_int_value(name, value)? as usize),
        "sndbuf" => kind
            .sref()
            .set_send_buffer_size(c_int_value(name, value)? as usize),
        "ttl" => {
            let ttl = c_int_value(name, value)?;
            match (entry.family, kind) {
                // std's set_ttl is IP_TTL whatever the family: the IPv6 hop limit is socket2's.
                (Family::V6, other) => other.sref().set_unicast_hops_v6(ttl),
                (Family::V4, Kind::Stream(s)) => s.set_ttl(ttl),
                (Family::V4, Kind::Listener(s)) => s.set_ttl(ttl),
                (Family::V4, Kind::Udp(s)) => s.set_ttl(ttl),
                (Family::V4 | Family::Unix, other) => other.sref().set_ttl_v4(ttl),
            }
        }
        "linger" => {
            let linger = match value {
                Value::Null => None,
                _ => {
                    let seconds = int_value(name, value)
                        .map_err(|_| bad("option 'linger' takes null or integer seconds"))?;
                    if seconds < 0 {
                        return Err(supply(
                            "EINVAL",
                            "linger: negative seconds cannot be expressed as a Duration",
                        ));
                    }
                    Some(Duration::from_secs(seconds as u64))
                }
            };
            kind.sref().set_linger(linger)
        }
        _ => return Err(unsupported(format!("unknown option '{name}'"))),
    };
    result.map_err(|e| io_fail(e, &context))
}

fn get_option(entry: &Entry, name: &str) -> R<Value> {
    if crate::options15::NAMES.contains(&name) {
        return crate::options15::get(entry, name);
    }
    if crate::multicast::NAMES.contains(&name) {
        return crate::multicast::get(entry, name);
    }
    let kind = &entry.kind;
    let context = format!("getsockopt {name}");
    let wrap = |e: io::Error| io_fail(e, &context);
    Ok(match name {
        "reuseaddr" => json!(kind.sref().reuse_address().map_err(wrap)?),
        "reuseport" => json!(kind.sref().reuse_port().map_err(wrap)?),
        "keepalive" => json!(kind.sref().keepalive().map_err(wrap)?),
        "v6only" => json!(kind.sref().only_v6().map_err(wrap)?),
        "passcred" => json!(kind.sref().passcred().map_err(wrap)?),
        "nodelay" => json!(match kind {
            Kind::Stream(s) => s.nodelay(),
            other => other.sref().tcp_nodelay(),
        }
        .map_err(wrap)?),
        "broadcast" => json!(match kind {
            Kind::Udp(s) => s.broadcast(),
            other => other.sref().broadcast(),
        }
        .map_err(wrap)?),
        "rcvbuf" => json!(kind.sref().recv_buffer_size().map_err(wrap)? as i32),
        "sndbuf" => json!(kind.sref().send_buffer_size().map_err(wrap)? as i32),
        "ttl" => json!(match (entry.family, kind) {
            (Family::V6, other) => other.sref().unicast_hops_v6(),
            (Family::V4, Kind::Stream(s)) => s.ttl(),
            (Family::V4, Kind::Listener(s)) => s.ttl(),
            (Family::V4, Kind::Udp(s)) => s.ttl(),
            (Family::V4 | Family::Unix, other) => other.sref().ttl_v4(),
        }
        .map_err(wrap)? as i32),
        "linger" => match kind.sref().linger().map_err(wrap)? {
            None => Value::Null,
            Some(d) => json!(d.as_secs()),
        },
        _ => return Err(unsupported(format!("unknown option '{name}'"))),
    })
}

impl Adapter {
    pub(crate) fn op_opt_set(&mut self, args: &Args) -> R<Value> {
        let entry = self.entry(args)?;
        let name = args.string("name")?;
        // `value` may be null (linger off), so it is read as given, not through Args::given.
        let value = args
            .0
            .get("value")
            .ok_or_else(|| bad("missing argument 'value'"))?;
        set_option(entry, name, value)?;
        Ok(json!({}))
    }

    pub(crate) fn op_opt_get(&mut self, args: &Args) -> R<Value> {
        let entry = self.entry(args)?;
        let name = args.string("name")?;
        Ok(json!({"value": get_option(entry, name)?}))
    }
}
