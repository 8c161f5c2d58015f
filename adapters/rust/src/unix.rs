//! Unix-domain sockets (protocol 1.4) over `std::os::unix::net` (`UnixListener`,
//! `UnixStream`, `UnixDatagram`; abstract names with `std::os::linux::net::SocketAddrExt`).
//! socket2 where std has no way: seqpacket sockets, a stream connect with a timeout or a
//! bind before it, a listener on an unbound socket. The `nix` crate for what std offers only
//! unstably: `sendmsg`/`recvmsg` with SCM_RIGHTS and SCM_CREDENTIALS (std's
//! `unix_socket_ancillary_data`) and SO_PEERCRED (std's `peer_credentials_unix_socket`).

use crate::adapter::Adapter;
use crate::args::{Args, Family};
use crate::errors::{bad, fail, io_fail, supply, R};
use crate::sockets::{as_uninit, Entry, Kind};
use crate::stream::MAX_STREAM_READ;
use crate::wait::waiting;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use nix::sys::socket::{
    getsockopt, recvmsg, sendmsg, sockopt, ControlMessage, ControlMessageOwned, MsgFlags,
    SockaddrLike, UnixAddr,
};
use serde_json::{json, Value};
use socket2::{Domain, SockAddr, SockRef, Socket, Type};
use std::ffi::OsStr;
use std::io::{self, ErrorKind, IoSlice, IoSliceMut, Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::os::fd::{AsFd, FromRawFd, OwnedFd, RawFd};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram, UnixListener, UnixStream};
use std::path::Path;
use std::time::Duration;

#[derive(Clone, Copy, PartialEq, Eq)]
enum UKind {
    Stream,
    Dgram,
    Seqpacket,
}

fn kind_arg(args: &Args) -> R<UKind> {
    match args.string("kind")? {
        "stream" => Ok(UKind::Stream),
        "dgram" => Ok(UKind::Dgram),
        "seqpacket" => Ok(UKind::Seqpacket),
        other => Err(bad(format!("unknown Unix socket kind '{other}'"))),
    }
}

fn socket_type(kind: UKind) -> Type {
    match kind {
        UKind::Stream => Type::STREAM,
        UKind::Dgram => Type::DGRAM,
        UKind::Seqpacket => Type::SEQPACKET,
    }
}

/// A Unix address as the request gives it.
enum UAddr {
    Path(String),
    Abstract(Vec<u8>),
    Unnamed,
    Autobind,
}

fn address_arg(args: &Args, name: &str, may_autobind: bool) -> R<Option<UAddr>> {
    let Some(object) = args.object(name)? else {
        return Ok(None);
    };
    let a = Args(object);
    let address = if let Some(path) = a.optional_string("path")? {
        if path.is_empty() {
            return Err(supply("EINVAL", "an empty path names no socket"));
        }
        UAddr::Path(path.to_string())
    } else if let Some(name) = a.optional_string("abstract")? {
        UAddr::Abstract(name.as_bytes().to_vec())
    } else if object.get("unnamed") == Some(&Value::Bool(true)) {
        UAddr::Unnamed
    } else if object.get("autobind") == Some(&Value::Bool(true)) {
        if !may_autobind {
            return Err(fail(
                "EINVAL",
                "autobind only binds a socket; it names no peer",
            ));
        }
        UAddr::Autobind
    } else {
        return Err(bad(
            "a Unix address has path, abstract, unnamed or autobind",
        ));
    };
    Ok(Some(address))
}

fn required_address(args: &Args, name: &str, may_autobind: bool) -> R<UAddr> {
    address_arg(args, name, may_autobind)?.ok_or_else(|| bad(format!("missing argument '{name}'")))
}

/// A destination: never unnamed or autobind (protocol 1.4).
fn peer_address(args: &Args, name: &str) -> R<Option<UAddr>> {
    match address_arg(args, name, false)? {
        Some(UAddr::Unnamed) => Err(fail("EINVAL", "an unnamed socket is no destination")),
        other => Ok(other),
    }
}

/// std's form; `Autobind` is the empty pathname, which std passes as the family alone.
fn std_addr(address: &UAddr) -> R<SocketAddr> {
    match address {
        UAddr::Path(p) => SocketAddr::from_pathname(p),
        UAddr::Abstract(name) => SocketAddr::from_abstract_name(name),
        UAddr::Autobind | UAddr::Unnamed => SocketAddr::from_pathname(""),
    }
    .map_err(|e| io_fail(e, "address"))
}

