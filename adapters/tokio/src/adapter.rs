//! The adapter's state (open handles, never reused) and dispatch from an op name to the
//! module that does it; the session operations `hello`, `reset` and `close`.

use crate::args::{Args, Family};
use crate::errors::{bad, fail, unsupported, R};
use crate::features::features;
use crate::sockets::{Entry, Kind};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

const PROTOCOL_VERSION: &str = "1.8";

pub(crate) struct Adapter {
    pub(crate) sockets: HashMap<i64, Entry>,
    next_handle: i64, // never reused (docs/protocol.md §2.1)
    features: Vec<String>,
}

impl Adapter {
    pub(crate) fn new() -> Adapter {
        Adapter {
            sockets: HashMap::new(),
            next_handle: 1,
            features: features(),
        }
    }

    pub(crate) fn register(&mut self, family: Family, kind: Kind) -> i64 {
        let handle = self.next_handle;
        self.next_handle += 1;
        self.sockets.insert(handle, Entry { family, kind });
        handle
    }

    pub(crate) fn entry(&self, args: &Args) -> R<&Entry> {
        let handle = args.handle()?;
        self.sockets
            .get(&handle)
            .ok_or_else(|| fail("EBADF", format!("no open handle {handle}")))
    }

    pub(crate) fn entry_mut(&mut self, args: &Args) -> R<&mut Entry> {
        let handle = args.handle()?;
        self.sockets
            .get_mut(&handle)
            .ok_or_else(|| fail("EBADF", format!("no open handle {handle}")))
    }

    /// Runs `op`; each `op_*` method lives in the module for its area.
    pub(crate) async fn dispatch(&mut self, op: &str, raw_args: Option<&Value>) -> R<Value> {
        let empty = Map::new();
        let map = match raw_args {
            None | Some(Value::Null) => &empty,
            Some(Value::Object(map)) => map,
            Some(_) => return Err(bad("args must be an object")),
        };
        let args = &Args(map);
        match op {
            "hello" => self.op_hello(args),
            "reset" => self.op_reset(args).await,
            "close" => self.op_close(args).await,
            "tcp.listen" => self.op_tcp_listen(args),
            "tcp.socket" => self.op_tcp_socket(args),
            "tcp.connect" => self.op_tcp_connect(args).await,
            "tcp.accept" => self.op_tcp_accept(args).await,
            "stream.send" => self.op_stream_send(args).await,
            "stream.recv" => self.op_stream_recv(args).await,
            "stream.shutdown" => self.op_stream_shutdown(args).await,
            "stream.abort" => self.op_stream_abort(args),
            "udp.bind" => self.op_udp_bind(args).await,
            "udp.connect" => self.op_udp_connect(args).await,
            "udp.sendto" => self.op_udp_sendto(args).await,
            "udp.recvfrom" => self.op_udp_recvfrom(args).await,
            "udp.join" => self.op_udp_join(args),
            "udp.leave" => self.op_udp_leave(args),
            "addr.local" => self.op_addr_local(args),
            "addr.peer" => self.op_addr_peer(args),
            "opt.set" => self.op_opt_set(args),
            "opt.get" => self.op_opt_get(args),
            "serve.start" => self.op_serve_start(args).await,
            "serve.stop" => self.op_serve_stop(args).await,
            "unix.listen" => self.op_unix_listen(args),
            "unix.accept" => self.op_unix_accept(args).await,
            "unix.connect" => self.op_unix_connect(args).await,
            "unix.bind" => self.op_unix_bind(args),
            "unix.socketpair" => self.op_unix_socketpair(args),
            "unix.sendto" => self.op_unix_sendto(args).await,
            "unix.recvfrom" => self.op_unix_recvfrom(args).await,
            "unix.peercred" => self.op_unix_peercred(args),
            "unix.unlink" => self.op_unix_unlink(args),
            "wait" => self.op_wait(args).await,
            _ => Err(unsupported(format!("unknown operation '{op}'"))),
        }
    }

    // -- session -----------------------------------------------------------------------------

    fn op_hello(&mut self, _args: &Args) -> R<Value> {
        Ok(json!({
            "protocol": PROTOCOL_VERSION,
            "implementation": "rust-tokio",
            "version": format!(
                "tokio {} (mio {}, socket2 {}); {}",
                env!("SOCKSPEC_TOKIO_VERSION"),
                env!("SOCKSPEC_MIO_VERSION"),
                env!("SOCKSPEC_SOCKET2_VERSION"),
                env!("SOCKSPEC_RUSTC_VERSION"),
            ),
            "language": "rust",
            "features": self.features,
        }))
    }

    /// Closes one handle: a server is stopped (and waited for), anything else dropped.
    async fn close_entry(entry: Entry) {
        match entry.kind {
            Kind::Server(server) => {
                server.stop().await;
            }
            other => drop(other),
        }
    }

    pub(crate) async fn close_all(&mut self) {
        let entries: Vec<Entry> = self.sockets.drain().map(|(_, e)| e).collect();
        for entry in entries {
            Adapter::close_entry(entry).await;
        }
    }

    async fn op_reset(&mut self, _args: &Args<'_>) -> R<Value> {
        // An orderly close that never waits (§5): a linger set by a test would make close(2)
        // wait for unsent data (or, at zero, send RST), so it is turned off first. tokio's own
        // setter for it is deprecated (it can block the thread on drop); its non-deprecated
        // users reach for socket2's SockRef, as tokio itself does inside `linger()`.
        for entry in self.sockets.values() {
            if let Kind::Stream(_) | Kind::TcpSocket(_) | Kind::UnixStream(_) = entry.kind {
                let _ = entry.kind.sref().set_linger(None);
            }
        }
        self.close_all().await;
        Ok(json!({}))
    }

    async fn op_close(&mut self, args: &Args<'_>) -> R<Value> {
        let handle = args.handle()?;
        match self.sockets.remove(&handle) {
            Some(entry) => {
                Adapter::close_entry(entry).await;
                Ok(json!({}))
            }
            None => Err(fail("EBADF", format!("no open handle {handle}"))),
        }
    }
}
