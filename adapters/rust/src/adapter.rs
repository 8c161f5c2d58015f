//! The adapter's state (open handles, never reused) and dispatch from an op name to the
//! module that does it; the session operations `hello`, `reset` and `close`.

use crate::args::{Args, Family};
use crate::errors::{bad, fail, unsupported, R};
use crate::features::host_features;
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
            features: host_features(),
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

    /// Runs `op`; each `op_*` method lives in the module for its area (stream, datagram, raw,
    /// address, options, serve), the session ones below.
    pub(crate) fn dispatch(&mut self, op: &str, raw_args: Option<&Value>) -> R<Value> {
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
            "udp.join" => call!(op_udp_join),
            "udp.leave" => call!(op_udp_leave),
            "raw.open" => call!(op_raw_open),
            "raw.send" => call!(op_raw_send),
            "raw.recv" => call!(op_raw_recv),
            "addr.local" => call!(op_addr_local),
            "addr.peer" => call!(op_addr_peer),
            "opt.set" => call!(op_opt_set),
            "opt.get" => call!(op_opt_get),
            "serve.start" => call!(op_serve_start),
            "serve.stop" => call!(op_serve_stop),
            "unix.listen" => call!(op_unix_listen),
            "unix.accept" => call!(op_unix_accept),
            "unix.connect" => call!(op_unix_connect),
            "unix.bind" => call!(op_unix_bind),
            "unix.socketpair" => call!(op_unix_socketpair),
            "unix.sendto" => call!(op_unix_sendto),
            "unix.recvfrom" => call!(op_unix_recvfrom),
            "unix.peercred" => call!(op_unix_peercred),
            "unix.unlink" => call!(op_unix_unlink),
            _ => Err(unsupported(format!("unknown operation '{op}'"))),
        }
    }

    // -- session -----------------------------------------------------------------------------

    fn op_hello(&mut self, _args: &Args) -> R<Value> {
        Ok(json!({
            "protocol": PROTOCOL_VERSION,
            "implementation": "rust-std-net",
            "version": format!("{}; std::net, socket2 {}, nix {}", env!("SOCKSPEC_RUSTC_VERSION"), env!("SOCKSPEC_SOCKET2_VERSION"), env!("SOCKSPEC_NIX_VERSION")),
            "language": "rust",
            "features": self.features,
        }))
    }

    fn op_reset(&mut self, _args: &Args) -> R<Value> {
        // An orderly close that never waits (§5): a linger set on a connection would make
        // close(2) wait for unsent data (or, at zero, send RST), so it is turned off first
        // (socket2: std's set_linger is unstable). Dropping closes, and stops servers.
        for entry in self.sockets.values() {
            if let Kind::Stream(_)
            | Kind::Unconnected(_)
            | Kind::UnixStream(_)
            | Kind::UnixSocket(_) = entry.kind
            {
                let _ = entry.kind.sref().set_linger(None);
            }
        }
        self.sockets.clear();
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
}
