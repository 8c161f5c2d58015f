//! sockspec adapter for Rust: the wire protocol (docs/protocol.md) over `std::net`.
//!
//! What is under test is `std::net::{TcpListener, TcpStream, UdpSocket}` as Rust programs
//! use them. `socket2` (the ecosystem's socket library, maintained under rust-lang) is used
//! only where std has no way to do something:
//!
//! - creating a socket whose options must be applied before bind/connect (`options`, `bind`),
//!   then handing it over to the std type (`socket2::Socket` -> `std::net::TcpListener`);
//! - an unconnected stream socket (`tcp.socket`): std has no such object;
//! - socket options std has no (stable) accessor for: SO_REUSEADDR, SO_REUSEPORT,
//!   SO_KEEPALIVE, SO_LINGER, SO_RCVBUF, SO_SNDBUF, IPV6_V6ONLY, IPV6_UNICAST_HOPS, and
//!   TCP_NODELAY / SO_BROADCAST on socket kinds whose std type lacks them;
//! - the abortive close (`stream.abort`: SO_LINGER 0, then drop);
//! - raw and ping sockets (`raw.*`): std has none.
//!
//! Every std socket is put in non-blocking mode (`set_nonblocking`); an operation is
//! attempted first and, if it would block, waited for with poll(2) up to the request's
//! timeout. Operations that std's types do not offer at all (send/recv/getpeername on a
//! `TcpListener`, ...) answer UNSUPPORTED: std rules them out at compile time.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::{json, Map, Value};
use socket2::{Domain, Protocol, SockAddr, SockRef, Socket, Type};
use std::collections::HashMap;
use std::io::{self, BufRead, ErrorKind, Read, Write};
use std::mem::MaybeUninit;
use std::net::{
    IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket,
};
use std::os::fd::{AsRawFd, RawFd};
use std::time::{Duration, Instant};

const PROTOCOL_VERSION: &str = "1.1";
const DEFAULT_TIMEOUT: f64 = 5.0;
const MAX_STREAM_READ: usize = 4 << 20; // a stream recv may return fewer than `max` bytes
const MAX_DATAGRAM: usize = 65535;

// ---- errors ------------------------------------------------------------------------------

struct OpError {
    code: String,
    message: String,
}

type R<T> = Result<T, OpError>;

fn fail(code: &str, message: impl Into<String>) -> OpError {
    OpError {
        code: code.to_string(),
        message: message.into(),
    }
}

fn bad(message: impl Into<String>) -> OpError {
    fail("BADREQUEST", message)
}

fn unsupported(message: impl Into<String>) -> OpError {
    fail("UNSUPPORTED", message)
}

/// The errno name behind an `io::Error` (its `raw_os_error`). Errors that std or socket2
/// make up themselves carry no errno: they are named after their `ErrorKind` (see README).
fn io_fail(error: io::Error, context: &str) -> OpError {
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
    fail(
        code,
        format!(
            "{context}: {error} (no errno; named after io::ErrorKind::{:?})",
            error.kind()
        ),
    )
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

// ---- arguments ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    V4,
    V6,
}

struct Args<'a>(&'a Map<String, Value>);

