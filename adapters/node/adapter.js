#!/usr/bin/env node
// sockspec adapter for Node.js: thin glue over Node's own `net` and `dgram` modules.
//
// Protocol: docs/protocol.md (JSON Lines on stdin/stdout, one request at a time).
// No dependencies, no build step: `node adapter.js`.
//
// How Node's event-driven sockets are mapped onto the protocol's blocking operations:
// - TCP: every connection feeds a per-socket queue of received chunks from 'data' events.
//   stream.recv takes up to `max` bytes from it (the rest stays queued); empty data once
//   'end' was seen. Flow control: when more than QUEUE_LIMIT bytes are queued the socket is
//   paused (Node then stops reading from the kernel once its own readable buffer is full),
//   and resumed when stream.recv drains the queue, so a peer whose data is not read blocks.
// - stream.send hands all the bytes to socket.write() (Node buffers writes in user space);
//   the next stream.send first waits until every earlier write has reached the kernel
//   (its write callback ran), as protocol §6 asks of runtimes that buffer writes.
// - Errors arrive as 'error' events; they are kept on the socket and reported by the next
//   operation on it. Codes are Node's err.code, which is the errno name for system errors;
//   the few Node-level codes (ERR_*) are mapped to the closest errno name (README.md).

'use strict';

const net = require('net');
const dgram = require('dgram');
const os = require('os');
const readline = require('readline');

const PROTOCOL = '1.1';
const DEFAULT_TIMEOUT = 5;
const QUEUE_LIMIT = 64 * 1024; // received bytes kept in user space before the socket is paused
const MAX_TIMER_MS = 2147483647;

// ---------------------------------------------------------------------------------------
// errors

class OpError extends Error {
  constructor(code, message) {
    super(message || code);
    this.code = code;
  }
}
const bad = (message) => new OpError('BADREQUEST', message);
const unsupported = (message) => new OpError('UNSUPPORTED', message);

const CANONICAL = { EWOULDBLOCK: 'EAGAIN', ENOTSUP: 'EOPNOTSUPP', EDEADLOCK: 'EDEADLK' };
// Node-level error codes (no errno behind them) → the closest errno name. See README.md.
const NODE_CODES = {
  ERR_STREAM_WRITE_AFTER_END: 'EPIPE', // write after socket.end() (shutdown write)
  ERR_STREAM_DESTROYED: 'EPIPE', // write on a destroyed socket
  ERR_SOCKET_CLOSED: 'EPIPE',
  ERR_SOCKET_DGRAM_NOT_CONNECTED: 'ENOTCONN',
  ERR_SOCKET_DGRAM_IS_CONNECTED: 'EISCONN',
  ERR_SOCKET_BAD_PORT: 'EINVAL',
  ERR_INVALID_ARG_VALUE: 'EINVAL',
  ERR_INVALID_IP_ADDRESS: 'EINVAL',
  ERR_SOCKET_DGRAM_NOT_RUNNING: 'EBADF',
};

function errorCode(err) {
  if (err instanceof OpError) return err.code;
  const code = err && err.code;
  if (typeof code === 'string') {
    if (/^E[A-Z0-9]+$/.test(code)) return CANONICAL[code] || code;
    if (NODE_CODES[code]) return NODE_CODES[code];
  }
  process.stderr.write(`node adapter: unmapped error ${code}: ${err && err.message}\n`);
  return 'EINVAL';
}

function asOpError(err, context) {
  if (err instanceof OpError) return err;
  const code = errorCode(err);
  return new OpError(code, `${context}: ${err && err.message} (${err && err.code})`);
}

// ---------------------------------------------------------------------------------------
// arguments (same rules as reference_impl/engine.py Args)

const MISSING = Symbol('missing');

function isInt(v) {
  return typeof v === 'number' && Number.isInteger(v);
}
const TYPES = {
  int: isInt,
  number: (v) => typeof v === 'number' && Number.isFinite(v),
  str: (v) => typeof v === 'string',
  bool: (v) => typeof v === 'boolean',
  dict: (v) => v !== null && typeof v === 'object' && !Array.isArray(v),
};

