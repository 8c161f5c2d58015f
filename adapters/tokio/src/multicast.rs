//! Multicast (protocol 1.7, feature `multicast`): `udp.join`, `udp.leave` and the options
//! `multicast_loop`, `multicast_ttl`, `multicast_if`. tokio's `UdpSocket` methods where tokio
//! has them (`join_multicast_v4`/`_v6`, `leave_multicast_v4`/`_v6`,
//! `set_multicast_loop_v4`/`_v6`, `set_multicast_ttl_v4` and their getters); socket2's
//! `SockRef` on the same socket for what tokio lacks (the IPv6 hop limit, the sending
//! interface) and on sockets that are not a tokio `UdpSocket` (the kernel answers there).

use crate::adapter::Adapter;
use crate::args::{Args, Family};
use crate::errors::{bad, fail, io_fail, R};
use crate::sockets::{Entry, Kind};
use serde_json::{json, Map, Value};
use std::net::{Ipv4Addr, Ipv6Addr};

pub(crate) const NAMES: [&str; 3] = ["multicast_loop", "multicast_ttl", "multicast_if"];

/// What tokio and socket2 take of an interface object: IPv4 its address (`ip_mreq`,
/// `IP_MULTICAST_IF` with an `in_addr`), IPv6 its index. Its name is ignored: neither
/// library takes a name. `null` (or absent): INADDR_ANY / index 0, the system chooses.
struct Interface {
    address: Ipv4Addr,
    index: u32,
}

fn interface(value: Option<&Value>, what: &str) -> R<Interface> {
    let mut out = Interface {
        address: Ipv4Addr::UNSPECIFIED,
        index: 0,
    };
    let object: &Map<String, Value> = match value {
        None | Some(Value::Null) => return Ok(out),
        Some(Value::Object(o)) => o,
        Some(_) => return Err(bad(format!("{what} is an interface object or null"))),
    };
    match object.get("index") {
        None | Some(Value::Null) => {}
        Some(v) => {
            let n = v
                .as_i64()
                .ok_or_else(|| bad(format!("{what}: index must be an integer")))?;
            out.index = u32::try_from(n)
                .map_err(|_| bad(format!("{what}: index must be an integer >= 0")))?;
        }
    }
    match object.get("address") {
        None | Some(Value::Null) => {}
        Some(Value::String(text)) => {
            out.address = text.parse().map_err(|_| {
                fail(
                    "EINVAL",
                    format!("{what}: address is not an IPv4 address: '{text}'"),
                )
            })?
        }
        Some(_) => return Err(bad(format!("{what}: address must be a string"))),
    }
    Ok(out)
}

/// The group, a numeric address of the socket's family (else EINVAL, as for every host).
enum Group {
    V4(Ipv4Addr),
    V6(Ipv6Addr),
}

fn group(family: Family, text: &str) -> R<Group> {
    let parsed = match family {
        Family::V4 => text.parse().ok().map(Group::V4),
        Family::V6 => text.parse().ok().map(Group::V6),
        Family::Unix => None,
    };
    parsed.ok_or_else(|| {
        fail(
            "EINVAL",
            format!("not a numeric address of the socket's family: '{text}'"),
        )
    })
}

fn membership(entry: &Entry, args: &Args, join: bool) -> R<()> {
    let group = group(entry.family, args.string("group")?)?;
    let ifc = interface(args.0.get("interface"), "argument 'interface'")?;
    let context = if join { "join" } else { "leave" };
    let result = match (&entry.kind, group, join) {
        // tokio (std's calls underneath): IP_ADD_MEMBERSHIP with an ip_mreq (the interface's
        // address), IPV6_ADD_MEMBERSHIP with the index.
        (Kind::Udp(s), Group::V4(g), true) => s.join_multicast_v4(g, ifc.address),
        (Kind::Udp(s), Group::V4(g), false) => s.leave_multicast_v4(g, ifc.address),
        (Kind::Udp(s), Group::V6(g), true) => s.join_multicast_v6(&g, ifc.index),
        (Kind::Udp(s), Group::V6(g), false) => s.leave_multicast_v6(&g, ifc.index),
        // Not a tokio UdpSocket: socket2's identical calls, so that the kernel answers.
        (other, Group::V4(g), true) => other.sref().join_multicast_v4(&g, &ifc.address),
        (other, Group::V4(g), false) => other.sref().leave_multicast_v4(&g, &ifc.address),
        (other, Group::V6(g), true) => other.sref().join_multicast_v6(&g, ifc.index),
        (other, Group::V6(g), false) => other.sref().leave_multicast_v6(&g, ifc.index),
    };
    result.map_err(|e| io_fail(e, context))
}

