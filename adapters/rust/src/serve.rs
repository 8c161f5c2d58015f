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
//! Unix-domain (1.4): the same accept loop and sessions on `UnixListener::bind_addr`
//! (`kind: "unix"`), the same datagram loop on `UnixDatagram::bind_addr` (`"unixgram"`);
//! abstract names through std's `SocketAddrExt`. A datagram from an unnamed sender has no
//! address to answer and is dropped. std's `UnixListener` and `UnixDatagram` do not remove
//! their socket file when dropped, and the adapter adds nothing: the file stays
//! (UNIX-NAME-014).
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
use crate::args::{socket_addr, Args, Family};
use crate::errors::{bad, fail, io_fail, supply, R};
use crate::sockets::{Entry, Kind};
use crate::unix::{serve_address, std_addr_json, wake_sockaddr};
use serde_json::{json, Value};
use socket2::{Domain, SockRef, Socket, Type};
use std::collections::HashMap;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{
    IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket,
};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::{SocketAddr as UnixAddr, UnixDatagram, UnixListener, UnixStream};
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
    local: Local,
    stopping: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    sessions: Arc<Sessions>,
}

enum ServerSocket {
    Tcp(Arc<TcpListener>),
    Udp(Arc<UdpSocket>),
    Unix(Arc<UnixListener>),
    Unixgram(Arc<UnixDatagram>),
}

/// The server's own address, as its socket reports it.
enum Local {
    Ip(SocketAddr),
    Unix(UnixAddr),
}

/// A connection a session echoes: std's `TcpStream` or `UnixStream`, both read and written
/// through a shared reference (`impl Read for &TcpStream`, `&UnixStream`).
trait EchoStream: Send + Sync + 'static {
    fn read_some(&self, buffer: &mut [u8]) -> io::Result<usize>;
    fn write_all_of(&self, data: &[u8]) -> io::Result<()>;
    fn shut(&self, how: Shutdown) -> io::Result<()>;
}

macro_rules! echo_stream {
    ($t:ty) => {
        impl EchoStream for $t {
            fn read_some(&self, buffer: &mut [u8]) -> io::Result<usize> {
                let mut reader = self;
                reader.read(buffer)
            }
            fn write_all_of(&self, data: &[u8]) -> io::Result<()> {
                let mut writer = self;
                writer.write_all(data)
            }
            fn shut(&self, how: Shutdown) -> io::Result<()> {
                self.shutdown(how)
            }
        }
    };
}
echo_stream!(TcpStream);
echo_stream!(UnixStream);

/// A datagram socket the echo loop serves: std's `UdpSocket` or `UnixDatagram`.
trait EchoDatagrams {
    type Peer: std::fmt::Debug;
    /// One datagram and its sender (`None`: an unnamed sender, which cannot be answered).
    fn receive(&self, buffer: &mut [u8]) -> io::Result<(usize, Option<Self::Peer>)>;
    fn reply(&self, data: &[u8], to: &Self::Peer) -> io::Result<usize>;
}

impl EchoDatagrams for UdpSocket {
    type Peer = SocketAddr;
    fn receive(&self, buffer: &mut [u8]) -> io::Result<(usize, Option<SocketAddr>)> {
        self.recv_from(buffer).map(|(n, sender)| (n, Some(sender)))
    }
    fn reply(&self, data: &[u8], to: &SocketAddr) -> io::Result<usize> {
        self.send_to(data, to)
    }
}

impl EchoDatagrams for UnixDatagram {
    type Peer = UnixAddr;
    fn receive(&self, buffer: &mut [u8]) -> io::Result<(usize, Option<UnixAddr>)> {
        self.recv_from(buffer)
            .map(|(n, sender)| (n, (!sender.is_unnamed()).then_some(sender)))
    }
    fn reply(&self, data: &[u8], to: &UnixAddr) -> io::Result<usize> {
        self.send_to_addr(data, to) // a pathname or an abstract name alike
    }
}

/// The live TCP sessions, so that `stop` can end them; a session removes itself when done,
/// which drops the last reference to its socket but the session thread's own.
#[derive(Default)]
struct Sessions {
    live: Mutex<HashMap<u64, Session>>,
    accepted: AtomicU64,
}

struct Session {
    stream: Arc<dyn EchoStream>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    pub(crate) fn fd(&self) -> RawFd {
        match &self.socket {
            ServerSocket::Tcp(l) => l.as_raw_fd(),
            ServerSocket::Udp(s) => s.as_raw_fd(),
            ServerSocket::Unix(l) => l.as_raw_fd(),
            ServerSocket::Unixgram(s) => s.as_raw_fd(),
        }
    }