/// socket2's form (a leading NUL is the abstract namespace; an empty path binds the family alone).
fn socket2_addr(address: &UAddr) -> R<SockAddr> {
    let bytes: Vec<u8> = match address {
        UAddr::Path(p) => p.as_bytes().to_vec(),
        UAddr::Abstract(name) => [&[0u8][..], name].concat(),
        UAddr::Autobind | UAddr::Unnamed => Vec::new(),
    };
    SockAddr::unix(OsStr::from_bytes(&bytes)).map_err(|e| io_fail(e, "address"))
}

fn nix_addr(address: &UAddr) -> R<UnixAddr> {
    match address {
        UAddr::Path(p) => UnixAddr::new(Path::new(p)),
        UAddr::Abstract(name) => UnixAddr::new_abstract(name),
        UAddr::Autobind | UAddr::Unnamed => unreachable!("destinations are named"),
    }
    .map_err(|e| io_fail(io::Error::from(e), "address"))
}

/// `serve.start`'s `address` (kind `unix` or `unixgram`): a pathname or an abstract name,
/// in std's form.
pub(crate) fn serve_address(args: &Args) -> R<SocketAddr> {
    match required_address(args, "address", false)? {
        UAddr::Unnamed | UAddr::Autobind => Err(fail(
            "EINVAL",
            "an echo server needs a name to be reached by",
        )),
        address => std_addr(&address),
    }
}

/// socket2's form of a std address (to connect with a timeout, which std's Unix types lack).
pub(crate) fn wake_sockaddr(a: &SocketAddr) -> io::Result<SockAddr> {
    let bytes: Vec<u8> = if let Some(path) = a.as_pathname() {
        path.as_os_str().as_bytes().to_vec()
    } else if let Some(name) = a.as_abstract_name() {
        [&[0u8][..], name].concat()
    } else {
        return Err(io::Error::from(ErrorKind::InvalidInput));
    };
    SockAddr::unix(OsStr::from_bytes(&bytes))
}

fn named(path: Option<&Path>, abstract_name: Option<&[u8]>) -> Value {
    if let Some(p) = path {
        json!({"path": p.to_string_lossy()})
    } else if let Some(name) = abstract_name {
        json!({"abstract": String::from_utf8_lossy(name)})
    } else {
        json!({"unnamed": true})
    }
}

pub(crate) fn std_addr_json(a: &SocketAddr) -> Value {
    named(a.as_pathname(), a.as_abstract_name())
}

pub(crate) fn socket2_addr_json(a: &SockAddr) -> Value {
    named(a.as_pathname(), a.as_abstract_namespace())
}

/// The sender's address from nix's `recvmsg`. On a stream socket the kernel writes none
/// (`msg_namelen` 0), and nix 0.30 still answers `Some(UnixAddr)` of length 0, whose
/// `path()` / `as_abstract()` panic (an assertion in `UnixAddrKind::get`): a length that
/// does not reach `sun_path` is read as unnamed before they are called.
fn nix_addr_json(a: Option<&UnixAddr>) -> Value {
    match a {
        Some(a) if a.len() as usize > std::mem::offset_of!(libc::sockaddr_un, sun_path) => {
            named(a.path(), a.as_abstract())
        }
        _ => json!({"unnamed": true}),
    }
}

/// `addr.local` / `addr.peer` of a Unix handle (`None`: not a Unix handle).
pub(crate) fn unix_name(kind: &Kind, peer: bool) -> Option<R<Value>> {
    let context = if peer { "peer_addr" } else { "local_addr" };
    let std_name = |r: io::Result<SocketAddr>| {
        r.map(|a| std_addr_json(&a))
            .map_err(|e| io_fail(e, context))
    };
    Some(match (kind, peer) {
        (Kind::UnixListener(s), false) => std_name(s.local_addr()),
        (Kind::UnixStream(s), false) => std_name(s.local_addr()),
        (Kind::UnixStream(s), true) => std_name(s.peer_addr()),
        (Kind::UnixDatagram(s), false) => std_name(s.local_addr()),
        (Kind::UnixDatagram(s), true) => std_name(s.peer_addr()),
        (Kind::UnixSocket(s), _) => (if peer { s.peer_addr() } else { s.local_addr() })
            .map(|a| socket2_addr_json(&a))
            .map_err(|e| io_fail(e, context)),
        _ => return None,
    })
}

