// UDP sockets (dgram): udp.bind, udp.connect, udp.sendto, udp.recvfrom.
//
// Datagrams are queued from 'message' events; a socket error (e.g. ECONNREFUSED from
// recvmsg on a connected socket) is kept and reported once by the next udp.recvfrom.

'use strict';

const dgram = require('dgram');
const { bad, unsupported, supply, asOpError } = require('./errors');
const { arg, timeoutArg, dataArg, familyArg, boolValue, intValue } = require('./args');
const { checkAddress, address } = require('./address');
const { register, lookup } = require('./handles');
const { timerDelay, notify, waitFor } = require('./wait');
const { setUdpOption } = require('./options');

const ops = {};

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
  if (state.kind !== 'udp') throw supply('EOPNOTSUPP', `${context}: not a datagram socket`);
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
        if (!connected) throw supply('EDESTADDRREQ', 'send: no destination and not connected');
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
    // dgram.send has no "no room" answer: a send the kernel cannot take now waits in libuv's
    // queue, and leaves later even after this answer (Node cannot withdraw it).
    timer = setTimeout(() => reject(timeout === 0
      ? supply('EAGAIN', 'send: not sent at once (the datagram stays queued in libuv)')
      : new OpError('ETIMEDOUT', `send: timed out after ${timeout} s (the datagram stays queued in libuv)`)),
    timerDelay(timeout));
  });
  try {
    const bytes = await Promise.race([sending, timedOut]);
    if (typeof bytes === 'number') return { sent: bytes };
    return { sent: data.length, emulated: ['sent'] }; // the callback gave no count
  } finally {
    clearTimeout(timer);
  }
};

ops['udp.recvfrom'] = async (args) => {
  const state = udpOf(lookup(args), 'recvfrom');
  const max = arg(args, 'max', 'int');
  if (max < 1) throw bad('max must be >= 1');
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
  // dgram delivers each message whole: the adapter cuts it to max and says whether it did
  return {
    data: msg.subarray(0, max).toString('base64'), peer, truncated: msg.length > max, emulated: ['truncated'],
  };
};

module.exports = { ops };
