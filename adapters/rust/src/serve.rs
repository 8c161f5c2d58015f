//! `serve.start` / `serve.stop` (protocol 1.2): echo servers written the way the std docs
//! show a server, running on threads of their own while the request loop goes on.
//!
//! TCP: `TcpListener::bind`, then `for stream in listener.incoming()` on an accept thread and
//! one thread per connection (the `TcpListener` documentation's example), every socket in
//! std's default blocking mode. A session reads into a bounded buffer and `write_all`s what
//! it read before reading again, so a client that does not read its echo blocks its own
//! session's `write_all` once the kernel's buffers are full, and that session stops reading
//! (back-pressure by std's blocking I/O); the other sessions' threads go on. On end of
//! stream (`read` → 0) everything read has been written: `shutdown(Write)` sends the FIN,
//! and the socket is dropped (closed) with nothing unread, so no RST. Any error (reset,
//! broken pipe) ends that session's thread only.
//!
//! UDP: `UdpSocket::bind`, then `recv_from` / `send_to` on a thread of its own, into a
//! buffer larger than any datagram, zero-length datagrams included.
//!
//! Stopping: std's `accept` and `recv_from` block and std has no way to interrupt them.
//! `serve.stop` sets a flag, then wakes the blocked call the way std users do: one
//! connection to the listener (TCP) or one empty datagram to the socket (UDP), after which
//! the thread sees the flag and returns. Fallbacks, for when the wake-up cannot get through
//! (a full accept queue, a full receive buffer): the TCP listener is shut down through
//! socket2's `SockRef` (on Linux `shutdown(SHUT_RD)` on a listening socket makes a blocked
//! `accept` fail with EINVAL); the UDP socket has a read timeout (`set_read_timeout`) so its
//! thread looks at the flag at least every `UDP_POLL`. Then every live session is shut down
//! (`TcpStream::shutdown(Both)` on the session's shared stream, which wakes its blocked
//! read or write) and its thread joined.

use crate::adapter::Adapter;
use crate::address::address_json;
use crate::args::{socket_addr, Args};
use crate::errors::{bad, fail, io_fail, supply, R};
use crate::sockets::{Entry, Kind};
use serde_json::{json, Value};
use socket2::SockRef;
use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{
    IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket,
};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// What one TCP session reads at a time, and so at most what it holds unsent.
const SESSION_BUFFER: usize = 64 << 10;
/// Larger than any UDP payload: a datagram is never cut.
const DATAGRAM_BUFFER: usize = 65536;
/// How often a UDP server thread looks at its stop flag if the wake-up datagram is lost.
const UDP_POLL: Duration = Duration::from_millis(200);
/// How long the wake-up connection may take before the listener is shut down instead.
const WAKE_TIMEOUT: Duration = Duration::from_millis(500);

/// A running echo server; dropping it stops it (so `reset` and `close` stop it too).
pub(crate) struct Server {
    socket: ServerSocket,
    local: SocketAddr,
    stopping: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    sessions: Arc<Sessions>,
}

enum ServerSocket {
    Tcp(Arc<TcpListener>),
    Udp(Arc<UdpSocket>),
}

/// The live TCP sessions, so that `stop` can end them; a session removes itself when done,
/// which drops the last reference to its socket but the session thread's own.
#[derive(Default)]
struct Sessions {
    live: Mutex<HashMap<u64, Session>>,
    accepted: AtomicU64,
}

struct Session {
    stream: Arc<TcpStream>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    pub(crate) fn fd(&self) -> RawFd {
        match &self.socket {
            ServerSocket::Tcp(l) => l.as_raw_fd(),
            ServerSocket::Udp(s) => s.as_raw_fd(),
        }
    }