impl<'a> Args<'a> {
    /// A field that is absent or null counts as not given.
    fn given(&self, name: &str) -> Option<&'a Value> {
        match self.0.get(name) {
            None | Some(Value::Null) => None,
            Some(value) => Some(value),
        }
    }

    fn int_or(&self, name: &str, default: Option<i64>) -> R<i64> {
        match self.given(name) {
            None => default.ok_or_else(|| bad(format!("missing argument '{name}'"))),
            Some(value) => value
                .as_i64()
                .ok_or_else(|| bad(format!("argument '{name}' must be an integer"))),
        }
    }

    fn int(&self, name: &str) -> R<i64> {
        self.int_or(name, None)
    }

    fn string(&self, name: &str) -> R<&'a str> {
        match self.given(name) {
            None => Err(bad(format!("missing argument '{name}'"))),
            Some(value) => value
                .as_str()
                .ok_or_else(|| bad(format!("argument '{name}' must be a string"))),
        }
    }

    fn optional_string(&self, name: &str) -> R<Option<&'a str>> {
        match self.given(name) {
            None => Ok(None),
            Some(value) => value
                .as_str()
                .map(Some)
                .ok_or_else(|| bad(format!("argument '{name}' must be a string"))),
        }
    }

    fn object(&self, name: &str) -> R<Option<&'a Map<String, Value>>> {
        match self.given(name) {
            None => Ok(None),
            Some(value) => value
                .as_object()
                .map(Some)
                .ok_or_else(|| bad(format!("argument '{name}' must be an object"))),
        }
    }

    fn timeout(&self) -> R<f64> {
        match self.given("timeout") {
            None => Ok(DEFAULT_TIMEOUT),
            Some(value) => match value.as_f64() {
                Some(t) if value.is_number() && t >= 0.0 => Ok(t),
                _ => Err(bad("timeout must be a number >= 0")),
            },
        }
    }

    fn handle(&self) -> R<i64> {
        self.int("handle")
    }

    fn data(&self) -> R<Vec<u8>> {
        let text = self.string("data")?;
        BASE64
            .decode(text)
            .map_err(|e| bad(format!("invalid base64 data: {e}")))
    }

    fn family(&self) -> R<Family> {
        match self.string("family")? {
            "ipv4" => Ok(Family::V4),
            "ipv6" => Ok(Family::V6),
            other => Err(bad(format!("unknown family '{other}'"))),
        }
    }

    fn options(&self) -> R<Vec<(&'a String, &'a Value)>> {
        Ok(self
            .object("options")?
            .map(|m| m.iter().collect())
            .unwrap_or_default())
    }
}

/// Numeric hosts only, checked against the family: an adapter never resolves names.
fn socket_addr(family: Family, host: &str, port: i64) -> R<SocketAddr> {
    if !(0..=65535).contains(&port) {
        return Err(fail("EINVAL", format!("port out of range: {port}")));
    }
    let ip = match family {
        Family::V4 => host.parse::<Ipv4Addr>().map(IpAddr::V4).ok(),
        Family::V6 => host.parse::<Ipv6Addr>().map(IpAddr::V6).ok(),
    };
    let ip = ip.ok_or_else(|| {
        fail(
            "EINVAL",
            format!("not a numeric address for this family: '{host}'"),
        )
    })?;
    Ok(SocketAddr::new(ip, port as u16))
}

fn address_json(addr: SocketAddr) -> Value {
    // Ipv6Addr's Display prints IPv4-mapped addresses as ::ffff:a.b.c.d, like inet_ntop.
    json!({"host": addr.ip().to_string(), "port": addr.port()})
}

fn sockaddr_json(addr: SockAddr) -> R<Value> {
    addr.as_socket()
        .map(address_json)
        .ok_or_else(|| fail("EAFNOSUPPORT", "not an internet address"))
}

fn duration(seconds: f64) -> Duration {
    Duration::try_from_secs_f64(seconds.min(1e9)).unwrap_or(Duration::from_secs(1_000_000_000))
}

fn domain(family: Family) -> Domain {
    match family {
        Family::V4 => Domain::IPV4,
        Family::V6 => Domain::IPV6,
    }
}

/// socket2's receive calls take possibly-uninitialised buffers; ours is initialised.
fn as_uninit(buf: &mut [u8]) -> &mut [MaybeUninit<u8>] {
    // SAFETY: MaybeUninit<u8> has the layout of u8, and the bytes are initialised already.
    unsafe { &mut *(buf as *mut [u8] as *mut [MaybeUninit<u8>]) }
}

// ---- waiting -----------------------------------------------------------------------------

/// Attempts `operation` at once; if it would block, waits with poll(2) for `events` and tries
/// again, up to `timeout` in all (0: do not wait, EAGAIN).
fn waiting<T>(
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

fn wait_ready(
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

// ---- sockets -----------------------------------------------------------------------------

enum Kind {
    /// `std::net::TcpListener`
    Listener(TcpListener),
    /// `std::net::TcpStream` (connected or accepted)
    Stream(TcpStream),
    /// `tcp.socket`: an unconnected `socket2::Socket` (std has no such object)
    Unconnected(Socket),
    /// `std::net::UdpSocket`
    Udp(UdpSocket),
    /// `raw.open`: a `socket2::Socket` of type SOCK_RAW or SOCK_DGRAM/IPPROTO_ICMP
    Raw(Socket),
}

struct Entry {
    family: Family,
    kind: Kind,
}

impl Kind {
    fn fd(&self) -> RawFd {
        match self {
            Kind::Listener(s) => s.as_raw_fd(),
            Kind::Stream(s) => s.as_raw_fd(),
            Kind::Unconnected(s) | Kind::Raw(s) => s.as_raw_fd(),
            Kind::Udp(s) => s.as_raw_fd(),
        }
    }

    /// socket2's view of the same socket, for what std has no accessor for.
    fn sref(&self) -> SockRef<'_> {
        match self {
            Kind::Listener(s) => SockRef::from(s),
            Kind::Stream(s) => SockRef::from(s),
            Kind::Unconnected(s) | Kind::Raw(s) => SockRef::from(s),
            Kind::Udp(s) => SockRef::from(s),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Kind::Listener(_) => "std::net::TcpListener",
            Kind::Stream(_) => "std::net::TcpStream",
            Kind::Unconnected(_) => "an unconnected socket2::Socket",
            Kind::Udp(_) => "std::net::UdpSocket",
            Kind::Raw(_) => "a raw socket2::Socket",
        }
    }
}

fn not_offered(kind: &Kind, what: &str) -> OpError {
    unsupported(format!("{} has no {what}", kind.name()))
}

// ---- options -----------------------------------------------------------------------------

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
        .map_err(|_| fail("EINVAL", format!("option '{name}': {n} is out of range")))
}

