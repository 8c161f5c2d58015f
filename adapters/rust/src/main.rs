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
//!
//! This file is the request loop; the modules below each do one job.

mod adapter; // handle table, dispatch by op name, hello/reset/close
mod address; // socket addresses as the protocol's {host, port}; addr.local, addr.peer
mod args; // decoding a request's args: types, defaults, base64, numeric addresses
mod datagram; // udp.*: std::net::UdpSocket
mod errors; // OpError and errno names
mod features;
mod flags; // 1.5 flags and blocking calls: std's peek and blocking mode, socket2 for the rest // what `hello` declares, probed on this host
mod multicast; // 1.7 udp.join, udp.leave, multicast options: std UdpSocket, socket2 where std has none
mod options;
mod options15; // 1.5 options: std's timeouts and take_error, socket2 for the rest // opt.set / opt.get: std's accessors, socket2 for the rest
mod raw; // raw.*: ICMP raw and ping sockets through socket2
mod serve; // serve.*: echo servers in std's model (accept loop, a thread per connection)
mod sockets; // the kinds of socket a handle can name
mod stream; // tcp.* and stream.*: std::net::TcpListener / TcpStream
mod unix; // unix.*: std::os::unix::net, socket2 for seqpacket, nix for SCM_* and SO_PEERCRED
mod wait; // try, then poll(2) up to the request's timeout

use adapter::Adapter;
use errors::{bad, OpError};
use serde_json::{json, Value};
use std::io::{self, BufRead, ErrorKind, Write};

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
    let mut error = json!({"code": e.code, "message": e.message});
    if e.supplied {
        error["supplied"] = json!(true);
    }
    json!({"id": id, "ok": false, "error": error})
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
    adapter.sockets.clear(); // close every socket, stop every server
}
