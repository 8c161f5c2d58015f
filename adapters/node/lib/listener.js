// TCP listeners: tcp.listen (net.createServer) and tcp.accept.

'use strict';

const net = require('net');
const { supply, unsupported, asOpError } = require('./errors');
const { arg, timeoutArg, familyArg, boolValue } = require('./args');
const { checkAddress, address } = require('./address');
const { register, lookup } = require('./handles');
const { notify, waitFor } = require('./wait');
const { newConnection } = require('./connection');

const ops = {};

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

ops['tcp.accept'] = async (args) => {
  const state = lookup(args);
  const timeout = timeoutArg(args);
  if (state.kind !== 'server') throw supply('EINVAL', 'accept: not a listener');
  const conn = await waitFor(state, timeout, () => {
    if (state.pending.length) return state.pending.shift();
    if (state.error) throw asOpError(state.error, 'accept');
    return undefined;
  }, 'accept');
  const sock = conn.sock;
  const result = conn.unix // a Unix listener's connection (lib/unix.js): the addresses the adapter kept
    ? { handle: register(conn), local: conn.unix.local, peer: conn.unix.peer, emulated: ['local', 'peer'] }
    : {
      handle: register(conn),
      local: address(sock.localAddress, sock.localPort),
      peer: address(sock.remoteAddress, sock.remotePort),
    };
  sock.resume(); // start reading (the connection was accepted paused)
  return result;
};

module.exports = { ops };