    pub(crate) fn sref(&self) -> SockRef<'_> {
        match &self.socket {
            ServerSocket::Tcp(l) => SockRef::from(&**l),
            ServerSocket::Udp(s) => SockRef::from(&**s),
            ServerSocket::Unix(l) => SockRef::from(&**l),
            ServerSocket::Unixgram(s) => SockRef::from(&**s),
        }
    }

    /// The server's address as the protocol writes it (`addr.local`, `serve.start`).
    pub(crate) fn local_json(&self) -> Value {
        match &self.local {
            Local::Ip(a) => address_json(*a),
            Local::Unix(a) => std_addr_json(a),
        }
    }

    /// The accept loop on its own thread; the rest of the server around it.
    fn stream_server(
        socket: ServerSocket,
        local: Local,
        name: String,
        serve: impl FnOnce(&AtomicBool, &Arc<Sessions>) + Send + 'static,
    ) -> R<Server> {
        let stopping = Arc::new(AtomicBool::new(false));
        let sessions = Arc::new(Sessions::default());
        let thread = {
            let (stopping, sessions) = (stopping.clone(), sessions.clone());
            thread::Builder::new()
                .name(name)
                .spawn(move || serve(&stopping, &sessions))
                .map_err(|e| io_fail(e, "thread::spawn"))?
        };
        Ok(Server {
            socket,
            local,
            stopping,
            thread: Some(thread),
            sessions,
        })
    }

    /// The datagram loop on its own thread; its socket wakes at least every `UDP_POLL`.
    fn datagram_server<D: EchoDatagrams + Send + Sync + 'static>(
        socket: ServerSocket,
        local: Local,
        name: String,
        datagrams: Arc<D>,
    ) -> R<Server> {
        let stopping = Arc::new(AtomicBool::new(false));
        let thread = {
            let stopping = stopping.clone();
            thread::Builder::new()
                .name(name)
                .spawn(move || datagram_loop(&*datagrams, &stopping))
                .map_err(|e| io_fail(e, "thread::spawn"))?
        };
        Ok(Server {
            socket,
            local,
            stopping,
            thread: Some(thread),
            sessions: Arc::new(Sessions::default()),
        })
    }

    fn start_tcp(addr: SocketAddr) -> R<Server> {
        // std's own bind: SO_REUSEADDR, then listen(fd, 128). std takes no backlog.
        let listener =
            Arc::new(TcpListener::bind(addr).map_err(|e| io_fail(e, "TcpListener::bind"))?);
        let local = listener
            .local_addr()
            .map_err(|e| io_fail(e, "local_addr"))?;
        let accepting = listener.clone();
        Server::stream_server(
            ServerSocket::Tcp(listener),
            Local::Ip(local),
            format!("serve-tcp-{}", local.port()),
            move |stopping, sessions| accept_loop(accepting.incoming(), stopping, sessions),
        )
    }

    fn start_udp(addr: SocketAddr) -> R<Server> {
        let socket = UdpSocket::bind(addr).map_err(|e| io_fail(e, "UdpSocket::bind"))?;
        socket
            .set_read_timeout(Some(UDP_POLL))
            .map_err(|e| io_fail(e, "set_read_timeout"))?;
        let socket = Arc::new(socket);
        let local = socket.local_addr().map_err(|e| io_fail(e, "local_addr"))?;
        Server::datagram_server(
            ServerSocket::Udp(socket.clone()),
            Local::Ip(local),
            format!("serve-udp-{}", local.port()),
            socket,
        )
    }

    fn start_unix(addr: &UnixAddr) -> R<Server> {
        // std's own bind and listen (std takes no backlog).
        let listener = Arc::new(
            UnixListener::bind_addr(addr).map_err(|e| io_fail(e, "UnixListener::bind_addr"))?,
        );
        let local = listener
            .local_addr()
            .map_err(|e| io_fail(e, "local_addr"))?;
        let accepting = listener.clone();
        Server::stream_server(
            ServerSocket::Unix(listener),
            Local::Unix(local),
            "serve-unix".into(),
            move |stopping, sessions| accept_loop(accepting.incoming(), stopping, sessions),
        )
    }

    fn start_unixgram(addr: &UnixAddr) -> R<Server> {
        let socket =
            UnixDatagram::bind_addr(addr).map_err(|e| io_fail(e, "UnixDatagram::bind_addr"))?;
        socket
            .set_read_timeout(Some(UDP_POLL))
            .map_err(|e| io_fail(e, "set_read_timeout"))?;
        let socket = Arc::new(socket);
        let local = socket.local_addr().map_err(|e| io_fail(e, "local_addr"))?;
        Server::datagram_server(
            ServerSocket::Unixgram(socket.clone()),
            Local::Unix(local),
            "serve-unixgram".into(),
            socket,
        )
    }

    /// Stops accepting, ends every session, joins every thread; the connections accepted
    /// (TCP; datagrams have no sessions).
    fn stop(&mut self) -> Option<u64> {
        let tcp = matches!(self.socket, ServerSocket::Tcp(_) | ServerSocket::Unix(_));
        let accepted = || tcp.then(|| self.sessions.accepted.load(Ordering::SeqCst));
        let Some(thread) = self.thread.take() else {
            return accepted();
        };
        self.stopping.store(true, Ordering::SeqCst);
        match (&self.socket, &self.local) {
            (ServerSocket::Tcp(listener), Local::Ip(local)) => {
                // The wake-up connection: accept returns it, the loop sees the flag.
                let target = wake_address(*local);
                if TcpStream::connect_timeout(&target, WAKE_TIMEOUT).is_err() {
                    let _ = SockRef::from(&**listener).shutdown(Shutdown::Read);
                }
            }
            (ServerSocket::Udp(_), Local::Ip(local)) => {
                // The wake-up datagram (or, if it is lost, the read timeout).
                let target = wake_address(*local);
                let any = if target.is_ipv4() {
                    "0.0.0.0:0"
                } else {
                    "[::]:0"
                };
                if let Ok(waker) = UdpSocket::bind(any) {
                    let _ = waker.send_to(&[], target);
                }
            }
            (ServerSocket::Unix(listener), Local::Unix(local)) => {
                // The same wake-up connection (socket2, for its timeout: a Unix connect to a
                // full accept queue would otherwise wait); else shut the listener down.
                let woken = wake_sockaddr(local).and_then(|target| {
                    Socket::new(Domain::UNIX, Type::STREAM, None)?
                        .connect_timeout(&target, WAKE_TIMEOUT)
                });
                if woken.is_err() {
                    let _ = SockRef::from(&**listener).shutdown(Shutdown::Read);
                }
            }
            (ServerSocket::Unixgram(_), Local::Unix(local)) => {
                // An empty datagram from an unbound socket that does not wait for room (or,
                // if it is lost, the read timeout).
                if let Ok(waker) = UnixDatagram::unbound() {
                    let _ = waker.set_nonblocking(true);
                    let _ = waker.send_to_addr(&[], local);
                }
            }
            _ => unreachable!("a server's socket and address are of one family"),
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
            let _ = session.stream.shut(Shutdown::Both); // wakes its read or write
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

/// The std docs' accept loop: `for stream in listener.incoming()` (`TcpListener` and
/// `UnixListener` alike), one thread per connection.
fn accept_loop<S: EchoStream>(
    incoming: impl Iterator<Item = io::Result<S>>,
    stopping: &AtomicBool,
    sessions: &Arc<Sessions>,
) {
    let mut next_id: u64 = 0;
    for stream in incoming {
        if stopping.load(Ordering::SeqCst) {
            break; // the wake-up connection (or a late client): dropped
        }
        let stream = match stream {
            Ok(stream) => Arc::new(stream) as Arc<dyn EchoStream>,
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
                echo_session(&*stream);
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
fn echo_session(stream: &dyn EchoStream) {
    let mut buffer = vec![0u8; SESSION_BUFFER];
    loop {
        match stream.read_some(&mut buffer) {
            Ok(0) => {
                // The client's FIN: all it sent has been echoed; ours follows. The socket is
                // closed when the last reference drops, with nothing unread: FIN, not RST.
                let _ = stream.shut(Shutdown::Write);
                return;
            }
            Ok(n) => {
                if stream.write_all_of(&buffer[..n]).is_err() {
                    return; // reset, broken pipe: this session only
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return,
        }
    }
}

/// The datagram echo: each datagram back whole to its sender, in the order received.
fn datagram_loop<D: EchoDatagrams>(socket: &D, stopping: &AtomicBool) {
    let mut buffer = vec![0u8; DATAGRAM_BUFFER];
    while !stopping.load(Ordering::SeqCst) {
        match socket.receive(&mut buffer) {
            Ok((n, sender)) => {
                if stopping.load(Ordering::SeqCst) {
                    break; // the wake-up datagram
                }
                let Some(sender) = sender else {
                    continue; // an unnamed Unix sender: nowhere to answer
                };
                if let Err(e) = socket.reply(&buffer[..n], &sender) {
                    eprintln!("sockspec-adapter-rust: serve: send_to {sender:?}: {e}");
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
        if kind == "unix" || kind == "unixgram" {
            let addr = serve_address(args)?;
            // `backlog` is read for its type only: std's UnixListener::bind_addr takes none.
            let _backlog = args.int_or("backlog", Some(1024))?;
            let server = if kind == "unix" {
                Server::start_unix(&addr)?
            } else {
                Server::start_unixgram(&addr)?
            };
            let local = server.local_json();
            let handle = self.register(Family::Unix, Kind::Server(server));
            return Ok(json!({"handle": handle, "local": local}));
        }
        let family = args.family()?;
        let addr = socket_addr(family, args.string("host")?, args.int_or("port", Some(0))?)?;
        // `backlog` is read for its type only: std's TcpListener::bind takes none (128).
        let _backlog = args.int_or("backlog", Some(1024))?;
        let server = match kind {
            "tcp" => Server::start_tcp(addr)?,
            "udp" => Server::start_udp(addr)?,
            other => return Err(bad(format!("unknown serve kind '{other}'"))),
        };
        let local = server.local_json();
        let handle = self.register(family, Kind::Server(server));
        Ok(json!({"handle": handle, "local": local}))
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