fn nonblocking(sref: SockRef<'_>) -> R<()> {
    sref.set_nonblocking(true)
        .map_err(|e| io_fail(e, "set_nonblocking"))
}

/// A Unix connect to a full accept queue, and a datagram to a full receiver, wait inside the
/// kernel for room (poll(2) on the sender shows nothing): with a timeout, the call is made
/// blocking with SO_SNDTIMEO (`set_write_timeout`), the kernel's own wait; its EAGAIN at the
/// end is ETIMEDOUT. With `timeout: 0` the socket stays non-blocking: EAGAIN at once.
fn sending<T>(
    sref: SockRef<'_>,
    timeout: f64,
    context: &str,
    mut call: impl FnMut() -> io::Result<T>,
) -> R<T> {
    let attempt = |call: &mut dyn FnMut() -> io::Result<T>| loop {
        match call() {
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            other => break other,
        }
    };
    if timeout == 0.0 {
        return attempt(&mut call).map_err(|e| io_fail(e, context));
    }
    let wait = crate::args::duration(timeout).max(Duration::from_micros(1));
    sref.set_nonblocking(false)
        .map_err(|e| io_fail(e, "set_nonblocking"))?;
    sref.set_write_timeout(Some(wait))
        .map_err(|e| io_fail(e, "set_write_timeout"))?;
    let result = attempt(&mut call);
    let _ = sref.set_write_timeout(None);
    nonblocking(sref)?;
    result.map_err(|e| {
        if e.kind() == ErrorKind::WouldBlock {
            fail(
                "ETIMEDOUT",
                format!("{context}: timed out after {timeout} s"),
            )
        } else {
            io_fail(e, context)
        }
    })
}

/// A descriptor received (SCM_RIGHTS) as the std type for what it is.
fn adopt(fd: RawFd) -> R<(Family, Kind)> {
    // SAFETY: the kernel just installed this descriptor for us; nothing else owns it.
    let socket = Socket::from(unsafe { OwnedFd::from_raw_fd(fd) });
    let domain = socket.domain().map_err(|e| io_fail(e, "SO_DOMAIN"))?;
    let ty = socket.r#type().map_err(|e| io_fail(e, "SO_TYPE"))?;
    let listening = SockRef::from(&socket).is_listener().unwrap_or(false);
    socket
        .set_nonblocking(true)
        .map_err(|e| io_fail(e, "set_nonblocking"))?;
    let family = |v6: bool| if v6 { Family::V6 } else { Family::V4 };
    Ok(if domain == Domain::UNIX {
        let kind = match (ty, listening) {
            (Type::STREAM, true) => Kind::UnixListener(UnixListener::from(socket)),
            (Type::STREAM, false) => Kind::UnixStream(UnixStream::from(socket)),
            (Type::DGRAM, _) => Kind::UnixDatagram(UnixDatagram::from(socket)),
            _ => Kind::UnixSocket(socket),
        };
        (Family::Unix, kind)
    } else {
        let v6 = domain == Domain::IPV6;
        match (ty, listening) {
            (Type::STREAM, true) => (family(v6), Kind::Listener(TcpListener::from(socket))),
            (Type::STREAM, false) => (family(v6), Kind::Stream(TcpStream::from(socket))),
            (Type::DGRAM, _) => (family(v6), Kind::Udp(UdpSocket::from(socket))),
            _ => (family(v6), Kind::Raw(socket)),
        }
    })
}

impl Adapter {
    fn unix_result(&mut self, kind: Kind, with_peer: bool) -> R<Value> {
        let local = unix_name(&kind, false).expect("a Unix kind")?;
        let peer = if with_peer {
            Some(unix_name(&kind, true).expect("a Unix kind")?)
        } else {
            None
        };
        let handle = self.register(Family::Unix, kind);
        Ok(match peer {
            Some(peer) => json!({"handle": handle, "local": local, "peer": peer}),
            None => json!({"handle": handle, "local": local}),
        })
    }

