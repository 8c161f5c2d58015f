//! `serve.start` / `serve.stop`: echo servers written the way tokio's documentation writes
//! them — `TcpListener::bind`, an accept loop that spawns a task per connection, each task a
//! `read` / `write_all` loop (tokio's README and `TcpListener` docs); for UDP a
//! `recv_from` / `send_to` loop (`UdpSocket` docs); the Unix-domain servers (`unix`,
//! `unixgram`) are the same code on `UnixListener::bind` and `UnixDatagram::bind`. They run as
//! tasks of the same current_thread runtime as the request loop, which goes on answering
//! meanwhile.

use crate::adapter::Adapter;
use crate::address::{address_json, unix_json};
use crate::args::{socket_addr, Args, Family};
use crate::errors::{bad, io_fail, supply, R};
use crate::sockets::Kind;
use serde_json::{json, Value};
use socket2::SockRef;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket, UnixDatagram, UnixListener};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

enum Socket {
    Tcp(Arc<TcpListener>),
    Udp(Arc<UdpSocket>),
    Unix(Arc<UnixListener>),
    Unixgram(Arc<UnixDatagram>),
}

pub(crate) struct Server {
    socket: Socket,
    local: Value,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Option<usize>>,
}

impl Server {
    pub(crate) fn local(&self) -> Value {
        self.local.clone()
    }

    pub(crate) fn sref(&self) -> SockRef<'_> {
        match &self.socket {
            Socket::Tcp(l) => SockRef::from(&**l),
            Socket::Udp(s) => SockRef::from(&**s),
            Socket::Unix(l) => SockRef::from(&**l),
            Socket::Unixgram(s) => SockRef::from(&**s),
        }
    }

    /// Stops accepting (or receiving), ends every session, and waits until the server's
    /// sockets are closed; the number of connections accepted (TCP).
    pub(crate) async fn stop(self) -> Option<usize> {
        let _ = self.stop.send(());
        let sessions = self.task.await.ok().flatten();
        drop(self.socket); // the last reference to the listener / UDP socket: closed
        sessions
    }
}

/// One connection, as tokio's README echoes: read, write everything read, until end of
/// stream or an error; the socket is dropped (closed) when the task ends.
async fn echo<S: AsyncRead + AsyncWrite + Unpin>(mut socket: S) {
    let mut buf = vec![0; 1024];
    loop {
        let n = match socket.read(&mut buf).await {
            Ok(0) => return, // the client half-closed: all is echoed, close
            Ok(n) => n,
            Err(_) => return,
        };
        if socket.write_all(&buf[0..n]).await.is_err() {
            return;
        }
    }
}

