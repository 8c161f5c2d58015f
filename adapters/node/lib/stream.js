// TCP streams: tcp.connect and stream.send / stream.recv / stream.shutdown.
//
// stream.send hands all the bytes to socket.write() (Node buffers writes in user space);
// the next stream.send first waits until every earlier write has reached the kernel
// (its write callback ran), as protocol §6 asks of runtimes that buffer writes.

'use strict';

const net = require('net');
const { OpError, bad, unsupported, supply, asOpError } = require('./errors');
const { arg, timeoutArg, dataArg, familyArg, boolValue } = require('./args');
const { checkAddress, address } = require('./address');
const { register, lookup } = require('./handles');
const { notify, waitFor } = require('./wait');
const { newConnection, connectionError, takeReceived } = require('./connection');

const ops = {};

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
    // timeout 0: Node connects asynchronously; one turn of the loop shows a connect that
    // completed or failed at once, else EINPROGRESS (supplied: Node has no such answer).
    await waitFor(state, timeout, attempt, 'connect', 'EINPROGRESS');
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

// The connection behind a handle. net.Server has no send/recv at all: on a listener they
// cannot be expressed, so they are UNSUPPORTED and tcp.listener-io is not declared.
function connectionOf(state, context) {
  if (state.kind === 'conn') return state;
  if (state.kind === 'server') throw new OpError('UNSUPPORTED', `${context}: a net.Server is not a connection`);
  throw supply('EOPNOTSUPP', `${context}: not a stream socket`);
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

module.exports = { ops };