    fn unix_entry(&self, args: &Args) -> R<&Entry> {
        let entry = self.entry(args)?;
        match entry.kind {
            Kind::UnixListener(_)
            | Kind::UnixStream(_)
            | Kind::UnixDatagram(_)
            | Kind::UnixSocket(_) => Ok(entry),
            Kind::Server(_) => Err(supply(
                "ENOTSOCK",
                "the handle is an echo server, not a socket",
            )),
            _ => Err(supply(
                "EPROTOTYPE",
                "not a Unix-domain socket (no std Unix type)",
            )),
        }
    }

    pub(crate) fn op_unix_listen(&mut self, args: &Args) -> R<Value> {
        let kind = kind_arg(args)?;
        let address = required_address(args, "address", true)?;
        let backlog = args.int_or("backlog", Some(128))?;
        let listener = match (kind, &address) {
            // std: UnixListener::bind_addr (its backlog is its own: std takes none).
            (UKind::Stream, UAddr::Path(_) | UAddr::Abstract(_) | UAddr::Autobind) => {
                Kind::UnixListener(
                    UnixListener::bind_addr(&std_addr(&address)?)
                        .map_err(|e| io_fail(e, "bind"))?,
                )
            }
            // socket2: seqpacket (std has none), a datagram socket (std's listener is a
            // stream one), or an unbound socket (std always binds).
            _ => {
                let socket = Socket::new(Domain::UNIX, socket_type(kind), None)
                    .map_err(|e| io_fail(e, "socket"))?;
                if !matches!(address, UAddr::Unnamed) {
                    socket
                        .bind(&socket2_addr(&address)?)
                        .map_err(|e| io_fail(e, "bind"))?;
                }
                let backlog =
                    i32::try_from(backlog).map_err(|_| supply("EINVAL", "backlog out of range"))?;
                socket.listen(backlog).map_err(|e| io_fail(e, "listen"))?;
                Kind::UnixSocket(socket)
            }
        };
        nonblocking(listener.sref())?;
        self.unix_result(listener, false)
    }

    pub(crate) fn op_unix_accept(&mut self, args: &Args) -> R<Value> {
        let entry = self.unix_entry(args)?;
        let timeout = args.timeout()?;
        let fd = entry.kind.fd();
        let accepted = match &entry.kind {
            Kind::UnixListener(l) => {
                Kind::UnixStream(waiting(fd, libc::POLLIN, timeout, "accept", || l.accept())?.0)
            }
            Kind::UnixSocket(s) => {
                Kind::UnixSocket(waiting(fd, libc::POLLIN, timeout, "accept", || s.accept())?.0)
            }
            Kind::UnixStream(s) => {
                // std's UnixStream has no accept; the kernel's answer through socket2.
                let s = SockRef::from(s);
                Kind::UnixSocket(waiting(fd, libc::POLLIN, timeout, "accept", || s.accept())?.0)
            }
            Kind::UnixDatagram(s) => {
                let s = SockRef::from(s);
                Kind::UnixSocket(waiting(fd, libc::POLLIN, timeout, "accept", || s.accept())?.0)
            }
            _ => unreachable!(),
        };
        nonblocking(accepted.sref())?;
        self.unix_result(accepted, true)
    }

    pub(crate) fn op_unix_connect(&mut self, args: &Args) -> R<Value> {
        let kind = kind_arg(args)?;
        let address = match peer_address(args, "address")? {
            Some(a) => a,
            None => return Err(bad("missing argument 'address'")),
        };
        let bind = address_arg(args, "bind", true)?;
        let timeout = args.timeout()?;
        let connected = if kind == UKind::Dgram {
            // std: UnixDatagram::unbound or bind_addr, then connect_addr (never waits).
            let socket = match &bind {
                None | Some(UAddr::Unnamed) => UnixDatagram::unbound(),
                Some(local) => UnixDatagram::bind_addr(&std_addr(local)?),
            }
            .map_err(|e| io_fail(e, "bind"))?;
            socket
                .connect_addr(&std_addr(&address)?)
                .map_err(|e| io_fail(e, "connect"))?;
            Kind::UnixDatagram(socket)
        } else {
            // std's UnixStream::connect takes no timeout and no local address: socket2 creates,
            // binds, connects (waiting as `sending` says), and hands a stream over to std.
            let socket = Socket::new(Domain::UNIX, socket_type(kind), None)
                .map_err(|e| io_fail(e, "socket"))?;
            if let Some(local) = &bind {
                if !matches!(local, UAddr::Unnamed) {
                    socket
                        .bind(&socket2_addr(local)?)
                        .map_err(|e| io_fail(e, "bind"))?;
                }
            }
            nonblocking(SockRef::from(&socket))?;
            let to = socket2_addr(&address)?;
            sending(SockRef::from(&socket), timeout, "connect", || {
                socket.connect(&to)
            })?;
            match kind {
                UKind::Stream => Kind::UnixStream(UnixStream::from(socket)),
                _ => Kind::UnixSocket(socket),
            }
        };
        nonblocking(connected.sref())?;
        self.unix_result(connected, true)
    }

