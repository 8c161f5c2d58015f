// Unix-domain sockets (protocol 1.4): net over a path. unix.listen is
// net.createServer().listen({ path, backlog }), unix.connect is net.connect({ path }),
// unix.accept hands out what the server's 'connection' events queued (as tcp.accept does).
// Linux abstract names are a path starting with "\0", which libuv passes on as such.
//
// What net cannot do is UNSUPPORTED and not declared (README.md): datagram and seqpacket
// sockets (dgram is UDP only), socketpair, binding a client before it connects (net.connect
// has no local path), SO_PEERCRED, SCM_RIGHTS / SCM_CREDENTIALS, autobind.
//
// Addresses: a pipe's net.Socket has no getsockname/getpeername at all (localAddress and
// remoteAddress are undefined, socket.address() is {}); only the server reports its path
// (server.address()). The local and peer addresses of a Unix connection are therefore the
// adapter's: a client's peer is the address it connected to and its local is unnamed (a
// net.connect client is never bound); an accepted connection's local is its listener's
// address and its peer is unnamed. They are marked "emulated" wherever they are answered.
//
// The adapter never unlinks a socket file unless asked (unix.unlink). Node does, on its own:
// server.close() removes the listener's socket file (libuv's uv__pipe_close), see README.md.

'use strict';

const fs = require('fs');
const net = require('net');
const { OpError, bad, unsupported, supply, asOpError } = require('./errors');
const { arg, timeoutArg } = require('./args');
const { register, lookup } = require('./handles');
const { notify, waitFor } = require('./wait');
const { newConnection } = require('./connection');
const { unixAddress } = require('./address');

const KINDS = ['stream', 'dgram', 'seqpacket'];
const EMULATED = ['local', 'peer'];

function kindArg(args) {
  const kind = arg(args, 'kind', 'str');
  if (!KINDS.includes(kind)) throw bad(`unknown Unix socket kind ${JSON.stringify(kind)}`);
  if (kind !== 'stream') throw unsupported(`Node's net has no Unix ${kind} sockets (dgram is UDP only)`);
  return kind;
}

// The path string net takes for a protocol Unix address: a path, "\0" + name for an abstract
// name; null for an unnamed one.
// A destination (unix.connect's and unix.sendto's address) is never unnamed or autobind:
// EINVAL (protocol 1.4).
function unixPath(args, name, destination = false) {
  const address = arg(args, name, 'dict');
  const has = (key) => Object.prototype.hasOwnProperty.call(address, key);
  if (has('path')) {
    const path = arg(address, 'path', 'str');
    if (path === '') throw new OpError('EINVAL', 'an empty path names no socket');
    return path;
  }
  if (has('abstract')) return `\0${arg(address, 'abstract', 'str')}`;
  if (has('unnamed')) {
    if (arg(address, 'unnamed', 'bool') !== true) throw bad('unnamed must be true');
    if (destination) throw new OpError('EINVAL', 'an unnamed address names no socket to reach');
    return null;
  }
  if (has('autobind')) {
    if (arg(address, 'autobind', 'bool') !== true) throw bad('autobind must be true');
    if (destination) throw new OpError('EINVAL', 'autobind only binds a socket');
    throw unsupported("Node's net cannot autobind (unix.autobind not declared)");
  }
  throw bad(`argument ${JSON.stringify(name)} is not a Unix address (path, abstract, unnamed, autobind)`);
}

// A connection's addresses, kept by the adapter (Node has none for pipes).
function unixConnection(sock, local, peer) {
  const state = newConnection(sock);
  state.unix = { local, peer };
  return state;
}

const ops = {};

ops['unix.listen'] = async (args) => {
  kindArg(args);
  const path = unixPath(args, 'address');
  const backlog = arg(args, 'backlog', 'int', 128);
  if (path === null) throw supply('EINVAL', 'listen: net listens on a path (an unnamed socket cannot listen)');
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
  const state = { kind: 'server', unix: true, server, waiters: new Set(), pending: [], error: null, local: null };
  server.on('connection', (sock) => {
    // accepted eagerly by Node; waits here, not reading (pauseOnConnect), until unix.accept
    state.pending.push(unixConnection(sock, state.local, { unnamed: true }));
    notify(state);
  });
  await new Promise((resolve, reject) => {
    const onError = (err) => {
      server.close();
      reject(asOpError(err, 'listen'));
    };
    server.once('error', onError);
    server.listen({ path, backlog }, () => {
      server.removeListener('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => {
    state.error = err;
    notify(state);
  });
  state.local = unixAddress(server.address());
  return { handle: register(state), local: state.local };
};

ops['unix.accept'] = async (args) => {
  const state = lookup(args);
  const timeout = timeoutArg(args);
  if (state.kind !== 'server') throw supply('EINVAL', 'accept: not a listener');
  const conn = await waitFor(state, timeout, () => {
    if (state.pending.length) return state.pending.shift();
    if (state.error) throw asOpError(state.error, 'accept');
    return undefined;
  }, 'accept');
  if (!conn.unix) { // a TCP listener's connection: its addresses are Node's
    const { sock } = conn;
    const result = {
      handle: register(conn),
      local: { host: sock.localAddress, port: sock.localPort },
      peer: { host: sock.remoteAddress, port: sock.remotePort },
    };
    sock.resume();
    return result;
  }
  const result = { handle: register(conn), local: conn.unix.local, peer: conn.unix.peer, emulated: EMULATED };
  conn.sock.resume(); // start reading (the connection was accepted paused)
  return result;
};

ops['unix.connect'] = async (args) => {
  kindArg(args);
  const path = unixPath(args, 'address', true);
  const timeout = timeoutArg(args);
  if (arg(args, 'bind', 'dict', null) !== null) {
    unixPath(args, 'bind');
    throw unsupported('net.connect cannot bind a Unix client socket before it connects (no local path option)');
  }
  if (path === null) throw new OpError('EINVAL', 'connect: an unnamed address names no peer');
  const sock = new net.Socket({ allowHalfOpen: true });
  const state = unixConnection(sock, { unnamed: true }, unixAddress(path));
  let connected = false;
  sock.once('connect', () => {
    connected = true;
    notify(state);
  });
  sock.connect({ path });
  try {
    // timeout 0: one turn of the loop shows a connect that completed or failed, else
    // EINPROGRESS (supplied: Node has no such answer), as tcp.connect does.
    await waitFor(state, timeout, () => {
      if (state.error) throw asOpError(state.error, 'connect');
      return connected ? true : undefined;
    }, 'connect', 'EINPROGRESS');
  } catch (err) {
    sock.destroy();
    throw err;
  }
  return { handle: register(state), local: state.unix.local, peer: state.unix.peer, emulated: EMULATED };
};

ops['unix.unlink'] = (args) => {
  const path = unixPath(args, 'address', true);
  if (path.startsWith('\0')) throw new OpError('EINVAL', 'only a pathname socket has a file to remove');
  try {
    fs.unlinkSync(path); // what a Node program does to remove its socket file
  } catch (err) {
    throw asOpError(err, 'unlink');
  }
  return {};
};

for (const op of ['unix.bind', 'unix.socketpair', 'unix.sendto', 'unix.recvfrom']) {
  ops[op] = (args) => {
    if (op === 'unix.sendto' || op === 'unix.recvfrom') lookup(args); // an unknown handle is EBADF first
    throw unsupported(`Node's net and dgram have no ${op} (Unix datagram sockets, socketpair)`);
  };
}
ops['unix.peercred'] = (args) => {
  lookup(args);
  throw unsupported("Node's net has no peer credentials (SO_PEERCRED)");
};

module.exports = { ops, unixPath };