function arg(args, name, kind, dflt = MISSING) {
  const present = Object.prototype.hasOwnProperty.call(args, name);
  if (!present || (args[name] === null && dflt !== MISSING)) {
    if (dflt === MISSING) throw bad(`missing argument ${JSON.stringify(name)}`);
    return dflt;
  }
  if (!TYPES[kind](args[name])) throw bad(`argument ${JSON.stringify(name)} has the wrong type`);
  return args[name];
}

function timeoutArg(args) {
  const t = arg(args, 'timeout', 'number', DEFAULT_TIMEOUT);
  if (t < 0) throw bad('timeout must be >= 0');
  return t;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
function dataArg(args) {
  const text = arg(args, 'data', 'str');
  if (!BASE64.test(text)) throw bad('invalid base64 data');
  return Buffer.from(text, 'base64');
}

function familyArg(args) {
  const family = arg(args, 'family', 'str');
  if (family !== 'ipv4' && family !== 'ipv6') throw bad(`unknown family ${JSON.stringify(family)}`);
  return family;
}

// A numeric host valid for the family and a port in range; never resolves names.
function checkAddress(family, host, port) {
  const ok = family === 'ipv4' ? net.isIPv4(host) : net.isIPv6(host);
  if (!ok) throw new OpError('EINVAL', `not a numeric address for this family: ${host}`);
  if (port < 0 || port > 65535) throw new OpError('EINVAL', `port out of range: ${port}`);
}

function boolValue(name, value) {
  if (typeof value !== 'boolean') throw bad(`option ${name} takes a bool`);
  return value;
}
function intValue(name, value) {
  if (!isInt(value)) throw bad(`option ${name} takes an integer`);
  return value;
}

// ---------------------------------------------------------------------------------------
// handles and waiting

const handles = new Map(); // handle -> state object
let nextHandle = 1; // never reused

function register(state) {
  const handle = nextHandle++;
  handles.set(handle, state);
  return handle;
}

function lookup(args) {
  const handle = arg(args, 'handle', 'int');
  const state = handles.get(handle);
  if (!state) throw new OpError('EBADF', `no open handle ${handle}`);
  return state;
}

function notify(state) {
  for (const waiter of [...state.waiters]) waiter();
}

// Attempt first; wait for events on `state` only if `attempt` returns undefined (would
// block), at most `timeout` seconds. timeout 0: `wouldBlock` (EAGAIN) at once.
function waitFor(state, timeout, attempt, context, wouldBlock = 'EAGAIN') {
  const first = attempt();
  if (first !== undefined) return Promise.resolve(first);
  if (timeout === 0) return attemptAfterPoll(attempt, context, wouldBlock);
  return new Promise((resolve, reject) => {
    let timer = null;
    const done = () => {
      clearTimeout(timer);
      state.waiters.delete(waiter);
    };
    const waiter = () => {
      let result;
      try {
        result = attempt();
      } catch (err) {
        done();
        reject(err);
        return;
      }
      if (result !== undefined) {
        done();
        resolve(result);
      }
    };
    state.waiters.add(waiter);
    timer = setTimeout(() => {
      state.waiters.delete(waiter);
      reject(new OpError('ETIMEDOUT', `${context}: timed out after ${timeout} s`));
    }, Math.min(MAX_TIMER_MS, Math.ceil(timeout * 1000)));
  });
}

// Node learns of readiness only when libuv polls: a non-blocking attempt lets the event
// loop run one full iteration (its poll phase then polls with a zero timeout, because an
// immediate is pending), so what the kernel already holds is seen, then answers at once.
const loopTurn = () => new Promise((resolve) => setImmediate(resolve));
async function attemptAfterPoll(attempt, context, wouldBlock) {
  await loopTurn();
  await loopTurn();
  const result = attempt();
  if (result !== undefined) return result;
  throw new OpError(wouldBlock, `${context}: would block`);
}

function address(host, port) {
  return { host, port };
}

// ---------------------------------------------------------------------------------------
// TCP connections

function newConnection(sock) {
  const state = {
    kind: 'conn', sock, waiters: new Set(), chunks: [], queued: 0, eof: false, error: null,
    writesPending: 0, paused: false, ended: false, errorReported: false,
  };
  sock.on('data', (chunk) => {
    state.chunks.push(chunk);
    state.queued += chunk.length;
    if (state.queued > QUEUE_LIMIT && !state.paused) {
      state.paused = true;
      sock.pause();
    }
    notify(state);
  });
  sock.on('end', () => {
    state.eof = true;
    notify(state);
  });
  sock.on('error', (err) => {
    if (!state.error) state.error = err;
    notify(state);
  });
  sock.on('close', () => notify(state));
  return state;
}

// A connection's error (an 'error' event) is reported once, by the next operation, as the
// kernel reports a pending SO_ERROR once; afterwards the socket is destroyed and Node's own
// answers apply (end of stream on read, ERR_STREAM_DESTROYED on write).
function connectionError(state, context) {
  if (state.error && !state.errorReported) {
    state.errorReported = true;
    throw asOpError(state.error, context);
  }
}

function takeReceived(state, max) {
  const parts = [];
  let taken = 0;
  while (taken < max && state.chunks.length) {
    const chunk = state.chunks[0];
    const want = max - taken;
    if (chunk.length <= want) {
      parts.push(chunk);
      state.chunks.shift();
      taken += chunk.length;
    } else {
      parts.push(chunk.subarray(0, want));
      state.chunks[0] = chunk.subarray(want);
      taken += want;
    }
  }
  state.queued -= taken;
  if (state.paused && state.queued <= QUEUE_LIMIT / 2) {
    state.paused = false;
    state.sock.resume();
  }
  return Buffer.concat(parts, taken);
}

function closeConnection(state, graceful) {
  const sock = state.sock;
  if (!graceful) {
    sock.destroy();
  } else if (sock.writableLength > 0 && !sock.destroyed) {
    // close(2) delivers data already sent: let Node flush its user-space write buffer
    // first (Socket.destroySoon: end(), then destroy() once finished).
    sock.destroySoon();
  } else {
    sock.destroy();
  }
}

// ---------------------------------------------------------------------------------------
// operations

const ops = {};

ops.hello = () => ({
  protocol: PROTOCOL,
  implementation: 'node-net-dgram',
  version: process.version,
  language: 'javascript',
  features: FEATURES,
});

ops.reset = () => {
  closeAll();
  return {};
};

ops.close = (args) => {
  const state = lookup(args);
  handles.delete(args.handle);
  closeState(state, true);
  return {};
};

function closeState(state, graceful) {
  if (state.kind === 'conn') closeConnection(state, graceful);
  else if (state.kind === 'server') {
    state.server.close();
    for (const pending of state.pending) pending.sock.destroy();
    state.pending = [];
  } else if (state.kind === 'udp') {
    try {
      state.sock.close();
    } catch (err) {
      // already closed
    }
  }
  notify(state);
}

function closeAll() {
  for (const state of handles.values()) closeState(state, false);
  handles.clear();
}

ops['tcp.listen'] = async (args) => {
  const family = familyArg(args);
  const host = arg(args, 'host', 'str');
  const port = arg(args, 'port', 'int', 0);
  const backlog = arg(args, 'backlog', 'int', 128);
  const options = arg(args, 'options', 'dict', {});
  checkAddress(family, host, port);
  const listenOptions = { host, port, backlog };
  for (const [name, value] of Object.entries(options)) {
    if (name === 'v6only' && family === 'ipv6') {
      listenOptions.ipv6Only = boolValue(name, value);
    } else if (name === 'reuseaddr' && boolValue(name, value)) {
      // libuv sets SO_REUSEADDR on every TCP listener anyway (uv__tcp_bind): nothing to do.
    } else {
      throw unsupported(`option ${name}${name === 'reuseaddr' ? '=false' : ''} on a net.Server`);
    }
  }
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
  const state = { kind: 'server', server, waiters: new Set(), pending: [], error: null };
  server.on('connection', (sock) => {
    // Node accepts eagerly; the connection waits here, not reading (pauseOnConnect),
    // until tcp.accept hands it out.
    state.pending.push(newConnection(sock));
    notify(state);
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
  server.on('error', (err) => {
    state.error = err;
    notify(state);
  });
  const local = server.address();
  return { handle: register(state), local: address(local.address, local.port) };
};

ops['tcp.connect'] = async (args) => {
  const family = familyArg(args);
  const host = arg(args, 'host', 'str');
  const port = arg(args, 'port', 'int');
  const timeout = timeoutArg(args);
  const bind = arg(args, 'bind', 'dict', null);
  const options = arg(args, 'options', 'dict', {});
  checkAddress(family, host, port);
  const connectOptions = { host, port, family: family === 'ipv4' ? 4 : 6 };
  if (bind !== null) {
    const localHost = arg(bind, 'host', 'str');
    const localPort = arg(bind, 'port', 'int', 0);
    checkAddress(family, localHost, localPort);
    connectOptions.localAddress = localHost;
    connectOptions.localPort = localPort;
  }
  const sock = new net.Socket({ allowHalfOpen: true });
  for (const [name, value] of Object.entries(options)) {
    if (name === 'nodelay') sock.setNoDelay(boolValue(name, value));
    else if (name === 'keepalive') sock.setKeepAlive(boolValue(name, value));
    else throw unsupported(`option ${name} on a net.Socket before connect`);
  }
  const state = newConnection(sock);
  const attempt = () => {
    if (state.error) throw asOpError(state.error, 'connect');
    if (!sock.connecting && !sock.destroyed && sock.remoteAddress !== undefined) return true;
    return undefined;
  };
  sock.once('connect', () => notify(state));
  sock.connect(connectOptions);
  try {
    if (timeout === 0) throw new OpError('EINPROGRESS', 'connect: in progress (Node connects asynchronously)');
    await waitFor(state, timeout, attempt, 'connect');
  } catch (err) {
    sock.destroy();
    throw err;
  }
  return {
    handle: register(state),
    local: address(sock.localAddress, sock.localPort),
    peer: address(sock.remoteAddress, sock.remotePort),
  };
};

ops['tcp.accept'] = async (args) => {
  const state = lookup(args);
  const timeout = timeoutArg(args);
  if (state.kind !== 'server') throw new OpError('EINVAL', 'accept: not a listener');
  const conn = await waitFor(state, timeout, () => {
    if (state.pending.length) return state.pending.shift();
    if (state.error) throw asOpError(state.error, 'accept');
    return undefined;
  }, 'accept');
  const sock = conn.sock;
  const result = {
    handle: register(conn),
    local: address(sock.localAddress, sock.localPort),
    peer: address(sock.remoteAddress, sock.remotePort),
  };
  sock.resume(); // start reading (the connection was accepted paused)
  return result;
};

function connectionOf(state, context) {
  if (state.kind === 'conn') return state;
  if (state.kind === 'server') throw new OpError('ENOTCONN', `${context}: a net.Server is not a connection`);
  throw new OpError('EOPNOTSUPP', `${context}: not a stream socket`);
}

ops['stream.send'] = async (args) => {
  const state = connectionOf(lookup(args), 'send');
  const data = dataArg(args);
  const timeout = timeoutArg(args);
  connectionError(state, 'send');
  if (data.length === 0) return { sent: 0 };
  const sock = state.sock;
  // Node took every byte of earlier sends; wait until they reached the kernel.
  await waitFor(state, timeout, () => {
    connectionError(state, 'send');
    return state.writesPending === 0 ? true : undefined;
  }, 'send');
  let immediate = null;
  state.writesPending += 1;
  let settled = false;
  const written = new Promise((resolve) => {
    try {
      sock.write(data, (err) => {
        state.writesPending -= 1;
        settled = true;
        immediate = err || null;
        notify(state);
        resolve();
      });
    } catch (err) {
      state.writesPending -= 1;
      settled = true;
      immediate = err;
      resolve();
    }
  });
  // Let a write that fails at once (EPIPE, write after end) report its error now.
  await Promise.race([written, new Promise((resolve) => setImmediate(resolve))]);
  if (settled && immediate) {
    if (state.error === immediate) state.errorReported = true; // the same failure, reported here
    throw asOpError(immediate, 'send');
  }
  return { sent: data.length };
};

ops['stream.recv'] = async (args) => {
  const state = connectionOf(lookup(args), 'recv');
  const max = arg(args, 'max', 'int');
  if (max < 1) throw bad('max must be >= 1');
  const timeout = timeoutArg(args);
  const data = await waitFor(state, timeout, () => {
    if (state.queued > 0) return takeReceived(state, max);
    connectionError(state, 'recv');
    if (state.eof || state.sock.destroyed) return Buffer.alloc(0);
    return undefined;
  }, 'recv');
  return { data: data.toString('base64') };
};

ops['stream.shutdown'] = (args) => {
  const state = connectionOf(lookup(args), 'shutdown');
  const how = arg(args, 'how', 'str');
  if (!['read', 'write', 'both'].includes(how)) throw bad(`unknown shutdown direction ${how}`);
  if (how !== 'write') throw unsupported(`shutdown ${how}: net.Socket has no read-side shutdown`);
  connectionError(state, 'shutdown');
  state.ended = true;
  state.sock.end(); // flushes Node's write buffer, then shutdown(SHUT_WR)
  return {};
};

ops['stream.abort'] = (args) => {
  const state = lookup(args);
  handles.delete(args.handle);
  if (state.kind === 'conn') {
    if (state.sock.destroyed) state.sock.destroy();
    else state.sock.resetAndDestroy(); // SO_LINGER {1, 0} + close: RST (uv_tcp_close_reset)
    notify(state);
  } else {
    closeState(state, false);
  }
  return {};
};

ops['udp.bind'] = async (args) => {
  const family = familyArg(args);
  const host = arg(args, 'host', 'str');
  const port = arg(args, 'port', 'int', 0);
  const options = arg(args, 'options', 'dict', {});
  checkAddress(family, host, port);
  const createOptions = { type: family === 'ipv4' ? 'udp4' : 'udp6' };
  const afterBind = [];
  for (const [name, value] of Object.entries(options)) {
    if (name === 'reuseaddr') createOptions.reuseAddr = boolValue(name, value);
    else if (name === 'v6only' && family === 'ipv6') createOptions.ipv6Only = boolValue(name, value);
    else if (name === 'rcvbuf') createOptions.recvBufferSize = intValue(name, value);
    else if (name === 'sndbuf') createOptions.sendBufferSize = intValue(name, value);
    else if (name === 'broadcast' || name === 'ttl') {
      // dgram can set these only on a bound socket: applied right after bind.
      afterBind.push([name, name === 'ttl' ? intValue(name, value) : boolValue(name, value)]);
    } else throw unsupported(`option ${name} on a dgram socket`);
  }
  let sock;
  try {
    sock = dgram.createSocket(createOptions);
  } catch (err) {
    throw asOpError(err, 'socket');
  }
  const state = { kind: 'udp', sock, waiters: new Set(), messages: [], error: null };
  sock.on('message', (msg, rinfo) => {
    state.messages.push({ msg, peer: address(rinfo.address, rinfo.port) });
    notify(state);
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
  sock.on('error', (err) => {
    state.error = err; // e.g. ECONNREFUSED from recvmsg on a connected socket
    notify(state);
  });
  try {
    for (const [name, value] of afterBind) setUdpOption(sock, name, value);
  } catch (err) {
    sock.close();
    throw err;
  }
  const local = sock.address();
  return { handle: register(state), local: address(local.address, local.port) };
};

function udpOf(state, context) {
  if (state.kind !== 'udp') throw new OpError('EOPNOTSUPP', `${context}: not a datagram socket`);
  return state;
}

ops['udp.connect'] = async (args) => {
  const state = udpOf(lookup(args), 'connect');
  const host = arg(args, 'host', 'str');
  const port = arg(args, 'port', 'int');
  const family = state.sock.type === 'udp4' ? 'ipv4' : 'ipv6';
  checkAddress(family, host, port);
  await new Promise((resolve, reject) => {
    try {
      state.sock.connect(port, host, (err) => (err ? reject(asOpError(err, 'connect')) : resolve()));
    } catch (err) {
      reject(asOpError(err, 'connect'));
    }
  });
  const local = state.sock.address();
  const peer = state.sock.remoteAddress();
  return { local: address(local.address, local.port), peer: address(peer.address, peer.port) };
};

ops['udp.sendto'] = async (args) => {
  const state = udpOf(lookup(args), 'sendto');
  const data = dataArg(args);
  const host = arg(args, 'host', 'str', null);
  const timeout = timeoutArg(args);
  let port = null;
  if (host !== null) {
    port = arg(args, 'port', 'int');
    checkAddress(state.sock.type === 'udp4' ? 'ipv4' : 'ipv6', host, port);
  }
  const sending = new Promise((resolve, reject) => {
    const done = (err, bytes) => (err ? reject(asOpError(err, 'send')) : resolve(bytes));
    try {
      if (host === null) {
        let connected = true;
        try {
          state.sock.remoteAddress();
        } catch (err) {
          connected = false;
        }
        // dgram.send without a port on an unconnected socket: Node refuses it itself
        // (ERR_SOCKET_BAD_PORT); the closest errno is EDESTADDRREQ.
        if (!connected) throw new OpError('EDESTADDRREQ', 'send: no destination and not connected');
        state.sock.send(data, done);
      } else {
        state.sock.send(data, port, host, done);
      }
    } catch (err) {
      reject(asOpError(err, 'send'));
    }
  });
  let timer;
  const timedOut = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new OpError(timeout === 0 ? 'EAGAIN' : 'ETIMEDOUT', 'send: timed out')),
      Math.min(MAX_TIMER_MS, Math.ceil(timeout * 1000)));
  });
  try {
    const bytes = await Promise.race([sending, timedOut]);
    return { sent: typeof bytes === 'number' ? bytes : data.length };
  } finally {
    clearTimeout(timer);
  }
};

ops['udp.recvfrom'] = async (args) => {
  const state = udpOf(lookup(args), 'recvfrom');
  const max = arg(args, 'max', 'int');
  if (max < 0) throw bad('max must be >= 0');
  const timeout = timeoutArg(args);
  const { msg, peer } = await waitFor(state, timeout, () => {
    if (state.messages.length) return state.messages.shift();
    if (state.error) {
      const err = state.error;
      state.error = null; // a pending socket error is reported once (SO_ERROR)
      throw asOpError(err, 'recvmsg');
    }
    return undefined;
  }, 'recvfrom');
  return { data: msg.subarray(0, max).toString('base64'), peer, truncated: msg.length > max };
};

ops['addr.local'] = (args) => {
  const state = lookup(args);
  if (state.kind === 'server') {
    const a = state.server.address();
    if (!a) throw new OpError('EBADF', 'getsockname: listener closed');
    return address(a.address, a.port);
  }
  if (state.kind === 'udp') {
    try {
      const a = state.sock.address();
      return address(a.address, a.port);
    } catch (err) {
      throw asOpError(err, 'getsockname');
    }
  }
  const sock = state.sock;
  if (sock.localAddress === undefined) throw new OpError('EINVAL', 'getsockname: Node reports no local address');
  return address(sock.localAddress, sock.localPort);
};

ops['addr.peer'] = (args) => {
  const state = lookup(args);
  if (state.kind === 'server') throw new OpError('ENOTCONN', 'getpeername: a net.Server has no peer');
  if (state.kind === 'udp') {
    try {
      const a = state.sock.remoteAddress();
      return address(a.address, a.port);
    } catch (err) {
      throw asOpError(err, 'getpeername');
    }
  }
  const sock = state.sock;
  if (sock.remoteAddress === undefined) throw new OpError('ENOTCONN', 'getpeername: not connected');
  return address(sock.remoteAddress, sock.remotePort);
};

function setUdpOption(sock, name, value) {
  try {
    if (name === 'broadcast') sock.setBroadcast(boolValue(name, value));
    else if (name === 'ttl') sock.setTTL(intValue(name, value));
    else if (name === 'rcvbuf') sock.setRecvBufferSize(intValue(name, value));
    else if (name === 'sndbuf') sock.setSendBufferSize(intValue(name, value));
    else throw unsupported(`option ${name} on a dgram socket`);
  } catch (err) {
    throw asOpError(err, `setsockopt ${name}`);
  }
}

ops['opt.set'] = (args) => {
  const state = lookup(args);
  const name = arg(args, 'name', 'str');
  if (!Object.prototype.hasOwnProperty.call(args, 'value')) throw bad('missing argument "value"');
  const value = args.value;
  if (value !== null && typeof value !== 'boolean' && !isInt(value)) throw bad('value has the wrong type');
  if (state.kind === 'udp') {
    setUdpOption(state.sock, name, value);
  } else if (state.kind === 'conn' && name === 'nodelay') {
    state.sock.setNoDelay(boolValue(name, value));
  } else if (state.kind === 'conn' && name === 'keepalive') {
    state.sock.setKeepAlive(boolValue(name, value));
  } else {
    throw unsupported(`option ${name} cannot be set on a ${state.kind === 'conn' ? 'net.Socket' : 'net.Server'}`);
  }
  return {};
};

ops['opt.get'] = (args) => {
  const state = lookup(args);
  const name = arg(args, 'name', 'str');
  if (state.kind === 'udp' && (name === 'rcvbuf' || name === 'sndbuf')) {
    try {
      return { value: name === 'rcvbuf' ? state.sock.getRecvBufferSize() : state.sock.getSendBufferSize() };
    } catch (err) {
      throw asOpError(err, `getsockopt ${name}`);
    }
  }
  throw unsupported(`Node has no getter for option ${name} on this socket`);
};

// ---------------------------------------------------------------------------------------
// features

function ipv6Loopback() {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs || []) if (a.internal && a.address === '::1') return true;
  }
  return false;
}