    pub(crate) fn op_unix_bind(&mut self, args: &Args) -> R<Value> {
        let kind = kind_arg(args)?;
        let address = required_address(args, "address", true)?;
        let socket = if kind == UKind::Dgram {
            Kind::UnixDatagram(
                match &address {
                    UAddr::Unnamed => UnixDatagram::unbound(),
                    named => UnixDatagram::bind_addr(&std_addr(named)?),
                }
                .map_err(|e| io_fail(e, "bind"))?,
            )
        } else {
            // A bound stream or seqpacket socket that does not listen: std has none.
            let socket = Socket::new(Domain::UNIX, socket_type(kind), None)
                .map_err(|e| io_fail(e, "socket"))?;
            if !matches!(address, UAddr::Unnamed) {
                socket
                    .bind(&socket2_addr(&address)?)
                    .map_err(|e| io_fail(e, "bind"))?;
            }
            Kind::UnixSocket(socket)
        };
        nonblocking(socket.sref())?;
        self.unix_result(socket, false)
    }

    pub(crate) fn op_unix_socketpair(&mut self, args: &Args) -> R<Value> {
        let (a, b) = match kind_arg(args)? {
            UKind::Stream => {
                let (a, b) = UnixStream::pair().map_err(|e| io_fail(e, "UnixStream::pair"))?;
                (Kind::UnixStream(a), Kind::UnixStream(b))
            }
            UKind::Dgram => {
                let (a, b) = UnixDatagram::pair().map_err(|e| io_fail(e, "UnixDatagram::pair"))?;
                (Kind::UnixDatagram(a), Kind::UnixDatagram(b))
            }
            UKind::Seqpacket => {
                let (a, b) = Socket::pair(Domain::UNIX, Type::SEQPACKET, None)
                    .map_err(|e| io_fail(e, "socketpair"))?;
                (Kind::UnixSocket(a), Kind::UnixSocket(b))
            }
        };
        nonblocking(a.sref())?;
        nonblocking(b.sref())?;
        let a = self.register(Family::Unix, a);
        let b = self.register(Family::Unix, b);
        Ok(json!({"handles": [a, b]}))
    }

