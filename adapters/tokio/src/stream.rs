//! `tcp.*` and `stream.*`: `tokio::net::TcpSocket`, `TcpListener`, `TcpStream` (and
//! `UnixStream` for the stream operations on Unix handles), with `AsyncReadExt` /
//! `AsyncWriteExt`.

use crate::adapter::Adapter;
use crate::address::{address_json, with_handle};
use crate::args::{socket_addr, Args, Family};
use crate::errors::{bad, fail, io_fail, supply, unsupported, R};
use crate::options::apply;
use crate::ready::flag;
use crate::sockets::{not_offered, Kind};
use crate::wait::{waiting, within, Within};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::{json, Value};
use socket2::SockRef;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// The most one `stream.recv` reads (the protocol allows fewer bytes than `max`).
pub(crate) const MAX_STREAM_READ: usize = 1 << 20;

fn new_tcp_socket(family: Family) -> R<TcpSocket> {
    match family {
        Family::V6 => TcpSocket::new_v6(),
        _ => TcpSocket::new_v4(),
    }
    .map_err(|e| io_fail(e, "socket"))
}

/// A `TcpSocket` with the request's `options` applied (tokio's setters where it has them).
fn configured_socket(family: Family, args: &Args) -> R<TcpSocket> {
    let options = args.options()?;
    let kind = Kind::TcpSocket(new_tcp_socket(family)?);
    {
        let sref = kind.sref();
        apply(family, Some(&kind), &sref, &options)?;
    }
    match kind {
        Kind::TcpSocket(s) => Ok(s),
        _ => unreachable!(),
    }
}

pub(crate) fn max_arg(args: &Args) -> R<usize> {
    let max = args.int("max")?;
    if max < 1 {
        return Err(bad("max must be at least 1"));
    }
    Ok((max as usize).min(MAX_STREAM_READ))
}

impl Adapter {
    pub(crate) fn op_tcp_listen(&mut self, args: &Args) -> R<Value> {
        let family = args.family()?;
        let addr = socket_addr(family, args.string("host")?, args.int("port")?)?;
        let backlog = args.int_or("backlog", Some(128))?;
        let backlog = u32::try_from(backlog).map_err(|_| {
            supply(
                "EINVAL",
                format!("backlog {backlog} does not fit TcpSocket::listen's u32"),
            )
        })?;
        // TcpSocket: tokio's way to set options before bind and to choose the backlog
        // (TcpListener::bind takes neither).
        let socket = configured_socket(family, args)?;
        socket.bind(addr).map_err(|e| io_fail(e, "bind"))?;
        let listener = socket.listen(backlog).map_err(|e| io_fail(e, "listen"))?;
        let local = listener
            .local_addr()
            .map_err(|e| io_fail(e, "local_addr"))?;
        let handle = self.register(family, Kind::Listener(listener));
        Ok(json!({"handle": handle, "local": address_json(local)}))
    }

    pub(crate) fn op_tcp_socket(&mut self, args: &Args) -> R<Value> {
        let family = args.family()?;
        let socket = configured_socket(family, args)?;
        let handle = self.register(family, Kind::TcpSocket(socket));
        Ok(json!({"handle": handle}))
    }

