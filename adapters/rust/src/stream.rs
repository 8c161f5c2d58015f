//! Stream (TCP) operations: `tcp.listen`, `tcp.socket`, `tcp.connect`, `tcp.accept` and
//! `stream.*`, over `std::net::TcpListener` / `TcpStream` (socket2 only where std has no way).

use crate::adapter::Adapter;
use crate::address::{address_json, stream_endpoints, with_handle};
use crate::args::{duration, socket_addr, Args};
use crate::errors::{bad, fail, io_fail, supply, R};
use crate::flags::{blocking_call, recv_waitall, Flags};
use crate::options::set_option;
use crate::sockets::{as_uninit, configured, not_offered, Kind};
use crate::unix::{unix_read, unix_write};
use crate::wait::{wait_ready, waiting};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::{json, Value};
use socket2::Type;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::time::{Duration, Instant};

pub(crate) const MAX_STREAM_READ: usize = 4 << 20; // a stream recv may return fewer than `max` bytes

impl Adapter {
    pub(crate) fn op_tcp_listen(&mut self, args: &Args) -> R<Value> {
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
            let socket = configured(family, Type::STREAM, None, &options, false)?;
            socket.bind(&addr.into()).map_err(|e| io_fail(e, "bind"))?;
            let backlog =
                i32::try_from(backlog).map_err(|_| supply("EINVAL", "backlog out of range"))?;
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

    pub(crate) fn op_tcp_socket(&mut self, args: &Args) -> R<Value> {
        let family = args.family()?;
        let options = args.options()?;
        let socket = configured(family, Type::STREAM, None, &options, false)?;
        socket
            .set_nonblocking(true)
            .map_err(|e| io_fail(e, "set_nonblocking"))?;
        let handle = self.register(family, Kind::Unconnected(socket));
        Ok(json!({"handle": handle}))
    }

    pub(crate) fn op_tcp_connect(&mut self, args: &Args) -> R<Value> {
        if !matches!(args.0.get("handle"), None | Some(Value::Null)) {
            return self.op_tcp_connect_handle(args);
        }
        let family = args.family()?;
        let addr = socket_addr(family, args.string("host")?, args.int("port")?)?;
        let bind = args.object("bind")?;
        let timeout = args.timeout()?;
        let options = args.options()?;
        let stream = if bind.is_none() && options.is_empty() && timeout != 0.0 {
            // The plain path: std's connect_timeout (std refuses a zero timeout itself).
            TcpStream::connect_timeout(&addr, duration(timeout))
                .map_err(|e| io_fail(e, "TcpStream::connect_timeout"))?
        } else {
            let socket = configured(family, Type::STREAM, None, &options, false)?;
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
                // std has no connect that does not wait (connect_timeout refuses a zero
                // duration): socket2's non-blocking connect completes now, or answers the
                // kernel's EINPROGRESS (and the socket is dropped, closed, on the way out).
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

    /// `tcp.connect` with `handle` (1.5): std has no connect on an existing socket, socket2
    /// has (`connect`, `connect_timeout`; through `SockRef` for std's own types). A failure
    /// leaves the handle open; an unconnected socket that connects becomes a `TcpStream`.
    fn op_tcp_connect_handle(&mut self, args: &Args) -> R<Value> {
        let handle = args.handle()?;
        let family = args.family()?;
        let bind = args.object("bind")?;
        let timeout = args.timeout()?;
        let options = args.options()?;
        let entry = self.entry(args)?;
        let addr = socket_addr(entry.family, args.string("host")?, args.int("port")?)?;
        let _ = family; // sent, but the socket's own family decides
        if !matches!(
            entry.kind,
            Kind::Unconnected(_) | Kind::Stream(_) | Kind::Listener(_)
        ) {
            return Err(not_offered(&entry.kind, "TCP connect"));
        }
        for (name, value) in &options {
            set_option(entry, name, value)?;
        }
        let sref = entry.kind.sref();
        if let Some(bind) = bind {
            let local = Args(bind);
            let local = socket_addr(
                entry.family,
                local.string("host")?,
                local.int_or("port", Some(0))?,
            )?;
            sref.bind(&local.into()).map_err(|e| io_fail(e, "bind"))?;
        }
        let result = if timeout == 0.0 {
            sref.connect(&addr.into())
                .map_err(|e| io_fail(e, "connect"))
        } else {
            // socket2's connect_timeout leaves the socket blocking: the adapter's mode is
            // put back whatever the outcome.
            let r = sref
                .connect_timeout(&addr.into(), duration(timeout))
                .map_err(|e| io_fail(e, "connect_timeout"));
            sref.set_nonblocking(true)
                .map_err(|e| io_fail(e, "set_nonblocking"))?;
            r
        };
        result?;
        if matches!(entry.kind, Kind::Unconnected(_)) {
            let entry = self.sockets.remove(&handle).expect("looked up above");
            let Kind::Unconnected(socket) = entry.kind else {
                unreachable!()
            };
            let stream: TcpStream = socket.into();
            self.sockets.insert(
                handle,
                crate::sockets::Entry {
                    family: entry.family,
                    kind: Kind::Stream(stream),
                },
            );
        }
        let entry = self.entry(args)?;
        let result = match &entry.kind {
            Kind::Stream(s) => stream_endpoints(s)?,
            _ => unreachable!("a socket that connected"),
        };
        Ok(with_handle(handle, result))
    }

    pub(crate) fn op_tcp_accept(&mut self, args: &Args) -> R<Value> {
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

    pub(crate) fn op_stream_send(&mut self, args: &Args) -> R<Value> {
        let entry = self.entry(args)?;
        let data = args.data()?;
        let timeout = args.timeout()?;
        let f = Flags::read(args, &["dontwait", "oob", "blocking"])?;
        let timeout = if f.dontwait { 0.0 } else { timeout };
        if data.is_empty() {
            return Ok(json!({"sent": 0}));
        }
        let fd = entry.kind.fd();
        let kind = &entry.kind;
        let write_once = |chunk: &[u8]| -> io::Result<usize> {
            match kind {
                Kind::Stream(s) => (&*s).write(chunk),
                Kind::Unconnected(s) => s.send(chunk),
                other => unix_write(other, chunk).expect("a Unix kind"),
            }
        };
        if !matches!(
            kind,
            Kind::Stream(_)
                | Kind::Unconnected(_)
                | Kind::UnixStream(_)
                | Kind::UnixDatagram(_)
                | Kind::UnixSocket(_)
        ) {
            return Err(not_offered(kind, "stream send"));
        }
        let sent = if f.oob {
            // MSG_OOB: socket2's send_out_of_band (the last byte is urgent).
            let sref = kind.sref();
            waiting(fd, libc::POLLOUT, timeout, "send MSG_OOB", || {
                sref.send_out_of_band(&data)
            })?
        } else if f.blocking {
            blocking_call(kind, "write", || write_once(&data))?
        } else {
            send_some(fd, &data, timeout, write_once)?
        };
        Ok(json!({"sent": sent}))
    }

    pub(crate) fn op_stream_recv(&mut self, args: &Args) -> R<Value> {
        let entry = self.entry(args)?;
        let timeout = args.timeout()?;
        let max = args.int("max")?;
        if max < 1 {
            return Err(bad("max must be >= 1"));
        }
        let f = Flags::read(args, &["peek", "waitall", "dontwait", "oob", "blocking"])?;
        // MSG_DONTWAIT: one attempt; the adapter's sockets are non-blocking already.
        let timeout = if f.dontwait { 0.0 } else { timeout };
        let mut buffer = vec![0u8; (max as u64).min(MAX_STREAM_READ as u64) as usize];
        let fd = entry.kind.fd();
        let kind = &entry.kind;
        if !matches!(
            kind,
            Kind::Stream(_)
                | Kind::Unconnected(_)
                | Kind::UnixStream(_)
                | Kind::UnixDatagram(_)
                | Kind::UnixSocket(_)
        ) {
            return Err(not_offered(kind, "stream receive"));
        }
        if f.oob {
            // MSG_OOB: socket2's recv_out_of_band, one attempt, never waiting.
            let n = kind
                .sref()
                .recv_out_of_band(as_uninit(&mut buffer))
                .map_err(|e| io_fail(e, "recv MSG_OOB"))?;
            return Ok(json!({"data": BASE64.encode(&buffer[..n])}));
        }
        if f.waitall && !f.peek {
            let n = recv_waitall(kind, &mut buffer, timeout)?;
            return Ok(json!({"data": BASE64.encode(&buffer[..n])}));
        }
        let peek = f.peek;
        let attempt = |buffer: &mut [u8]| -> io::Result<usize> {
            match kind {
                Kind::Stream(s) if peek => s.peek(buffer), // std's TcpStream::peek
                Kind::Stream(s) => (&*s).read(buffer),
                other if peek => other.sref().peek(as_uninit(buffer)), // socket2's peek
                Kind::Unconnected(s) => s.recv(as_uninit(buffer)),
                other => unix_read(other, buffer).expect("a Unix kind"),
            }
        };
        let n = if f.blocking {
            blocking_call(kind, "read", || attempt(&mut buffer))?
        } else {
            waiting(fd, libc::POLLIN, timeout, "read", || attempt(&mut buffer))?
        };
        // Zero bytes from read(): end of stream, sent as empty data.
        Ok(json!({"data": BASE64.encode(&buffer[..n])}))
    }

    pub(crate) fn op_stream_shutdown(&mut self, args: &Args) -> R<Value> {
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
            Kind::UnixStream(s) => s.shutdown(how).map_err(|e| io_fail(e, "shutdown"))?,
            Kind::UnixDatagram(s) => s.shutdown(how).map_err(|e| io_fail(e, "shutdown"))?,
            Kind::UnixSocket(s) => s.shutdown(how).map_err(|e| io_fail(e, "shutdown"))?,
            other => return Err(not_offered(other, "shutdown")),
        }
        Ok(json!({}))
    }

    pub(crate) fn op_stream_abort(&mut self, args: &Args) -> R<Value> {
        let handle = args.handle()?;
        let entry = self.entry(args)?;
        match &entry.kind {
            // std's TcpStream::set_linger is unstable (feature tcp_linger): socket2's.
            // std has no linger on Unix sockets either: socket2's.
            Kind::Stream(_) | Kind::Unconnected(_) | Kind::UnixStream(_) | Kind::UnixSocket(_) => {
                entry
                    .kind
                    .sref()
                    .set_linger(Some(Duration::ZERO))
                    .map_err(|e| io_fail(e, "set_linger"))?
            }
            other => return Err(not_offered(other, "abortive close")),
        }
        drop(self.sockets.remove(&handle)); // close(2) with linger 0: RST
        Ok(json!({}))
    }
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