    pub(crate) fn op_unix_sendto(&mut self, args: &Args) -> R<Value> {
        let entry = self.unix_entry(args)?;
        let data = args.data()?;
        let timeout = args.timeout()?;
        let to = peer_address(args, "address")?;
        let handles: Vec<i64> = match args.0.get("fds") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(list)) => list
                .iter()
                .map(|h| h.as_i64().ok_or_else(|| bad("fds is a list of handles")))
                .collect::<R<_>>()?,
            Some(_) => return Err(bad("fds is a list of handles")),
        };
        let mut fds = Vec::new();
        for h in &handles {
            let e = self
                .sockets
                .get(h)
                .ok_or_else(|| fail("EBADF", format!("fds: no open handle {h}")))?;
            fds.push(e.kind.fd());
        }
        let kind = &entry.kind;
        let sref = kind.sref();
        let sent = if fds.is_empty() {
            // No descriptors: the std call a Rust program makes.
            match (kind, &to) {
                (Kind::UnixDatagram(s), Some(to)) => {
                    let to = std_addr(to)?;
                    sending(sref, timeout, "send_to", || s.send_to_addr(&data, &to))?
                }
                (Kind::UnixDatagram(s), None) => sending(sref, timeout, "send", || s.send(&data))?,
                (Kind::UnixStream(s), None) => {
                    sending(sref, timeout, "write", || (&*s).write(&data))?
                }
                (other, to) => {
                    let to = to.as_ref().map(socket2_addr).transpose()?;
                    let s = other.sref();
                    sending(sref, timeout, "send", || match &to {
                        Some(to) => s.send_to(&data, to),
                        None => s.send(&data),
                    })?
                }
            }
        } else {
            // SCM_RIGHTS: std's ancillary-data API is unstable; nix's sendmsg.
            let to = to.as_ref().map(nix_addr).transpose()?;
            let fd = kind.fd();
            let cmsgs = [ControlMessage::ScmRights(&fds)];
            let iov = [IoSlice::new(&data)];
            sending(sref, timeout, "sendmsg", || {
                sendmsg(fd, &iov, &cmsgs, MsgFlags::MSG_NOSIGNAL, to.as_ref())
                    .map_err(io::Error::from)
            })?
        };
        Ok(json!({"sent": sent}))
    }

    pub(crate) fn op_unix_recvfrom(&mut self, args: &Args) -> R<Value> {
        let entry = self.unix_entry(args)?;
        let timeout = args.timeout()?;
        let max = args.int("max")?;
        if max < 1 {
            return Err(bad("max must be >= 1"));
        }
        let maxfds = args.int_or("maxfds", Some(0))?;
        if maxfds < 0 {
            return Err(bad("maxfds must be >= 0"));
        }
        let maxfds = maxfds.min(253) as u32; // SCM_MAX_FD
        let fd = entry.kind.fd();
        let passcred = entry.kind.sref().passcred().unwrap_or(false);
        // Room for exactly maxfds descriptors (CMSG_LEN; CMSG_SPACE's padding holds one more),
        // after the credentials when SO_PASSCRED is on (the kernel puts them first).
        // SAFETY: CMSG_SPACE / CMSG_LEN are arithmetic.
        let space = unsafe {
            (if passcred {
                libc::CMSG_SPACE(std::mem::size_of::<libc::ucred>() as u32)
            } else {
                0
            }) + if maxfds > 0 {
                libc::CMSG_LEN(maxfds * 4)
            } else {
                0
            }
        } as usize;
        let mut buffer = vec![0u8; (max as u64).min(MAX_STREAM_READ as u64) as usize];
        let mut control = vec![0u8; space];
        // std has no stable recvmsg: nix's, which nix users call with MSG_CMSG_CLOEXEC.
        let (n, flags, from, parsed) = waiting(fd, libc::POLLIN, timeout, "recvmsg", || {
            let mut iov = [IoSliceMut::new(&mut buffer)];
            let cmsg = if space > 0 {
                Some(&mut control[..])
            } else {
                None
            };
            let msg = recvmsg::<UnixAddr>(fd, &mut iov, cmsg, MsgFlags::MSG_CMSG_CLOEXEC)
                .map_err(io::Error::from)?;
            // nix refuses to read any control message once MSG_CTRUNC is set (`cmsgs()` is
            // ENOBUFS): None, and the adapter reads the buffer itself below.
            let parsed = msg.cmsgs().ok().map(|messages| {
                let mut received = Vec::new();
                let mut creds = None;
                for c in messages {
                    match c {
                        ControlMessageOwned::ScmRights(fds) => received.extend(fds),
                        ControlMessageOwned::ScmCredentials(u) => {
                            creds = Some((u.pid(), u.uid(), u.gid()))
                        }
                        _ => {}
                    }
                }
                (received, creds)
            });
            Ok((msg.bytes, msg.flags, msg.address, parsed))
        })?;
        let emulated = parsed.is_none();
        let (received, creds) = parsed.unwrap_or_else(|| control_messages(&control));
        let mut handles = Vec::new();
        let mut adopted = Vec::new();
        for fd in received {
            adopted.push(adopt(fd));
        }
        for a in adopted {
            let (family, kind) = a?;
            handles.push(self.register(family, kind));
        }
        let mut result = json!({
            "data": BASE64.encode(&buffer[..n]),
            "peer": nix_addr_json(from.as_ref()),
            "truncated": flags.contains(MsgFlags::MSG_TRUNC),
            "fds": handles,
            "ctrunc": flags.contains(MsgFlags::MSG_CTRUNC),
        });
        if let Some((pid, uid, gid)) = creds {
            result["creds"] = json!({"pid": pid, "uid": uid, "gid": gid});
        }
        if emulated {
            // What the kernel passed, read from the control buffer by the adapter: with nix
            // alone the descriptors would stay open in the process with no handle.
            let mut fields = vec!["fds"];
            if creds.is_some() {
                fields.push("creds");
            }
            result["emulated"] = json!(fields);
        }
        Ok(result)
    }

    pub(crate) fn op_unix_peercred(&mut self, args: &Args) -> R<Value> {
        let entry = self.unix_entry(args)?;
        // std's UnixStream::peer_cred is unstable (peer_credentials_unix_socket): nix's getsockopt.
        let fd = entry.kind.sref();
        let u = getsockopt(&fd.as_fd(), sockopt::PeerCredentials)
            .map_err(|e| io_fail(io::Error::from(e), "getsockopt SO_PEERCRED"))?;
        if u.pid() == 0 && u.uid() == u32::MAX {
            return Err(supply(
                "ENOTCONN",
                "getsockopt SO_PEERCRED: no peer (pid 0, uid -1)",
            ));
        }
        Ok(json!({"pid": u.pid(), "uid": u.uid(), "gid": u.gid()}))
    }

    pub(crate) fn op_unix_unlink(&mut self, args: &Args) -> R<Value> {
        match required_address(args, "address", true)? {
            UAddr::Path(p) => std::fs::remove_file(&p).map_err(|e| io_fail(e, "remove_file"))?,
            _ => {
                return Err(fail(
                    "EINVAL",
                    "only a pathname socket has a file to remove",
                ))
            }
        }
        Ok(json!({}))
    }
}

