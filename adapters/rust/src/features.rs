//! The features `hello` declares: fixed ones, plus what this host allows (IPv6 on `[::1]`,
//! raw and ping ICMP sockets), probed once at start-up.

use crate::args::{domain, Family};
use socket2::{Protocol, Socket, Type};
use std::net::UdpSocket;

pub(crate) fn host_features() -> Vec<String> {
    let ipv6 = UdpSocket::bind("[::1]:0").is_ok();
    let mut features: Vec<&str> = vec![
        "tcp",
        "udp",
        "udp.connect", // (1.2) its own feature; a pre-1.2 `udp` included it
        "ipv4",
        "tcp.socket",
        "tcp.bind-connect",
        "stream.shutdown", // every `how`; the finer 1.2 features below say the same
        "stream.shutdown.write",
        "stream.shutdown.read",
        "stream.abort",
        "nonblocking",
        "serve.tcp",
        "serve.udp",
        "serve.unix",
        "serve.unixgram",
        // Unix-domain sockets (1.4): std::os::unix::net, socket2 for seqpacket, nix for
        // SCM_RIGHTS / SCM_CREDENTIALS / SO_PEERCRED (std's APIs for them are unstable).
        "unix.stream",
        "unix.dgram",
        "unix.seqpacket",
        "unix.abstract",
        "unix.autobind",
        "unix.socketpair",
        "unix.peercred",
        "unix.rights",
        "unix.credentials",
        // 1.5: flags (flags.rs: std's peek and blocking mode, socket2's flags and OOB),
        // connecting a datagram socket again (std's UdpSocket::connect); connecting an existing stream socket (socket2's connect); no wait,
        // tcp.pending or udp.disconnect: see the README.
        "flag.peek",
        "flag.waitall",
        "flag.dontwait",
        "flag.trunc",
        "flag.oob",
        "blocking",
        "udp.reconnect",
        "tcp.connect-handle", // socket2's connect on the existing socket (stream.rs)
        // 1.7: multicast (multicast.rs: std's UdpSocket, socket2 for the IPv6 hop limit and
        // the sending interface); no opt.nonblock, opt.recverr or udp.errqueue: see the README.
        "multicast",
    ];
    if ipv6 {
        features.extend(["ipv6", "ipv4-mapped"]);
    }
    let families: &[Family] = if ipv6 {
        &[Family::V4, Family::V6]
    } else {
        &[Family::V4]
    };
    let can_open = |ty: Type| {
        families.iter().all(|&f| {
            let protocol = if f == Family::V4 {
                Protocol::ICMPV4
            } else {
                Protocol::ICMPV6
            };
            Socket::new(domain(f), ty, Some(protocol)).is_ok()
        })
    };
    if can_open(Type::RAW) {
        features.push("raw"); // needs CAP_NET_RAW
    }
    if can_open(Type::DGRAM) {
        features.push("ping-socket"); // needs net.ipv4.ping_group_range to include us
    }
    for option in [
        "reuseaddr",
        "reuseport",
        "nodelay",
        "keepalive",
        "linger",
        "rcvbuf",
        "sndbuf",
        "broadcast",
        "ttl",
        // 1.5 (options15.rs)
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
        // 1.7 (multicast.rs)
        "multicast_loop",
        "multicast_ttl",
        "multicast_if",
        "quickack", // 1.7, socket2 (options15.rs)
    ] {
        features.push(Box::leak(format!("opt.{option}").into_boxed_str()));
    }
    if ipv6 {
        features.push("opt.v6only");
    }
    features.into_iter().map(String::from).collect()
}