fn set_option(entry: &Entry, name: &str, value: &Value) -> R<()> {
    let kind = &entry.kind;
    let context = format!("setsockopt {name}");
    let result = match name {
        "reuseaddr" => kind.sref().set_reuse_address(bool_value(name, value)?),
        "reuseport" => kind.sref().set_reuse_port(bool_value(name, value)?),
        "keepalive" => kind.sref().set_keepalive(bool_value(name, value)?),
        "v6only" => kind.sref().set_only_v6(bool_value(name, value)?),
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
                (Family::V4, other) => other.sref().set_ttl_v4(ttl),
            }
        }
        "linger" => {
            let linger = match value {
                Value::Null => None,
                _ => {
                    let seconds = int_value(name, value)
                        .map_err(|_| bad("option 'linger' takes null or integer seconds"))?;
                    if seconds < 0 {
                        return Err(fail(
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
    let kind = &entry.kind;
    let context = format!("getsockopt {name}");
    let wrap = |e: io::Error| io_fail(e, &context);
    Ok(match name {
        "reuseaddr" => json!(kind.sref().reuse_address().map_err(wrap)?),
        "reuseport" => json!(kind.sref().reuse_port().map_err(wrap)?),
        "keepalive" => json!(kind.sref().keepalive().map_err(wrap)?),
        "v6only" => json!(kind.sref().only_v6().map_err(wrap)?),
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
            (Family::V4, other) => other.sref().ttl_v4(),
        }
        .map_err(wrap)? as i32),
        "linger" => match kind.sref().linger().map_err(wrap)? {
            None => Value::Null,
            Some(d) => json!(d.as_secs()),
        },
        _ => return Err(unsupported(format!("unknown option '{name}'"))),
    })
}

// ---- the adapter -------------------------------------------------------------------------

struct Adapter {
    sockets: HashMap<i64, Entry>,
    next_handle: i64, // never reused (docs/protocol.md §2.1)
    features: Vec<String>,
}

type Options<'a> = Vec<(&'a String, &'a Value)>;

impl Adapter {
    fn new() -> Adapter {
        Adapter {
            sockets: HashMap::new(),
            next_handle: 1,
            features: host_features(),
        }
    }

    fn register(&mut self, family: Family, kind: Kind) -> i64 {
        let handle = self.next_handle;
        self.next_handle += 1;
        self.sockets.insert(handle, Entry { family, kind });
        handle
    }

    fn entry(&self, args: &Args) -> R<&Entry> {
        let handle = args.handle()?;
        self.sockets
            .get(&handle)
            .ok_or_else(|| fail("EBADF", format!("no open handle {handle}")))
    }

    /// A socket2 socket with `options` applied in order (for what must precede bind).
    fn configured(
        family: Family,
        ty: Type,
        protocol: Option<Protocol>,
        options: &Options,
        raw: bool,
    ) -> R<Socket> {
        let socket = Socket::new(domain(family), ty, protocol).map_err(|e| io_fail(e, "socket"))?;
        let entry = Entry {
            family,
            kind: if raw {
                Kind::Raw(socket)
            } else {
                Kind::Unconnected(socket)
            },
        };
        for (name, value) in options {
            set_option(&entry, name, value)?;
        }
        match entry.kind {
            Kind::Raw(s) | Kind::Unconnected(s) => Ok(s),
            _ => unreachable!(),
        }
    }

    fn dispatch(&mut self, op: &str, raw_args: Option<&Value>) -> R<Value> {
        let empty = Map::new();
        let check_args = || -> R<&Map<String, Value>> {
            match raw_args {
                None | Some(Value::Null) => Ok(&empty),
                Some(Value::Object(map)) => Ok(map),
                Some(_) => Err(bad("args must be an object")),
            }
        };
        macro_rules! call {
            ($method:ident) => {{
                let map = check_args()?;
                self.$method(&Args(map))
            }};
        }
        match op {
            "hello" => call!(op_hello),
            "reset" => call!(op_reset),
            "close" => call!(op_close),
            "tcp.listen" => call!(op_tcp_listen),
            "tcp.socket" => call!(op_tcp_socket),
            "tcp.connect" => call!(op_tcp_connect),
            "tcp.accept" => call!(op_tcp_accept),
            "stream.send" => call!(op_stream_send),
            "stream.recv" => call!(op_stream_recv),
            "stream.shutdown" => call!(op_stream_shutdown),
            "stream.abort" => call!(op_stream_abort),
            "udp.bind" => call!(op_udp_bind),
            "udp.connect" => call!(op_udp_connect),
            "udp.sendto" => call!(op_udp_sendto),
            "udp.recvfrom" => call!(op_udp_recvfrom),
            "raw.open" => call!(op_raw_open),
            "raw.send" => call!(op_raw_send),
            "raw.recv" => call!(op_raw_recv),
            "addr.local" => call!(op_addr_local),
            "addr.peer" => call!(op_addr_peer),
            "opt.set" => call!(op_opt_set),
            "opt.get" => call!(op_opt_get),
            _ => Err(unsupported(format!("unknown operation '{op}'"))),
        }
    }

    // -- session -----------------------------------------------------------------------------

    fn op_hello(&mut self, _args: &Args) -> R<Value> {
        Ok(json!({
            "protocol": PROTOCOL_VERSION,
            "implementation": "rust-std-net",
            "version": format!("{}; std::net, socket2 {}", env!("SOCKSPEC_RUSTC_VERSION"), env!("SOCKSPEC_SOCKET2_VERSION")),
            "language": "rust",
            "features": self.features,
        }))
    }

    fn op_reset(&mut self, _args: &Args) -> R<Value> {
        self.sockets.clear(); // dropping closes
        Ok(json!({}))
    }

    fn op_close(&mut self, args: &Args) -> R<Value> {
        let handle = args.handle()?;
        match self.sockets.remove(&handle) {
            Some(entry) => {
                drop(entry);
                Ok(json!({}))
            }
            None => Err(fail("EBADF", format!("no open handle {handle}"))),
        }
    }

    // -- stream --------------------------------------------------------------------------------

    fn op_tcp_listen(&mut self, args: &Args) -> R<Value> {
        let family = args.family()?;
        let addr = socket_addr(family, args.string("host")?, args.int_or("port", Some(0))?)?;
        let backlog = args.int_or("backlog", Some(128))?;
        let options = args.options()?;
        let listener = if options.is_empty() {
            // The plain path: std's own bind, which sets SO_REUSEADDR and listens with a
            // backlog of its choosing (128): std takes no backlog argument.
            TcpListener::bind(addr).map_err(|e| io_fail(e, "TcpListener::bind"))?
        } else {
            // Options must precede bind: socket2 creates, configures, binds and listens.
            let socket = Self::configured(family, Type::STREAM, None, &options, false)?;
            socket.bind(&addr.into()).map_err(|e| io_fail(e, "bind"))?;
            let backlog =
                i32::try_from(backlog).map_err(|_| fail("EINVAL", "backlog out of range"))?;
            socket.listen(backlog).map_err(|e| io_fail(e, "listen"))?;
            socket.into()
        };
        listener
            .set_nonblocking(true)
            .map_err(|e| io_fail(e, "set_nonblocking"))?;
        let local = listener
            .local_addr()
            .map_err(|e| io_fail(e, "local_addr"))?;
        let handle = self.register(family, Kind::Listener(listener));
        Ok(json!({"handle": handle, "local": address_json(local)}))
    }

    fn op_tcp_socket(&mut self, args: &Args) -> R<Value> {
        let family = args.family()?;
        let options = args.options()?;
        let socket = Self::configured(family, Type::STREAM, None, &options, false)?;
        socket
            .set_nonblocking(true)
            .map_err(|e| io_fail(e, "set_nonblocking"))?;
        let handle = self.register(family, Kind::Unconnected(socket));
        Ok(json!({"handle": handle}))
    }

    fn op_tcp_connect(&mut self, args: &Args) -> R<Value> {
        let family = args.family()?;
        let addr = socket_addr(family, args.string("host")?, args.int("port")?)?;
        let bind = args.object("bind")?;
        let timeout = args.timeout()?;
        let options = args.options()?;
        let stream = if bind.is_none() && options.is_empty() {
            // The plain path: std's connect_timeout (std refuses a zero timeout itself).
            TcpStream::connect_timeout(&addr, duration(timeout))
                .map_err(|e| io_fail(e, "TcpStream::connect_timeout"))?
        } else {
            let socket = Self::configured(family, Type::STREAM, None, &options, false)?;
            if let Some(bind) = bind {
                let local = Args(bind);
                let local = socket_addr(
                    family,
                    local.string("host")?,
                    local.int_or("port", Some(0))?,
                )?;
                socket.bind(&local.into()).map_err(|e| io_fail(e, "bind"))?;
            }
            if timeout == 0.0 {
                // socket2's non-blocking connect: completes now, or EINPROGRESS.
                socket
                    .set_nonblocking(true)
                    .map_err(|e| io_fail(e, "set_nonblocking"))?;
                socket
                    .connect(&addr.into())
                    .map_err(|e| io_fail(e, "connect"))?;
            } else {
                socket
                    .connect_timeout(&addr.into(), duration(timeout))
                    .map_err(|e| io_fail(e, "connect_timeout"))?;
            }
            socket.into()
        };
        stream
            .set_nonblocking(true)
            .map_err(|e| io_fail(e, "set_nonblocking"))?;
        let result = stream_endpoints(&stream)?;
        let handle = self.register(family, Kind::Stream(stream));
        Ok(with_handle(handle, result))
    }

    fn op_tcp_accept(&mut self, args: &Args) -> R<Value> {
        let entry = self.entry(args)?;
        let timeout = args.timeout()?;
        let listener = match &entry.kind {
            Kind::Listener(l) => l,
            other => return Err(not_offered(other, "accept")),
        };
        let (stream, _) = waiting(
            listener.as_raw_fd(),
            libc::POLLIN,
            timeout,
            "accept",
            || listener.accept(),
        )?;
        let family = entry.family;
        stream
            .set_nonblocking(true)
            .map_err(|e| io_fail(e, "set_nonblocking"))?;
        let result = stream_endpoints(&stream)?;
        let handle = self.register(family, Kind::Stream(stream));
        Ok(with_handle(handle, result))
    }

    fn op_stream_send(&mut self, args: &Args) -> R<Value> {
        let entry = self.entry(args)?;
        let data = args.data()?;
        let timeout = args.timeout()?;
        if data.is_empty() {
            return Ok(json!({"sent": 0}));
        }
        let fd = entry.kind.fd();
        let sent = match &entry.kind {
            Kind::Stream(s) => send_some(fd, &data, timeout, |chunk| (&*s).write(chunk))?,
            Kind::Unconnected(s) => send_some(fd, &data, timeout, |chunk| s.send(chunk))?,
            other => return Err(not_offered(other, "stream send")),
        };
        Ok(json!({"sent": sent}))
    }

    fn op_stream_recv(&mut self, args: &Args) -> R<Value> {
        let entry = self.entry(args)?;
        let timeout = args.timeout()?;
        let max = args.int("max")?;
        if max < 1 {
            return Err(bad("max must be >= 1"));
        }
        let mut buffer = vec![0u8; (max as u64).min(MAX_STREAM_READ as u64) as usize];
        let fd = entry.kind.fd();
        let n = match &entry.kind {
            Kind::Stream(s) => waiting(fd, libc::POLLIN, timeout, "read", || {
                (&*s).read(&mut buffer)
            })?,
            Kind::Unconnected(s) => waiting(fd, libc::POLLIN, timeout, "recv", || {
                s.recv(as_uninit(&mut buffer))
            })?,
            other => return Err(not_offered(other, "stream receive")),
        };
        // Zero bytes from read(): end of stream, sent as empty data.
        Ok(json!({"data": BASE64.encode(&buffer[..n])}))
    }

    fn op_stream_shutdown(&mut self, args: &Args) -> R<Value> {
        let entry = self.entry(args)?;
        let how = match args.string("how")? {
            "read" => Shutdown::Read,
            "write" => Shutdown::Write,
            "both" => Shutdown::Both,
            other => return Err(bad(format!("unknown shutdown direction '{other}'"))),
        };
        match &entry.kind {
            Kind::Stream(s) => s.shutdown(how).map_err(|e| io_fail(e, "shutdown"))?,
            Kind::Unconnected(s) => s.shutdown(how).map_err(|e| io_fail(e, "shutdown"))?,
            other => return Err(not_offered(other, "shutdown")),
        }
        Ok(json!({}))
    }

    fn op_stream_abort(&mut self, args: &Args) -> R<Value> {
        let handle = args.handle()?;
        let entry = self.entry(args)?;
        match &entry.kind {
            // std's TcpStream::set_linger is unstable (feature tcp_linger): socket2's.
            Kind::Stream(_) | Kind::Unconnected(_) => entry
                .kind
                .sref()
                .set_linger(Some(Duration::ZERO))
                .map_err(|e| io_fail(e, "set_linger"))?,
            other => return Err(not_offered(other, "abortive close")),
        }
        drop(self.sockets.remove(&handle)); // close(2) with linger 0: RST
        Ok(json!({}))
    }

    // -- datagram ------------------------------------------------------------------------------

    fn op_udp_bind(&mut self, args: &Args) -> R<Value> {
        let family = args.family()?;
        let addr = socket_addr(family, args.string("host")?, args.int_or("port", Some(0))?)?;
        let options = args.options()?;
        let socket = if options.is_empty() {
            UdpSocket::bind(addr).map_err(|e| io_fail(e, "UdpSocket::bind"))?
        } else {
            let socket = Self::configured(family, Type::DGRAM, None, &options, false)?;
            socket.bind(&addr.into()).map_err(|e| io_fail(e, "bind"))?;
            socket.into()
        };
        socket
            .set_nonblocking(true)
            .map_err(|e| io_fail(e, "set_nonblocking"))?;
        let local = socket.local_addr().map_err(|e| io_fail(e, "local_addr"))?;
        let handle = self.register(family, Kind::Udp(socket));
        Ok(json!({"handle": handle, "local": address_json(local)}))
    }

    fn op_udp_connect(&mut self, args: &Args) -> R<Value> {
        let entry = self.entry(args)?;
        let socket = match &entry.kind {
            Kind::Udp(s) => s,
            other => return Err(not_offered(other, "UDP connect")),
        };
        let addr = socket_addr(entry.family, args.string("host")?, args.int("port")?)?;
        socket.connect(addr).map_err(|e| io_fail(e, "connect"))?;
        let local = socket.local_addr().map_err(|e| io_fail(e, "local_addr"))?;
        let peer = socket.peer_addr().map_err(|e| io_fail(e, "peer_addr"))?;
        Ok(json!({"local": address_json(local), "peer": address_json(peer)}))
    }

    fn op_udp_sendto(&mut self, args: &Args) -> R<Value> {
        let entry = self.entry(args)?;
        let socket = match &entry.kind {
            Kind::Udp(s) => s,
            other => return Err(not_offered(other, "UDP send")),
        };
        let data = args.data()?;
        let timeout = args.timeout()?;
        let fd = socket.as_raw_fd();
        let sent = match args.optional_string("host")? {
            None => waiting(fd, libc::POLLOUT, timeout, "send", || socket.send(&data))?,
            Some(host) => {
                let addr = socket_addr(entry.family, host, args.int("port")?)?;
                waiting(fd, libc::POLLOUT, timeout, "send_to", || {
                    socket.send_to(&data, addr)
                })?
            }
        };
        Ok(json!({"sent": sent}))
    }

    fn op_udp_recvfrom(&mut self, args: &Args) -> R<Value> {
        let entry = self.entry(args)?;
        let socket = match &entry.kind {
            Kind::Udp(s) => s,
            other => return Err(not_offered(other, "UDP receive")),
        };
        let timeout = args.timeout()?;
        let max = args.int("max")?;
        if max < 0 {
            return Err(bad("max must be >= 0"));
        }
        // std's recv_from does not report MSG_TRUNC: a buffer one byte longer than `max`
        // tells whether the datagram was longer (the kernel discards the rest either way).
        let max = (max as u64).min(MAX_DATAGRAM as u64) as usize;
        let mut buffer = vec![0u8; max + 1];
        let (n, peer) = waiting(
            socket.as_raw_fd(),
            libc::POLLIN,
            timeout,
            "recv_from",
            || socket.recv_from(&mut buffer),
        )?;
        Ok(json!({
            "data": BASE64.encode(&buffer[..n.min(max)]),
            "peer": address_json(peer),
            "truncated": n > max,
        }))
    }

    // -- raw sockets and ICMP (1.1) ------------------------------------------------------------

    fn op_raw_open(&mut self, args: &Args) -> R<Value> {
        let family = args.family()?;
        let protocol = args.string("protocol")?;
        let expected = if family == Family::V4 {
            "icmp"
        } else {
            "icmpv6"
        };
        if protocol != expected {
            return Err(bad(format!(
                "protocol must be '{expected}' for this family"
            )));
        }
        let ty = match args.optional_string("kind")?.unwrap_or("raw") {
            "raw" => Type::RAW,
            "ping" => Type::DGRAM,
            _ => return Err(bad("kind is 'raw' or 'ping'")),
        };
        let number = if family == Family::V4 {
            Protocol::ICMPV4
        } else {
            Protocol::ICMPV6
        };
        let options = args.options()?;
        let socket = Self::configured(family, ty, Some(number), &options, true)?;
        socket
            .set_nonblocking(true)
            .map_err(|e| io_fail(e, "set_nonblocking"))?;
        let handle = self.register(family, Kind::Raw(socket));
        Ok(json!({"handle": handle}))
    }

    fn op_raw_send(&mut self, args: &Args) -> R<Value> {
        let entry = self.entry(args)?;
        let socket = match &entry.kind {
            Kind::Raw(s) => s,
            other => return Err(not_offered(other, "raw send")),
        };
        let data = args.data()?;
        let timeout = args.timeout()?;
        let to: SockAddr = socket_addr(entry.family, args.string("host")?, 0)?.into();
        let sent = waiting(
            socket.as_raw_fd(),
            libc::POLLOUT,
            timeout,
            "send_to",
            || socket.send_to(&data, &to),
        )?;
        Ok(json!({"sent": sent}))
    }

    fn op_raw_recv(&mut self, args: &Args) -> R<Value> {
        let entry = self.entry(args)?;
        let socket = match &entry.kind {
            Kind::Raw(s) => s,
            other => return Err(not_offered(other, "raw receive")),
        };
        let timeout = args.timeout()?;
        let max = args.int_or("max", Some(65535))?;
        if max < 0 {
            return Err(bad("max must be >= 0"));
        }
        let mut buffer = vec![0u8; (max as u64).min(MAX_STREAM_READ as u64) as usize];
        let (n, from) = waiting(
            socket.as_raw_fd(),
            libc::POLLIN,
            timeout,
            "recv_from",
            || socket.recv_from(as_uninit(&mut buffer)),
        )?;
        let host = from
            .as_socket()
            .map(|a| a.ip().to_string())
            .unwrap_or_default();
        Ok(json!({"data": BASE64.encode(&buffer[..n]), "peer": {"host": host, "port": 0}}))
    }

    // -- addresses and options -----------------------------------------------------------------

    fn op_addr_local(&mut self, args: &Args) -> R<Value> {
        let entry = self.entry(args)?;
        let context = "local_addr";
        match &entry.kind {
            Kind::Listener(s) => s
                .local_addr()
                .map(address_json)
                .map_err(|e| io_fail(e, context)),
            Kind::Stream(s) => s
                .local_addr()
                .map(address_json)
                .map_err(|e| io_fail(e, context)),
            Kind::Udp(s) => s
                .local_addr()
                .map(address_json)
                .map_err(|e| io_fail(e, context)),
            Kind::Unconnected(s) | Kind::Raw(s) => {
                sockaddr_json(s.local_addr().map_err(|e| io_fail(e, context))?)
            }
        }
    }

    fn op_addr_peer(&mut self, args: &Args) -> R<Value> {
        let entry = self.entry(args)?;
        let context = "peer_addr";
        match &entry.kind {
            Kind::Stream(s) => s
                .peer_addr()
                .map(address_json)
                .map_err(|e| io_fail(e, context)),
            Kind::Udp(s) => s
                .peer_addr()
                .map(address_json)
                .map_err(|e| io_fail(e, context)),
            Kind::Unconnected(s) | Kind::Raw(s) => {
                sockaddr_json(s.peer_addr().map_err(|e| io_fail(e, context))?)
            }
            other @ Kind::Listener(_) => Err(not_offered(other, "peer_addr")),
        }
    }

    fn op_opt_set(&mut self, args: &Args) -> R<Value> {
        let entry = self.entry(args)?;
        let name = args.string("name")?;
        let value = args
            .0
            .get("value")
            .ok_or_else(|| bad("missing argument 'value'"))?;
        set_option(entry, name, value)?;
        Ok(json!({}))
    }

    fn op_opt_get(&mut self, args: &Args) -> R<Value> {
        let entry = self.entry(args)?;
        let name = args.string("name")?;
        Ok(json!({"value": get_option(entry, name)?}))
    }
}

fn stream_endpoints(stream: &TcpStream) -> R<(SocketAddr, SocketAddr)> {
    let local = stream.local_addr().map_err(|e| io_fail(e, "local_addr"))?;
    let peer = stream.peer_addr().map_err(|e| io_fail(e, "peer_addr"))?;
    Ok((local, peer))
}

fn with_handle(handle: i64, (local, peer): (SocketAddr, SocketAddr)) -> Value {
    json!({"handle": handle, "local": address_json(local), "peer": address_json(peer)})
}

/// `stream.send`: wait (up to `timeout`) until at least one byte can be taken, then take
/// as much as fits without waiting again.
fn send_some(
    fd: RawFd,
    data: &[u8],
    timeout: f64,
    mut write: impl FnMut(&[u8]) -> io::Result<usize>,
) -> R<usize> {
    let deadline = Instant::now() + duration(timeout);
    let mut sent = 0;
    while sent < data.len() {
        match write(&data[sent..]) {
            Ok(0) => break,
            Ok(n) => sent += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) if sent > 0 => break, // report what was taken; the error shows next time
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if timeout == 0.0 {
                    return Err(fail("EAGAIN", "send: would block"));
                }
                wait_ready(fd, libc::POLLOUT, deadline, timeout, "send")?;
            }
            Err(e) => return Err(io_fail(e, "send")),
        }
    }
    Ok(sent)
}

// ---- features ----------------------------------------------------------------------------

fn host_features() -> Vec<String> {
    let ipv6 = UdpSocket::bind("[::1]:0").is_ok();
    let mut features: Vec<&str> = vec![
        "tcp",
        "udp",
        "ipv4",
        "tcp.socket",
        "tcp.bind-connect",
        "stream.shutdown",
        "stream.abort",
        "nonblocking",
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
    ] {
        features.push(Box::leak(format!("opt.{option}").into_boxed_str()));
    }
    if ipv6 {
        features.push("opt.v6only");
    }
    features.into_iter().map(String::from).collect()
}

// ---- the request loop ----------------------------------------------------------------------

fn answer(adapter: &mut Adapter, line: &[u8]) -> Value {
    let request: Value = match serde_json::from_slice(line) {
        Ok(v) => v,
        Err(e) => return error_response(Value::Null, &bad(format!("not a JSON request: {e}"))),
    };
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let op = match request
        .as_object()
        .and_then(|r| r.get("op"))
        .and_then(Value::as_str)
    {
        Some(op) => op,
        None => return error_response(id, &bad("a request is an object with a string 'op'")),
    };
    match adapter.dispatch(op, request.get("args")) {
        Ok(result) => json!({"id": id, "ok": true, "result": result}),
        Err(e) => error_response(id, &e),
    }
}

fn error_response(id: Value, e: &OpError) -> Value {
    json!({"id": id, "ok": false, "error": {"code": e.code, "message": e.message}})
}

fn main() {
    // The Rust runtime already sets SIGPIPE to SIG_IGN before main (and std sends with
    // MSG_NOSIGNAL; socket2 does not), so a write to a reset connection is EPIPE, not a signal.
    let mut adapter = Adapter::new();
    let stdin = io::stdin();
    let mut input = stdin.lock();
    let stdout = io::stdout();
    let mut output = stdout.lock();
    let mut line = Vec::new();
    loop {
        line.clear();
        match input.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                eprintln!("sockspec-adapter-rust: reading stdin: {e}");
                break;
            }
        }
        while matches!(line.last(), Some(b'\n' | b'\r')) {
            line.pop();
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let response = answer(&mut adapter, &line);
        let mut text = serde_json::to_vec(&response).expect("a JSON value serialises");
        text.push(b'\n');
        if output
            .write_all(&text)
            .and_then(|_| output.flush())
            .is_err()
        {
            break; // the suite went away
        }
    }
    adapter.sockets.clear(); // close every socket
}