impl Adapter {
    pub(crate) fn op_udp_join(&mut self, args: &Args) -> R<Value> {
        membership(self.entry(args)?, args, true)?;
        Ok(json!({}))
    }

    pub(crate) fn op_udp_leave(&mut self, args: &Args) -> R<Value> {
        membership(self.entry(args)?, args, false)?;
        Ok(json!({}))
    }
}

/// Sets a multicast option: `kind` is the tokio object when there is one (its accessor is
/// used if it has one), `sref` the same socket through socket2.
pub(crate) fn set(
    family: Family,
    kind: Option<&Kind>,
    sref: &socket2::Socket,
    name: &str,
    value: &Value,
) -> R<()> {
    let six = family == Family::V6;
    let context = format!("setsockopt {name}");
    let result = match name {
        "multicast_loop" => {
            let on = value
                .as_bool()
                .ok_or_else(|| bad("option 'multicast_loop' takes a bool"))?;
            match (kind, six) {
                (Some(Kind::Udp(s)), false) => s.set_multicast_loop_v4(on),
                (Some(Kind::Udp(s)), true) => s.set_multicast_loop_v6(on),
                (_, false) => sref.set_multicast_loop_v4(on),
                (_, true) => sref.set_multicast_loop_v6(on),
            }
        }
        "multicast_ttl" => {
            let n = value
                .as_i64()
                .ok_or_else(|| bad("option 'multicast_ttl' takes an integer"))?;
            // The C int, passed bit for bit as the u32 tokio/socket2 take (they cast it
            // back): -1 reaches the kernel as -1 ("the default").
            let ttl = i32::try_from(n).map_err(|_| {
                fail(
                    "EINVAL",
                    format!("option 'multicast_ttl': {n} is out of range"),
                )
            })? as u32;
            match (kind, six) {
                (Some(Kind::Udp(s)), false) => s.set_multicast_ttl_v4(ttl),
                (_, false) => sref.set_multicast_ttl_v4(ttl),
                // tokio has no IPv6 hop limit for multicast: socket2's IPV6_MULTICAST_HOPS.
                (_, true) => sref.set_multicast_hops_v6(ttl),
            }
        }
        _ => {
            // multicast_if: tokio has none; socket2 takes IPv4 an address (in_addr), IPv6 an
            // index.
            let ifc = interface(Some(value), "option 'multicast_if'")?;
            if six {
                sref.set_multicast_if_v6(ifc.index)
            } else {
                sref.set_multicast_if_v4(&ifc.address)
            }
        }
    };
    result.map_err(|e| io_fail(e, &context))
}

pub(crate) fn get(family: Family, kind: &Kind, name: &str) -> R<Value> {
    let six = family == Family::V6;
    let sref = kind.sref();
    let context = format!("getsockopt {name}");
    let wrap = |e| io_fail(e, &context);
    Ok(match name {
        "multicast_loop" => json!(match (kind, six) {
            (Kind::Udp(s), false) => s.multicast_loop_v4(),
            (Kind::Udp(s), true) => s.multicast_loop_v6(),
            (_, false) => sref.multicast_loop_v4(),
            (_, true) => sref.multicast_loop_v6(),
        }
        .map_err(wrap)?),
        "multicast_ttl" => json!(match (kind, six) {
            (Kind::Udp(s), false) => s.multicast_ttl_v4(),
            (_, false) => sref.multicast_ttl_v4(),
            (_, true) => sref.multicast_hops_v6(),
        }
        .map_err(wrap)? as i32),
        _ if six => json!(sref.multicast_if_v6().map_err(wrap)?),
        _ => json!(sref.multicast_if_v4().map_err(wrap)?.to_string()),
    })
}
