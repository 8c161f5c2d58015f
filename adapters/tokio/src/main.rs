//! sockspec adapter over tokio (protocol 1.4): JSON Lines requests on stdin, one answer per
//! line on stdout, performed with `tokio::net` on a current_thread runtime.
//!
//! Why current_thread: the request loop and the echo servers of `serve.*` run as tasks of one
//! event loop, as in Node's and asyncio's adapters. Before each request the loop lets the
//! driver turn once (`tokio::task::yield_now`, which tokio defers until the I/O driver has
//! been polled), so a request acts after every readiness event that reached the process
//! before it — the same order on every run, which a multi-threaded scheduler would not give.

mod adapter; // the handle table, dispatch, hello / reset / close
mod address; // {host, port} and Unix addresses; addr.local / addr.peer
mod args; // decoding `args`
mod datagram; // udp.*: tokio::net::UdpSocket
mod errors; // OpError and errno names
mod features; // what `hello` declares
mod multicast; // 1.7 udp.join, udp.leave, multicast options: tokio's UdpSocket, socket2 where tokio has none
mod options; // opt.set / opt.get: tokio's accessors, socket2's SockRef for the rest
mod ready; // wait: ready(Interest) of tokio's sockets
mod serve; // serve.*: echo servers as tokio's docs write them
mod sockets; // the kinds of socket a handle can name
mod stream; // tcp.* and stream.*: TcpSocket / TcpListener / TcpStream
mod unix; // unix.*: UnixListener / UnixSocket / UnixStream / UnixDatagram
mod wait; // timeouts: tokio::time::timeout, one driver turn for `timeout: 0`

use adapter::Adapter;
use errors::{bad, OpError};
use serde_json::{json, Value};
use std::io::{self, BufRead, ErrorKind, Write};

async fn answer(adapter: &mut Adapter, line: &[u8]) -> Value {
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
    match adapter.dispatch(op, request.get("args")).await {
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

/// stdin is read on a thread of its own (a blocking read), each line handed to the runtime
/// through a channel; the runtime's thread stays free to drive the servers meanwhile.
fn read_stdin(lines: tokio::sync::mpsc::UnboundedSender<Vec<u8>>) {
    let stdin = io::stdin();
    let mut input = stdin.lock();
    loop {
        let mut line = Vec::new();
        match input.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                eprintln!("sockspec-adapter-tokio: reading stdin: {e}");
                break;
            }
        }
        if lines.send(line).is_err() {
            break;
        }
    }
}

async fn run() {
    let (sender, mut lines) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || read_stdin(sender));
    let mut adapter = Adapter::new();
    let stdout = io::stdout();
    while let Some(mut line) = lines.recv().await {
        while matches!(line.last(), Some(b'\n' | b'\r')) {
            line.pop();
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        // One turn of the driver: readiness that reached the process before this request
        // is seen before it acts (docs/adapters.md §4, event-loop runtimes).
        tokio::task::yield_now().await;
        let response = answer(&mut adapter, &line).await;
        let mut text = serde_json::to_vec(&response).expect("a JSON value serialises");
        text.push(b'\n');
        let mut output = stdout.lock();
        if output
            .write_all(&text)
            .and_then(|_| output.flush())
            .is_err()
        {
            break; // the suite went away
        }
    }
    adapter.close_all().await; // close every socket, stop every server
}

fn main() {
    // The Rust runtime sets SIGPIPE to SIG_IGN before main, and mio sends with MSG_NOSIGNAL:
    // a write to a reset connection is EPIPE, not a signal.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(run());
}
