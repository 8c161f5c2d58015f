//! Decoding a request's `args`: required and optional fields with the protocol's types and
//! defaults, base64 data, families, numeric addresses and timeouts.

use crate::errors::{bad, fail, R};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::{Map, Value};
use socket2::Domain;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

const DEFAULT_TIMEOUT: f64 = 5.0;

/// `options` in the order the request gives them (serde_json's `preserve_order`).
pub(crate) type Options<'a> = Vec<(&'a String, &'a Value)>;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    V4,
    V6,
    /// a Unix-domain socket (no `family` argument)
    Unix,
}

pub(crate) struct Args<'a>(pub(crate) &'a Map<String, Value>);

impl<'a> Args<'a> {
    /// A field that is absent or null counts as not given.
    fn given(&self, name: &str) -> Option<&'a Value> {
        match self.0.get(name) {
            None | Some(Value::Null) => None,
            Some(value) => Some(value),
        }
    }

    pub(crate) fn int_or(&self, name: &str, default: Option<i64>) -> R<i64> {
        match self.given(name) {
            None => default.ok_or_else(|| bad(format!("missing argument '{name}'"))),
            Some(value) => value
                .as_i64()
                .ok_or_else(|| bad(format!("argument '{name}' must be an integer"))),
        }
    }

    pub(crate) fn int(&self, name: &str) -> R<i64> {
        self.int_or(name, None)
    }

    pub(crate) fn string(&self, name: &str) -> R<&'a str> {
        match self.given(name) {
            None => Err(bad(format!("missing argument '{name}'"))),
            Some(value) => value
                .as_str()
                .ok_or_else(|| bad(format!("argument '{name}' must be a string"))),
        }
    }

    pub(crate) fn optional_string(&self, name: &str) -> R<Option<&'a str>> {
        match self.given(name) {
            None => Ok(None),
            Some(value) => value
                .as_str()
                .map(Some)
                .ok_or_else(|| bad(format!("argument '{name}' must be a string"))),
        }
    }

    pub(crate) fn object(&self, name: &str) -> R<Option<&'a Map<String, Value>>> {
        match self.given(name) {
            None => Ok(None),
            Some(value) => value
                .as_object()
                .map(Some)
                .ok_or_else(|| bad(format!("argument '{name}' must be an object"))),
        }
    }

    pub(crate) fn timeout(&self) -> R<f64> {
        match self.given("timeout") {
            None => Ok(DEFAULT_TIMEOUT),
            Some(value) => match value.as_f64() {
                Some(t) if value.is_number() && t >= 0.0 => Ok(t),
                _ => Err(bad("timeout must be a number >= 0")),
            },
        }
    }

    pub(crate) fn handle(&self) -> R<i64> {
        self.int("handle")
    }

    pub(crate) fn data(&self) -> R<Vec<u8>> {
        let text = self.string("data")?;
        BASE64
            .decode(text)
            .map_err(|e| bad(format!("invalid base64 data: {e}")))
    }

    pub(crate) fn family(&self) -> R<Family> {
        match self.string("family")? {
            "ipv4" => Ok(Family::V4),
            "ipv6" => Ok(Family::V6),
            other => Err(bad(format!("unknown family '{other}'"))),
        }
    }

    pub(crate) fn options(&self) -> R<Options<'a>> {
        Ok(self
            .object("options")?
            .map(|m| m.iter().collect())
            .unwrap_or_default())
    }
}

/// Numeric hosts only, checked against the family: an adapter never resolves names.
pub(crate) fn socket_addr(family: Family, host: &str, port: i64) -> R<SocketAddr> {
    if !(0..=65535).contains(&port) {
        return Err(fail("EINVAL", format!("port out of range: {port}")));
    }
    let ip = match family {
        Family::V4 => host.parse::<Ipv4Addr>().map(IpAddr::V4).ok(),
        Family::V6 => host.parse::<Ipv6Addr>().map(IpAddr::V6).ok(),
        Family::Unix => None,
    };
    let ip = ip.ok_or_else(|| {
        fail(
            "EINVAL",
            format!("not a numeric address for this family: '{host}'"),
        )
    })?;
    Ok(SocketAddr::new(ip, port as u16))
}

/// Seconds as a `Duration`, capped at 10^9 s so a deadline `now + duration` cannot overflow.
pub(crate) fn duration(seconds: f64) -> Duration {
    Duration::try_from_secs_f64(seconds.min(1e9)).unwrap_or(Duration::from_secs(1_000_000_000))
}

/// socket2's name for the family, for sockets std cannot create.
pub(crate) fn domain(family: Family) -> Domain {
    match family {
        Family::V4 => Domain::IPV4,
        Family::V6 => Domain::IPV6,
        Family::Unix => Domain::UNIX,
    }
}