// What net/dgram implement fully. Not declared (README.md): tcp.socket (a net.Socket has
// no OS socket before connect), opt.* (Node has setters but no getters for nearly all
// options, and no TCP buffer/TTL/linger/reuseport options at all), raw, ping-socket.
const FEATURES = ['tcp', 'udp', 'ipv4', 'tcp.bind-connect', 'stream.shutdown', 'stream.abort', 'nonblocking'];
if (ipv6Loopback()) FEATURES.push('ipv6', 'ipv4-mapped');

// ---------------------------------------------------------------------------------------
// the loop: one request at a time, answered in order

async function handle(line) {
  let request;
  try {
    request = JSON.parse(line);
  } catch (err) {
    return { id: null, ok: false, error: { code: 'BADREQUEST', message: 'not JSON' } };
  }
  const id = request !== null && typeof request === 'object' ? request.id : null;
  try {
    if (request === null || typeof request !== 'object' || Array.isArray(request) || typeof request.op !== 'string') {
      throw bad("a request is an object with a string 'op'");
    }
    const op = Object.prototype.hasOwnProperty.call(ops, request.op) ? ops[request.op] : null;
    if (!op) throw unsupported(`unknown operation ${request.op}`);
    let args = request.args;
    if (args === undefined || args === null) args = {};
    if (!TYPES.dict(args)) throw bad('args must be an object');
    const result = await op(args);
    return { id, ok: true, result };
  } catch (err) {
    const code = err instanceof OpError ? err.code : errorCode(err);
    if (!(err instanceof OpError)) process.stderr.write(`node adapter: ${err && err.stack}\n`);
    return { id, ok: false, error: { code, message: String((err && err.message) || code) } };
  }
}

const lines = [];
let busy = false;
let stdinClosed = false;

async function pump() {
  if (busy) return;
  busy = true;
  while (lines.length) {
    const response = await handle(lines.shift());
    process.stdout.write(JSON.stringify(response) + '\n');
  }
  busy = false;
  if (stdinClosed) finish();
}

function finish() {
  closeAll();
  process.exit(0);
}

process.on('SIGPIPE', () => {}); // Node ignores SIGPIPE already; be explicit
process.on('uncaughtException', (err) => {
  process.stderr.write(`node adapter: uncaught ${err && err.stack}\n`);
});

const input = readline.createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
input.on('line', (line) => {
  if (!line.trim()) return;
  lines.push(line);
  pump();
});
input.on('close', () => {
  stdinClosed = true;
  if (!busy) finish();
});
