//! Unix-domain sockets (protocol 1.4) over `tokio::net`: `UnixListener`, `UnixSocket`
//! (a backlog, a bind before connect), `UnixStream`, `UnixDatagram`. Abstract names are
//! paths with a leading NUL byte, which tokio (and socket2 under `UnixSocket`) take as
//! Linux's abstract namespace; autobind is the empty path. tokio has no seqpacket sockets and
//! no ancillary data (SCM_RIGHTS, SCM_CREDENTIALS): those features are not declared.

use crate::adapter::Adapter;
use crate::address::{sockaddr_json, unix_json, with_handle};
use crate::args::{Args, Family};
use crate::errors::{bad, fail, io_fail, supply, unsupported, OpError, R};
use crate::sockets::{not_offered, Kind};
use crate::stream::max_arg;
use crate::wait::{waiting, within, Within};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::{json, Value};
use std::ffi::OsString;
use std::io::{self, ErrorKind};
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixDatagram, UnixSocket, UnixStream};

/// Room for the largest Unix datagram the suite sends (and one byte more, for truncation).
const MAX_DATAGRAM: usize = 1 << 20;

#[derive(Clone, Copy, PartialEq, Eq)]
enum UKind {
    Stream,
    Dgram,
}

fn kind_arg(args: &Args) -> R<UKind> {
    match args.string("kind")? {
        "stream" => Ok(UKind::Stream),
        "dgram" => Ok(UKind::Dgram),
        "seqpacket" => Err(unsupported("tokio has no seqpacket sockets")),
        other => Err(bad(format!("unknown Unix socket kind '{other}'"))),
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

/// The path tokio takes: a leading NUL is the abstract namespace, the empty path autobinds.
fn tokio_path(address: &UAddr) -> PathBuf {
    match address {
        UAddr::Path(p) => PathBuf::from(p),
        UAddr::Abstract(name) => PathBuf::from(OsString::from_vec([&[0u8][..], name].concat())),
        UAddr::Autobind | UAddr::Unnamed => PathBuf::new(),
    }
}

/// tokio's `UnixSocket` refuses the wrong kind with `io::Error::other` and no errno; the
/// kernel's name for the same refusal is EOPNOTSUPP.
fn kind_refusal(e: io::Error, context: &str) -> OpError {
    if e.raw_os_error().is_none() && e.kind() == ErrorKind::Other {
        supply(
            "EOPNOTSUPP",
            format!("{context}: {e} (tokio's refusal, no errno)"),
        )
    } else {
        io_fail(e, context)
    }
}

fn new_socket(kind: UKind) -> R<UnixSocket> {
    match kind {
        UKind::Stream => UnixSocket::new_stream(),
        UKind::Dgram => UnixSocket::new_datagram(),
    }
    .map_err(|e| io_fail(e, "socket"))
}

/// `serve.start`'s `address` for kinds `unix` / `unixgram`: a path or an abstract name.
pub(crate) fn server_path(args: &Args) -> R<PathBuf> {
    match peer_address(args, "address")? {
        Some(a) => Ok(tokio_path(&a)),
        None => Err(bad("missing argument 'address'")),
    }
}

impl Adapter {
    pub(crate) fn op_unix_listen(&mut self, args: &Args) -> R<Value> {
        let kind = kind_arg(args)?;
        let address = required_address(args, "address", true)?;
        let backlog = args.int_or("backlog", Some(128))?;
        let backlog = u32::try_from(backlog).map_err(|_| {
            supply(
                "EINVAL",
                format!("backlog {backlog} does not fit UnixSocket::listen's u32"),
            )
        })?;
        // UnixSocket: tokio's way to choose the backlog (UnixListener::bind takes none).
        let socket = new_socket(kind)?;
        if !matches!(address, UAddr::Unnamed) {
            socket
                .bind(tokio_path(&address))
                .map_err(|e| io_fail(e, "bind"))?;
        }
        let listener = socket
            .listen(backlog)
            .map_err(|e| kind_refusal(e, "listen"))?;
        let local = listener
            .local_addr()
            .map_err(|e| io_fail(e, "local_addr"))?;
        let handle = self.register(Family::Unix, Kind::UnixListener(listener));
        Ok(json!({"handle": handle, "local": unix_json(&local)}))
    }

    pub(crate) async fn op_unix_accept(&mut self, args: &Args<'_>) -> R<Value> {
        let timeout = args.timeout()?;
        let entry = self.entry(args)?;
        let Kind::UnixListener(listener) = &entry.kind else {
            return Err(not_offered(&entry.kind, "accept"));
        };
        let (stream, peer) = waiting(timeout, "accept", listener.accept()).await?;
        let local = stream.local_addr().map_err(|e| io_fail(e, "local_addr"))?;
        let handle = self.register(Family::Unix, Kind::UnixStream(stream));
        Ok(with_handle(handle, unix_json(&local), unix_json(&peer)))
    }

    pub(crate) async fn op_unix_connect(&mut self, args: &Args<'_>) -> R<Value> {
        let kind = kind_arg(args)?;
        let address =
            peer_address(args, "address")?.ok_or_else(|| bad("missing argument 'address'"))?;
        let bind = address_arg(args, "bind", true)?;
        let timeout = args.timeout()?;
        let path = tokio_path(&address);
        match kind {
            UKind::Stream => {
                let outcome = match &bind {
                    None => within(timeout, UnixStream::connect(&path)).await,
                    Some(b) => {
                        let socket = new_socket(kind)?;
                        if !matches!(b, UAddr::Unnamed) {
                            socket.bind(tokio_path(b)).map_err(|e| io_fail(e, "bind"))?;
                        }
                        within(timeout, socket.connect(&path)).await
                    }
                };
                let stream = match outcome {
                    Within::Done(r) => r.map_err(|e| io_fail(e, "connect"))?,
                    Within::Pending if timeout == 0.0 => {
                        return Err(fail("EAGAIN", "connect: would block (timeout 0)"))
                    }
                    Within::Pending => {
                        return Err(fail(
                            "ETIMEDOUT",
                            format!("connect: timed out after {timeout} s"),
                        ))
                    }
                };
                let local = stream.local_addr().map_err(|e| io_fail(e, "local_addr"))?;
                let peer = stream.peer_addr().map_err(|e| io_fail(e, "peer_addr"))?;
                let handle = self.register(Family::Unix, Kind::UnixStream(stream));
                Ok(with_handle(handle, unix_json(&local), unix_json(&peer)))
            }
            UKind::Dgram => {
                let socket = match &bind {
                    None | Some(UAddr::Unnamed) => UnixDatagram::unbound(),
                    Some(b) => UnixDatagram::bind(tokio_path(b)),
                }
                .map_err(|e| io_fail(e, "bind"))?;
                socket.connect(&path).map_err(|e| io_fail(e, "connect"))?;
                let local = socket.local_addr().map_err(|e| io_fail(e, "local_addr"))?;
                let peer = socket.peer_addr().map_err(|e| io_fail(e, "peer_addr"))?;
                let handle = self.register(Family::Unix, Kind::UnixDatagram(socket));
                Ok(with_handle(handle, unix_json(&local), unix_json(&peer)))
            }
        }
    }

    pub(crate) fn op_unix_bind(&mut self, args: &Args) -> R<Value> {
        let kind = kind_arg(args)?;
        let address = required_address(args, "address", true)?;
        let (handle, local) = match kind {
            UKind::Dgram => {
                let socket = match &address {
                    UAddr::Unnamed => UnixDatagram::unbound(),
                    other => UnixDatagram::bind(tokio_path(other)),
                }
                .map_err(|e| io_fail(e, "bind"))?;
                let local = socket.local_addr().map_err(|e| io_fail(e, "local_addr"))?;
                (
                    self.register(Family::Unix, Kind::UnixDatagram(socket)),
                    unix_json(&local),
                )
            }
            UKind::Stream => {
                // a bound stream socket that neither listens nor connects: tokio's UnixSocket
                let socket = new_socket(kind)?;
                if !matches!(address, UAddr::Unnamed) {
                    socket
                        .bind(tokio_path(&address))
                        .map_err(|e| io_fail(e, "bind"))?;
                }
                // tokio's UnixSocket reports no address: socket2's getsockname
                let local = socket2::SockRef::from(&socket)
                    .local_addr()
                    .map_err(|e| io_fail(e, "local_addr"))?;
                (
                    self.register(Family::Unix, Kind::UnixSocket(socket)),
                    sockaddr_json(&local),
                )
            }
        };
        Ok(json!({"handle": handle, "local": local}))
    }

    pub(crate) fn op_unix_socketpair(&mut self, args: &Args) -> R<Value> {
        let (a, b) = match kind_arg(args)? {
            UKind::Stream => {
                let (a, b) = UnixStream::pair().map_err(|e| io_fail(e, "socketpair"))?;
                (Kind::UnixStream(a), Kind::UnixStream(b))
            }
            UKind::Dgram => {
                let (a, b) = UnixDatagram::pair().map_err(|e| io_fail(e, "socketpair"))?;
                (Kind::UnixDatagram(a), Kind::UnixDatagram(b))
            }
        };
        let a = self.register(Family::Unix, a);
        let b = self.register(Family::Unix, b);
        Ok(json!({"handles": [a, b]}))
    }

    pub(crate) async fn op_unix_sendto(&mut self, args: &Args<'_>) -> R<Value> {
        let data = args.data()?;
        let timeout = args.timeout()?;
        if let Some(fds) = args.0.get("fds") {
            match fds.as_array() {
                Some(list) if list.is_empty() => {}
                Some(_) => return Err(unsupported("tokio has no SCM_RIGHTS (fds)")),
                None if fds.is_null() => {}
                None => return Err(bad("fds must be a list of handles")),
            }
        }
        let address = peer_address(args, "address")?;
        let entry = self.entry_mut(args)?;
        let sent = match (&mut entry.kind, &address) {
            (Kind::UnixDatagram(s), Some(a)) => {
                waiting(timeout, "send_to", s.send_to(&data, tokio_path(a))).await?
            }
            (Kind::UnixDatagram(s), None) => waiting(timeout, "send", s.send(&data)).await?,
            (Kind::UnixStream(_), _) if data.is_empty() => 0,
            (Kind::UnixStream(s), _) => waiting(timeout, "write", s.write(&data)).await?,
            (other, _) => return Err(not_offered(other, "send_to")),
        };
        Ok(json!({"sent": sent}))
    }

    pub(crate) async fn op_unix_recvfrom(&mut self, args: &Args<'_>) -> R<Value> {
        let max = max_arg(args)?.min(MAX_DATAGRAM);
        let timeout = args.timeout()?;
        if args.int_or("maxfds", Some(0))? > 0 {
            return Err(unsupported("tokio has no SCM_RIGHTS (maxfds)"));
        }
        let entry = self.entry_mut(args)?;
        match &mut entry.kind {
            Kind::UnixDatagram(s) => {
                // recv_from does not report MSG_TRUNC: one byte more than `max` tells.
                let mut buf = vec![0u8; max + 1];
                let (n, peer) = waiting(timeout, "recv_from", s.recv_from(&mut buf)).await?;
                Ok(json!({
                    "data": BASE64.encode(&buf[..n.min(max)]),
                    "peer": unix_json(&peer),
                    "truncated": n > max,
                    "fds": [],
                    "ctrunc": false,
                    "emulated": ["truncated"],
                }))
            }
            Kind::UnixStream(s) => {
                let mut buf = vec![0u8; max];
                let n = waiting(timeout, "read", s.read(&mut buf)).await?;
                let peer = s.peer_addr().map_err(|e| io_fail(e, "peer_addr"))?;
                Ok(json!({
                    "data": BASE64.encode(&buf[..n]),
                    "peer": unix_json(&peer),
                    "truncated": false,
                    "fds": [],
                    "ctrunc": false,
                }))
            }
            other => Err(not_offered(other, "recv_from")),
        }
    }

    pub(crate) fn op_unix_peercred(&mut self, args: &Args) -> R<Value> {
        let entry = self.entry(args)?;
        let Kind::UnixStream(s) = &entry.kind else {
            return Err(not_offered(&entry.kind, "peer_cred"));
        };
        let cred = s.peer_cred().map_err(|e| io_fail(e, "peer_cred"))?;
        Ok(json!({"pid": cred.pid().unwrap_or(0), "uid": cred.uid(), "gid": cred.gid()}))
    }

    pub(crate) fn op_unix_unlink(&mut self, args: &Args) -> R<Value> {
        match required_address(args, "address", true)? {
            UAddr::Path(p) => {
                std::fs::remove_file(&p).map_err(|e| io_fail(e, "unlink"))?;
                Ok(json!({}))
            }
            _ => Err(fail(
                "EINVAL",
                "only a pathname socket has a file to remove",
            )),
        }
    }
}
