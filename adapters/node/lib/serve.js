// Echo servers in Node's own server model (protocol 1.2 §6, "Serving echo"): serve.start,
// serve.stop.
//
// They run on the adapter's event loop, next to the request loop, and are written as Node's
// docs write them; the adapter only starts and stops them:
// - TCP: net.createServer(connectionListener) with the docs' echo, socket.pipe(socket)
//   (https://nodejs.org/docs/latest-v20.x/api/net.html#netcreateserveroptions-connectionlistener).
//   pipe() is Node's back-pressure: when write() returns false it pauses the socket (libuv
//   then stops reading from the kernel once the readable buffer is full) and resumes on
//   'drain'. allowHalfOpen: true, so that the client's end does not end our write side by
//   itself; pipe() calls end() on 'end', which flushes the rest of the echo, then FIN; with
//   both sides done autoDestroy closes the socket. An 'error' (ECONNRESET, EPIPE) destroys
//   that socket only.
// - UDP: dgram.createSocket + on('message') sending each datagram back to rinfo, from the
//   socket it arrived at (https://nodejs.org/docs/latest-v20.x/api/dgram.html).
// - Unix-domain stream (1.4, kind "unix"): the same server, listening on a path
//   (server.listen({ path }); a Linux abstract name is a path starting with "\0"). Node's
//   server.close() removes the socket file itself (libuv's uv__pipe_close unlinks what
//   uv_pipe_bind bound); the adapter adds nothing. Node has no Unix datagram sockets (dgram
//   is UDP only): kind "unixgram" is not offered (serve.unixgram undeclared).

'use strict';

const net = require('net');
const dgram = require('dgram');
const { bad, supply, unsupported, asOpError } = require('./errors');
const { arg, familyArg } = require('./args');
const { checkAddress, address, unixAddress } = require('./address');
const { register, lookup, forget } = require('./handles');
const { unixPath } = require('./unix');

const DEFAULT_BACKLOG = 1024;
const STOP_WAIT_MS = 2000; // serve.stop waits at most this long for Node's close callbacks

function log(message) {
  process.stderr.write(`node adapter (serve): ${message}\n`);
}

// The docs' echo server, listening with listenOptions ({ host, port, backlog } for TCP,
// { path, backlog } for a Unix-domain socket); `local` turns server.address() into the
// protocol's address.
async function startStream(serveKind, listenOptions, local) {
  const sockets = new Set();
  let accepted = 0;
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy()); // this session only (ECONNRESET, EPIPE, ...)
    socket.pipe(socket);
  });
  await new Promise((resolve, reject) => {
    const onError = (err) => {
      server.close();
      reject(asOpError(err, 'listen'));
    };
    server.once('error', onError);
    server.listen(listenOptions, () => {
      server.removeListener('error', onError);
      resolve();
    });
  });
  // After listen, an 'error' of the server is an accept(2) failure (EMFILE, ...): Node keeps
  // listening; it is logged, as a server would.
  server.on('error', (err) => log(`${serveKind} server error: ${err && err.message}`));
  return {
    kind: 'serve',
    serveKind,
    waiters: new Set(),
    local: local(server.address()),
    stop() {
      const closed = new Promise((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      return { closed, sessions: accepted };
    },
  };
}

function startTcp(family, host, port, backlog) {
  return startStream('tcp', { host, port, backlog }, (a) => address(a.address, a.port));
}

// A pipe server reports its path (a string; "\0name" for an abstract name).
function startUnix(path, backlog) {
  return startStream('unix', { path, backlog }, unixAddress);
}

async function startUdp(family, host, port) {
  const sock = dgram.createSocket({ type: family === 'ipv4' ? 'udp4' : 'udp6' });
  sock.on('message', (msg, rinfo) => {
    // Fire and forget: a sender that is gone is not the server's problem.
    sock.send(msg, rinfo.port, rinfo.address, () => {});
  });
  await new Promise((resolve, reject) => {
    const onError = (err) => {
      try {
        sock.close();
      } catch (e) {
        // not running
      }
      reject(asOpError(err, 'bind'));
    };
    sock.once('error', onError);
    sock.bind({ address: host, port, exclusive: true }, () => {
      sock.removeListener('error', onError);
      resolve();
    });
  });
  sock.on('error', (err) => log(`udp server error: ${err && err.message}`));
  const local = sock.address();
  return {
    kind: 'serve',
    serveKind: 'udp',
    waiters: new Set(),
    local: address(local.address, local.port),
    stop() {
      const closed = new Promise((resolve) => {
        try {
          sock.close(() => resolve());
        } catch (err) {
          resolve(); // already closed
        }
      });
      return { closed };
    },
  };
}

const ops = {};

ops['serve.start'] = async (args) => {
  const kind = arg(args, 'kind', 'str');
  if (!['tcp', 'udp', 'unix', 'unixgram'].includes(kind)) throw bad(`unknown serve kind ${JSON.stringify(kind)}`);
  if (kind === 'unix' || kind === 'unixgram') {
    const path = unixPath(args, 'address', true); // a name to be reached by: never unnamed
    const backlog = arg(args, 'backlog', 'int', DEFAULT_BACKLOG);
    if (kind === 'unixgram') throw unsupported("Node has no Unix datagram sockets (dgram is UDP only)");
    const state = await startUnix(path, backlog);
    return { handle: register(state), local: state.local };
  }
  const family = familyArg(args);
  const host = arg(args, 'host', 'str');
  const port = arg(args, 'port', 'int', 0);
  const backlog = arg(args, 'backlog', 'int', DEFAULT_BACKLOG);
  checkAddress(family, host, port);
  const state = kind === 'tcp' ? await startTcp(family, host, port, backlog) : await startUdp(family, host, port);
  return { handle: register(state), local: state.local };
};

ops['serve.stop'] = async (args) => {
  const state = lookup(args);
  if (state.kind !== 'serve') throw supply('EINVAL', 'serve.stop: not a server started by serve.start');
  forget(args.handle);
  const { closed, sessions } = state.stop();
  let timer;
  await Promise.race([closed, new Promise((resolve) => { timer = setTimeout(resolve, STOP_WAIT_MS); })]);
  clearTimeout(timer);
  return sessions === undefined ? {} : { sessions };
};

module.exports = { ops };