    pub(crate) fn sref(&self) -> SockRef<'_> {
        match &self.socket {
            ServerSocket::Tcp(l) => SockRef::from(&**l),
            ServerSocket::Udp(s) => SockRef::from(&**s),
        }
    }

    pub(crate) fn local(&self) -> SocketAddr {
        self.local
    }

    fn start_tcp(addr: SocketAddr) -> R<Server> {
        // std's own bind: SO_REUSEADDR, then listen(fd, 128). std takes no backlog.
        let listener =
            Arc::new(TcpListener::bind(addr).map_err(|e| io_fail(e, "TcpListener::bind"))?);
        let local = listener
            .local_addr()
            .map_err(|e| io_fail(e, "local_addr"))?;
        let stopping = Arc::new(AtomicBool::new(false));
        let sessions = Arc::new(Sessions::default());
        let thread = {
            let (listener, stopping, sessions) =
                (listener.clone(), stopping.clone(), sessions.clone());
            thread::Builder::new()
                .name(format!("serve-tcp-{}", local.port()))
                .spawn(move || accept_loop(&listener, &stopping, &sessions))
                .map_err(|e| io_fail(e, "thread::spawn"))?
        };
        Ok(Server {
            socket: ServerSocket::Tcp(listener),
            local,
            stopping,
            thread: Some(thread),
            sessions,
        })
    }

    fn start_udp(addr: SocketAddr) -> R<Server> {
        let socket = UdpSocket::bind(addr).map_err(|e| io_fail(e, "UdpSocket::bind"))?;
        socket
            .set_read_timeout(Some(UDP_POLL))
            .map_err(|e| io_fail(e, "set_read_timeout"))?;
        let socket = Arc::new(socket);
        let local = socket.local_addr().map_err(|e| io_fail(e, "local_addr"))?;
        let stopping = Arc::new(AtomicBool::new(false));
        let thread = {
            let (socket, stopping) = (socket.clone(), stopping.clone());
            thread::Builder::new()
                .name(format!("serve-udp-{}", local.port()))
                .spawn(move || datagram_loop(&socket, &stopping))
                .map_err(|e| io_fail(e, "thread::spawn"))?
        };
        Ok(Server {
            socket: ServerSocket::Udp(socket),
            local,
            stopping,
            thread: Some(thread),
            sessions: Arc::new(Sessions::default()),
        })
    }

    /// Stops accepting, ends every session, joins every thread; the connections accepted
    /// (TCP; datagrams have no sessions).
    fn stop(&mut self) -> Option<u64> {
        let tcp = matches!(self.socket, ServerSocket::Tcp(_));
        let accepted = || tcp.then(|| self.sessions.accepted.load(Ordering::SeqCst));
        let Some(thread) = self.thread.take() else {
            return accepted();
        };
        self.stopping.store(true, Ordering::SeqCst);
        let target = wake_address(self.local);
        match &self.socket {
            ServerSocket::Tcp(listener) => {
                // The wake-up connection: accept returns it, the loop sees the flag.
                if TcpStream::connect_timeout(&target, WAKE_TIMEOUT).is_err() {
                    let _ = SockRef::from(&**listener).shutdown(Shutdown::Read);
                }
            }
            ServerSocket::Udp(_) => {
                // The wake-up datagram (or, if it is lost, the read timeout).
                let any = if target.is_ipv4() {
                    "0.0.0.0:0"
                } else {
                    "[::]:0"
                };
                if let Ok(waker) = UdpSocket::bind(any) {
                    let _ = waker.send_to(&[], target);
                }
            }
        }
        let _ = thread.join();
        let live: Vec<Session> = self
            .sessions
            .live
            .lock()
            .unwrap()
            .drain()
            .map(|(_, s)| s)
            .collect();
        for session in &live {
            let _ = session.stream.shutdown(Shutdown::Both); // wakes its read or write
        }
        for mut session in live {
            if let Some(thread) = session.thread.take() {
                let _ = thread.join();
            }
        }
        accepted()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Where to send the wake-up: the server's own address, or loopback if it is a wildcard.
fn wake_address(local: SocketAddr) -> SocketAddr {
    let ip = match local.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, local.port())
}