async fn tcp_server(listener: Arc<TcpListener>, mut stop: oneshot::Receiver<()>) -> Option<usize> {
    let mut sessions = JoinSet::new();
    let mut accepted = 0usize;
    loop {
        tokio::select! {
            _ = &mut stop => break,
            // finished sessions are reaped, so nothing of them is kept
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
            r = listener.accept() => match r {
                Ok((socket, _)) => {
                    accepted += 1;
                    sessions.spawn(echo(socket));
                }
                Err(e) => {
                    eprintln!("sockspec-adapter-tokio: echo server: accept: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            },
        }
    }
    sessions.shutdown().await; // every session task aborted and dropped: its socket closed
    Some(accepted)
}

/// The same accept loop on a `UnixListener`.
async fn unix_server(
    listener: Arc<UnixListener>,
    mut stop: oneshot::Receiver<()>,
) -> Option<usize> {
    let mut sessions = JoinSet::new();
    let mut accepted = 0usize;
    loop {
        tokio::select! {
            _ = &mut stop => break,
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
            r = listener.accept() => match r {
                Ok((socket, _)) => {
                    accepted += 1;
                    sessions.spawn(echo(socket));
                }
                Err(e) => {
                    eprintln!("sockspec-adapter-tokio: Unix echo server: accept: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            },
        }
    }
    sessions.shutdown().await;
    Some(accepted)
}

/// The UDP loop on a `UnixDatagram`. A datagram from an unnamed sender cannot be answered
/// (there is no address to send to) and is dropped; tokio's `send_to` takes a path, so a
/// sender with an abstract name is answered through the path with its leading NUL.
async fn unixgram_server(
    socket: Arc<UnixDatagram>,
    mut stop: oneshot::Receiver<()>,
) -> Option<usize> {
    let mut buf = vec![0u8; 1 << 20];
    loop {
        tokio::select! {
            _ = &mut stop => break,
            r = socket.recv_from(&mut buf) => match r {
                Ok((n, peer)) => {
                    if let Some(path) = peer.as_pathname() {
                        let _ = socket.send_to(&buf[..n], path).await;
                    } else if let Some(name) = peer.as_abstract_name() {
                        use std::os::unix::ffi::OsStringExt;
                        let path = std::ffi::OsString::from_vec([&[0u8][..], name].concat());
                        if let Err(e) = socket.send_to(&buf[..n], &path).await {
                            eprintln!("sockspec-adapter-tokio: Unix datagram echo server: send_to an abstract name: {e}");
                        }
                    }
                }
                Err(e) => eprintln!("sockspec-adapter-tokio: Unix datagram echo server: recv_from: {e}"),
            },
        }
    }
    None
}

async fn udp_server(socket: Arc<UdpSocket>, mut stop: oneshot::Receiver<()>) -> Option<usize> {
    // Larger than any datagram, so each is echoed whole (tokio's docs use 1024 bytes).
    let mut buf = vec![0u8; 65536];
    loop {
        tokio::select! {
            _ = &mut stop => break,
            r = socket.recv_from(&mut buf) => match r {
                Ok((n, peer)) => {
                    let _ = socket.send_to(&buf[..n], peer).await;
                }
                Err(e) => eprintln!("sockspec-adapter-tokio: echo server: recv_from: {e}"),
            },
        }
    }
    None
}

impl Adapter {
    pub(crate) async fn op_serve_start(&mut self, args: &Args<'_>) -> R<Value> {
        let kind = args.string("kind")?;
        if !matches!(kind, "tcp" | "udp" | "unix" | "unixgram") {
            return Err(bad(format!("unknown server kind '{kind}'")));
        }
        // `backlog` is read and not used: TcpListener::bind and UnixListener::bind take none
        // (mio 1.2 listens with 128 for TCP, as std does, and with -1, the system's maximum,
        // for Unix sockets on Linux).
        let _ = args.int_or("backlog", Some(1024))?;
        if kind == "unix" || kind == "unixgram" {
            return self.serve_unix(kind, args).await;
        }
        let family = args.family()?;
        let addr = socket_addr(family, args.string("host")?, args.int("port")?)?;
        let (stop, stopped) = oneshot::channel();
        let (socket, local, task) = match kind {
            "tcp" => {
                let listener = Arc::new(
                    TcpListener::bind(addr)
                        .await
                        .map_err(|e| io_fail(e, "bind"))?,
                );
                let local = listener
                    .local_addr()
                    .map_err(|e| io_fail(e, "local_addr"))?;
                let task = tokio::spawn(tcp_server(listener.clone(), stopped));
                (Socket::Tcp(listener), local, task)
            }
            "udp" => {
                let socket = Arc::new(
                    UdpSocket::bind(addr)
                        .await
                        .map_err(|e| io_fail(e, "bind"))?,
                );
                let local = socket.local_addr().map_err(|e| io_fail(e, "local_addr"))?;
                let task = tokio::spawn(udp_server(socket.clone(), stopped));
                (Socket::Udp(socket), local, task)
            }
            other => return Err(bad(format!("unknown server kind '{other}'"))),
        };
        let local = address_json(local);
        let server = Server {
            socket,
            local: local.clone(),
            stop,
            task,
        };
        let handle = self.register(family, Kind::Server(server));
        Ok(json!({"handle": handle, "local": local}))
    }

    async fn serve_unix(&mut self, kind: &str, args: &Args<'_>) -> R<Value> {
        let path = crate::unix::server_path(args)?;
        let (stop, stopped) = oneshot::channel();
        let (socket, local, task) = if kind == "unix" {
            let listener = Arc::new(UnixListener::bind(&path).map_err(|e| io_fail(e, "bind"))?);
            let local = listener
                .local_addr()
                .map_err(|e| io_fail(e, "local_addr"))?;
            let task = tokio::spawn(unix_server(listener.clone(), stopped));
            (Socket::Unix(listener), local, task)
        } else {
            let socket = Arc::new(UnixDatagram::bind(&path).map_err(|e| io_fail(e, "bind"))?);
            let local = socket.local_addr().map_err(|e| io_fail(e, "local_addr"))?;
            let task = tokio::spawn(unixgram_server(socket.clone(), stopped));
            (Socket::Unixgram(socket), local, task)
        };
        let local = unix_json(&local);
        let server = Server {
            socket,
            local: local.clone(),
            stop,
            task,
        };
        let handle = self.register(Family::Unix, Kind::Server(server));
        Ok(json!({"handle": handle, "local": local}))
    }

    pub(crate) async fn op_serve_stop(&mut self, args: &Args<'_>) -> R<Value> {
        let handle = args.handle()?;
        let entry = self.entry(args)?;
        if !matches!(entry.kind, Kind::Server(_)) {
            return Err(supply("EBADF", format!("handle {handle} is not a server")));
        }
        let Some(entry) = self.sockets.remove(&handle) else {
            unreachable!()
        };
        let Kind::Server(server) = entry.kind else {
            unreachable!()
        };
        Ok(match server.stop().await {
            Some(n) => json!({"sessions": n}),
            None => json!({}),
        })
    }
}
