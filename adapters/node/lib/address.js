// Addresses: numeric host checks, the protocol's {host, port} form, addr.local/addr.peer.

'use strict';

const net = require('net');
const { OpError, supply, asOpError } = require('./errors');
const { lookup } = require('./handles');

// A numeric host valid for the family and a port in range; never resolves names.
function checkAddress(family, host, port) {
  const ok = family === 'ipv4' ? net.isIPv4(host) : net.isIPv6(host);
  if (!ok) throw new OpError('EINVAL', `not a numeric address for this family: ${host}`);
  if (port < 0 || port > 65535) throw new OpError('EINVAL', `port out of range: ${port}`);
}

function address(host, port) {
  return { host, port };
}

// A Unix connection's address as the adapter kept it: every field is the adapter's.
function kept(unixAddr) {
  return { ...unixAddr, emulated: Object.keys(unixAddr) };
}

// The protocol's form of a Unix path as Node reports it: "\0name" is an abstract name.
function unixAddress(path) {
  if (path === null || path === undefined || path === '') return { unnamed: true };
  if (path.startsWith('\0')) return { abstract: path.slice(1) };
  return { path };
}

const ops = {};

ops['addr.local'] = (args) => {
  const state = lookup(args);
  // an echo server of serve.start: the address it reported when it started, kept
  if (state.kind === 'serve') return { ...state.local, emulated: Object.keys(state.local) };
  if (state.kind === 'server') {
    const a = state.server.address();
    if (!a) throw supply('EBADF', 'getsockname: listener closed (server.address() is null)');
    if (state.unix) return unixAddress(a); // a pipe server reports its path (a string)
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
  if (state.unix) return kept(state.unix.local); // a pipe's net.Socket has no getsockname (lib/unix.js)
  const sock = state.sock;
  if (sock.localAddress === undefined) throw supply('EINVAL', 'getsockname: Node reports no local address');
  return address(sock.localAddress, sock.localPort);
};

ops['addr.peer'] = (args) => {
  const state = lookup(args);
  if (state.kind === 'server' || state.kind === 'serve') {
    throw new OpError('UNSUPPORTED', 'getpeername: a net.Server has no peer (tcp.listener-io not declared)');
  }
  if (state.kind === 'udp') {
    try {
      const a = state.sock.remoteAddress();
      return address(a.address, a.port);
    } catch (err) {
      throw asOpError(err, 'getpeername');
    }
  }
  if (state.unix) return kept(state.unix.peer); // a pipe's net.Socket has no getpeername (lib/unix.js)
  const sock = state.sock;
  if (sock.remoteAddress === undefined) throw supply('ENOTCONN', 'getpeername: not connected (remoteAddress is undefined)');
  return address(sock.remoteAddress, sock.remotePort);
};

module.exports = { checkAddress, address, unixAddress, ops };