/// The std docs' accept loop: `incoming()`, one thread per connection.
fn accept_loop(listener: &TcpListener, stopping: &AtomicBool, sessions: &Arc<Sessions>) {
    let mut next_id: u64 = 0;
    for stream in listener.incoming() {
        if stopping.load(Ordering::SeqCst) {
            break; // the wake-up connection (or a late client): dropped
        }
        let stream = match stream {
            Ok(stream) => Arc::new(stream),
            Err(e) => {
                // A connection that failed before it was accepted (ECONNABORTED), or out of
                // descriptors (EMFILE): the listener goes on; a short pause avoids spinning.
                eprintln!("sockspec-adapter-rust: serve: accept: {e}");
                if !matches!(
                    e.kind(),
                    ErrorKind::ConnectionAborted | ErrorKind::Interrupted
                ) {
                    thread::sleep(Duration::from_millis(10));
                }
                continue;
            }
        };
        sessions.accepted.fetch_add(1, Ordering::SeqCst);
        next_id += 1;
        let id = next_id;
        // Registered before its thread starts, so a session that ends at once still finds
        // itself to remove.
        sessions.live.lock().unwrap().insert(
            id,
            Session {
                stream: stream.clone(),
                thread: None,
            },
        );
        let own = sessions.clone();
        let spawned = thread::Builder::new()
            .name(format!("serve-session-{id}"))
            .spawn(move || {
                echo_session(&stream);
                own.live.lock().unwrap().remove(&id);
                // `stream` drops here: its last reference, so the socket is closed.
            });
        let mut live = sessions.live.lock().unwrap();
        match spawned {
            Ok(thread) => {
                if let Some(session) = live.get_mut(&id) {
                    session.thread = Some(thread);
                }
            }
            Err(e) => {
                eprintln!("sockspec-adapter-rust: serve: thread::spawn: {e}");
                live.remove(&id); // the connection is dropped (closed)
            }
        }
    }
}

/// One session: read, write all of it back, again, until end of stream or an error.
fn echo_session(stream: &TcpStream) {
    let mut buffer = vec![0u8; SESSION_BUFFER];
    let mut reader = stream;
    let mut writer = stream;
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => {
                // The client's FIN: all it sent has been echoed; ours follows. The socket is
                // closed when the last reference drops, with nothing unread: FIN, not RST.
                let _ = stream.shutdown(Shutdown::Write);
                return;
            }
            Ok(n) => {
                if writer.write_all(&buffer[..n]).is_err() {
                    return; // reset, broken pipe: this session only
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return,
        }
    }
}

/// The datagram echo: each datagram back whole to its sender, in the order received.
fn datagram_loop(socket: &UdpSocket, stopping: &AtomicBool) {
    let mut buffer = vec![0u8; DATAGRAM_BUFFER];
    while !stopping.load(Ordering::SeqCst) {
        match socket.recv_from(&mut buffer) {
            Ok((n, sender)) => {
                if stopping.load(Ordering::SeqCst) {
                    break; // the wake-up datagram
                }
                if let Err(e) = socket.send_to(&buffer[..n], sender) {
                    eprintln!("sockspec-adapter-rust: serve: send_to {sender}: {e}");
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) => {}
            Err(e) => {
                // e.g. an ICMP error reported on the socket: the server goes on.
                eprintln!("sockspec-adapter-rust: serve: recv_from: {e}");
            }
        }
    }
}

impl Adapter {
    pub(crate) fn op_serve_start(&mut self, args: &Args) -> R<Value> {
        let kind = args.string("kind")?;
        let family = args.family()?;
        let addr = socket_addr(family, args.string("host")?, args.int_or("port", Some(0))?)?;
        // `backlog` is read for its type only: std's TcpListener::bind takes none (128).
        let _backlog = args.int_or("backlog", Some(1024))?;
        let server = match kind {
            "tcp" => Server::start_tcp(addr)?,
            "udp" => Server::start_udp(addr)?,
            other => return Err(bad(format!("unknown serve kind '{other}'"))),
        };
        let local = server.local();
        let handle = self.register(family, Kind::Server(server));
        Ok(json!({"handle": handle, "local": address_json(local)}))
    }

    pub(crate) fn op_serve_stop(&mut self, args: &Args) -> R<Value> {
        let handle = args.handle()?;
        match self.sockets.remove(&handle) {
            Some(Entry {
                kind: Kind::Server(mut server),
                ..
            }) => Ok(match server.stop() {
                Some(sessions) => json!({"sessions": sessions}),
                None => json!({}),
            }),
            Some(other) => {
                self.sockets.insert(handle, other); // not a server: left as it was
                Err(supply("EBADF", format!("handle {handle} is not a server")))
            }
            None => Err(fail("EBADF", format!("no open handle {handle}"))),
        }
    }
}