/// The control messages in `control` (zeroed before `recvmsg`), read the way cmsg(3) walks
/// them: Linux truncates at a message boundary and writes each message's own length, so the
/// messages that did fit are whole. For when nix refuses to (MSG_CTRUNC).
fn control_messages(control: &[u8]) -> (Vec<RawFd>, Option<(i32, u32, u32)>) {
    let header = std::mem::size_of::<libc::cmsghdr>();
    let align =
        |n: usize| (n + std::mem::size_of::<usize>() - 1) & !(std::mem::size_of::<usize>() - 1);
    let (mut received, mut creds, mut at) = (Vec::new(), None, 0);
    while at + header <= control.len() {
        // SAFETY: `header` bytes are in bounds; read_unaligned copes with any alignment.
        let c: libc::cmsghdr = unsafe { std::ptr::read_unaligned(control[at..].as_ptr().cast()) };
        let len = c.cmsg_len as usize;
        if len < header || at + len > control.len() {
            break;
        }
        let data = &control[at + align(header)..at + len];
        if c.cmsg_level == libc::SOL_SOCKET && c.cmsg_type == libc::SCM_RIGHTS {
            received.extend(
                data.chunks_exact(4)
                    .map(|b| RawFd::from_ne_bytes([b[0], b[1], b[2], b[3]])),
            );
        } else if c.cmsg_level == libc::SOL_SOCKET
            && c.cmsg_type == libc::SCM_CREDENTIALS
            && data.len() >= 12
        {
            let word = |i: usize| [data[i], data[i + 1], data[i + 2], data[i + 3]];
            creds = Some((
                i32::from_ne_bytes(word(0)),
                u32::from_ne_bytes(word(4)),
                u32::from_ne_bytes(word(8)),
            ));
        }
        at += align(len);
    }
    (received, creds)
}

/// `stream.recv` / `stream.send` on a Unix handle: std's `Read`/`Write` (`recv`/`send` for
/// datagram sockets), socket2's for seqpacket. `None`: not a Unix handle.
pub(crate) fn unix_read(kind: &Kind, buffer: &mut [u8]) -> Option<io::Result<usize>> {
    Some(match kind {
        Kind::UnixStream(s) => (&*s).read(buffer),
        Kind::UnixDatagram(s) => s.recv(buffer),
        Kind::UnixSocket(s) => s.recv(as_uninit(buffer)),
        _ => return None,
    })
}

pub(crate) fn unix_write(kind: &Kind, data: &[u8]) -> Option<io::Result<usize>> {
    Some(match kind {
        Kind::UnixStream(s) => (&*s).write(data),
        Kind::UnixDatagram(s) => s.send(data),
        Kind::UnixSocket(s) => s.send(data),
        _ => return None,
    })
}
