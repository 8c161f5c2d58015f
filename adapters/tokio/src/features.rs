//! The features `hello` declares: what tokio::net can do (README, "Features"), with the IPv6
//! ones only when this host can bind `[::1]`.

pub(crate) fn features() -> Vec<String> {
    let ipv6 = std::net::UdpSocket::bind("[::1]:0").is_ok();
    let mut features: Vec<&str> = vec![
        "tcp",
        "udp",
        "udp.connect",
        "ipv4",
        "tcp.socket",       // tokio::net::TcpSocket
        "tcp.bind-connect", // TcpSocket::bind, then TcpSocket::connect
        // AsyncWriteExt::shutdown is shutdown(SHUT_WR); tokio has no read-side shutdown
        // (no stream.shutdown.read, so no stream.shutdown either)
        "stream.shutdown.write",
        "stream.abort", // TcpStream::set_zero_linger, then drop
        "nonblocking",
        "serve.tcp",
        "serve.udp",
        "serve.unix",     // UnixListener::bind, the same accept loop and echo task
        "serve.unixgram", // UnixDatagram::bind, the same recv_from / send_to loop
        // Unix-domain sockets (1.4): tokio has stream and datagram sockets, abstract names
        // (a leading NUL), autobind (an empty path), pairs and UnixStream::peer_cred; no
        // seqpacket sockets and no ancillary data (SCM_RIGHTS, SCM_CREDENTIALS).
        "unix.stream",
        "unix.dgram",
        "unix.abstract",
        "unix.autobind",
        "unix.socketpair",
        "unix.peercred",
        "opt.reuseaddr",
        "opt.reuseport",
        "opt.nodelay",
        "opt.keepalive",
        "opt.linger",
        "opt.rcvbuf",
        "opt.sndbuf",
        "opt.broadcast",
        "opt.ttl",
        // 1.5 (README, "Protocol 1.5"): readiness through ready(Interest), TcpStream::peek and
        // UdpSocket::peek_from, the try_* calls for one attempt, UdpSocket::connect again;
        // options through socket2 (tokio's set_tos_v4 and take_error where it has them)
        "wait",
        "wait.rdhangup",
        "udp.reconnect",
        "flag.peek",
        "flag.dontwait",
        "opt.keepidle",
        "opt.keepintvl",
        "opt.keepcnt",
        "opt.user_timeout",
        "opt.cork",
        "opt.tos",
        "opt.oobinline",
        "opt.type",
        "opt.acceptconn",
        "opt.error",
        // 1.7 (README, "Protocol 1.7 and 1.8"): multicast through tokio's UdpSocket, socket2
        // for the IPv6 hop limit and the sending interface; no opt.nonblock, opt.recverr or
        // udp.errqueue
        "multicast",
        "opt.multicast_loop",
        "opt.multicast_ttl",
        "opt.multicast_if",
        "opt.quickack", // socket2's set_tcp_quickack / tcp_quickack
    ];
    if ipv6 {
        features.extend(["ipv6", "ipv4-mapped", "opt.v6only"]);
    }
    features.into_iter().map(String::from).collect()
}