    pub(crate) async fn op_tcp_connect(&mut self, args: &Args<'_>) -> R<Value> {
        let family = args.family()?;
        let addr = socket_addr(family, args.string("host")?, args.int("port")?)?;
        let timeout = args.timeout()?;
        let bind = match args.object("bind")? {
            Some(b) => {
                let b = Args(b);
                Some(socket_addr(family, b.string("host")?, b.int("port")?)?)
            }
            None => None,
        };
        let options = args.options()?;
        let outcome = if bind.is_none() && options.is_empty() {
            // the common path: TcpStream::connect
            within(timeout, TcpStream::connect(addr)).await
        } else {
            // TcpSocket: options, bind, then connect
            let socket = configured_socket(family, args)?;
            if let Some(b) = bind {
                socket.bind(b).map_err(|e| io_fail(e, "bind"))?;
            }
            within(timeout, socket.connect(addr)).await
        };
        let stream = match outcome {
            Within::Done(r) => r.map_err(|e| io_fail(e, "connect"))?,
            // the future (and its socket) is dropped: the connect is abandoned and closed
            Within::Pending if timeout == 0.0 => {
                return Err(supply(
                    "EINPROGRESS",
                    "connect: not established after one turn of the driver (timeout 0); \
                     tokio's connect future hides the kernel's EINPROGRESS",
                ))
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
        let handle = self.register(family, Kind::Stream(stream));
        Ok(with_handle(handle, address_json(local), address_json(peer)))
    }

    pub(crate) async fn op_tcp_accept(&mut self, args: &Args<'_>) -> R<Value> {
        let timeout = args.timeout()?;
        let entry = self.entry(args)?;
        let family = entry.family;
        let listener = match &entry.kind {
            Kind::Listener(l) => l,
            other => return Err(not_offered(other, "accept")),
        };
        let (stream, peer) = waiting(timeout, "accept", listener.accept()).await?;
        let local = stream.local_addr().map_err(|e| io_fail(e, "local_addr"))?;
        let handle = self.register(family, Kind::Stream(stream));
        Ok(with_handle(handle, address_json(local), address_json(peer)))
    }

    pub(crate) async fn op_stream_send(&mut self, args: &Args<'_>) -> R<Value> {
        let data = args.data()?;
        let timeout = args.timeout()?;
        let dontwait = flag(args, "dontwait")?;
        let entry = self.entry_mut(args)?;
        let sent = match &mut entry.kind {
            Kind::Stream(_) | Kind::UnixStream(_) if data.is_empty() => 0,
            // flag.dontwait: try_write, tokio's one attempt (WouldBlock is EAGAIN)
            Kind::Stream(s) if dontwait => {
                s.try_write(&data).map_err(|e| io_fail(e, "try_write"))?
            }
            Kind::UnixStream(s) if dontwait => {
                s.try_write(&data).map_err(|e| io_fail(e, "try_write"))?
            }
            // AsyncWriteExt::write: one write(2) once the socket is writable; what fits
            Kind::Stream(s) => waiting(timeout, "write", s.write(&data)).await?,
            Kind::UnixStream(s) => waiting(timeout, "write", s.write(&data)).await?,
            other => return Err(not_offered(other, "write (AsyncWrite)")),
        };
        Ok(json!({"sent": sent}))
    }

    pub(crate) async fn op_stream_recv(&mut self, args: &Args<'_>) -> R<Value> {
        let max = max_arg(args)?;
        let timeout = args.timeout()?;
        let peek = flag(args, "peek")?;
        let dontwait = flag(args, "dontwait")?;
        let entry = self.entry_mut(args)?;
        let mut buf = vec![0u8; max];
        let n = match &mut entry.kind {
            // flag.peek: TcpStream::peek (MSG_PEEK); with dontwait, polled once
            Kind::Stream(s) if peek => {
                waiting(
                    if dontwait { 0.0 } else { timeout },
                    "peek",
                    s.peek(&mut buf),
                )
                .await?
            }
            Kind::UnixStream(_) if peek => {
                return Err(unsupported("tokio::net::UnixStream has no peek"))
            }
            // flag.dontwait: try_read, tokio's one attempt (WouldBlock is EAGAIN)
            Kind::Stream(s) if dontwait => {
                s.try_read(&mut buf).map_err(|e| io_fail(e, "try_read"))?
            }
            Kind::UnixStream(s) if dontwait => {
                s.try_read(&mut buf).map_err(|e| io_fail(e, "try_read"))?
            }
            Kind::Stream(s) => waiting(timeout, "read", s.read(&mut buf)).await?,
            Kind::UnixStream(s) => waiting(timeout, "read", s.read(&mut buf)).await?,
            other => return Err(not_offered(other, "read (AsyncRead)")),
        };
        Ok(json!({"data": BASE64.encode(&buf[..n])}))
    }

    pub(crate) async fn op_stream_shutdown(&mut self, args: &Args<'_>) -> R<Value> {
        let how = args.string("how")?;
        if !matches!(how, "read" | "write" | "both") {
            return Err(bad(format!("unknown how '{how}'")));
        }
        let entry = self.entry_mut(args)?;
        if how != "write" {
            return Err(unsupported(format!(
                "{} has no read-side shutdown (AsyncWriteExt::shutdown is SHUT_WR only)",
                entry.kind.type_name()
            )));
        }
        match &mut entry.kind {
            Kind::Stream(s) => s.shutdown().await,
            Kind::UnixStream(s) => s.shutdown().await,
            other => return Err(not_offered(other, "shutdown (AsyncWrite)")),
        }
        .map_err(|e| io_fail(e, "shutdown"))?;
        Ok(json!({}))
    }

    pub(crate) fn op_stream_abort(&mut self, args: &Args) -> R<Value> {
        let handle = args.handle()?;
        let entry = self.entry(args)?;
        match &entry.kind {
            Kind::Stream(s) => s.set_zero_linger(),
            Kind::TcpSocket(s) => s.set_zero_linger(),
            // tokio's UnixStream has no linger accessor: socket2's
            Kind::UnixStream(s) => SockRef::from(s).set_linger(Some(Duration::ZERO)),
            other => return Err(not_offered(other, "abortive close")),
        }
        .map_err(|e| io_fail(e, "setsockopt linger 0"))?;
        self.sockets.remove(&handle); // dropped: close(2) with linger 0 sends RST
        Ok(json!({}))
    }
}
