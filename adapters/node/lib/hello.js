// The hello answer: protocol version, implementation, and the features declared.

'use strict';

const os = require('os');

const PROTOCOL = '1.8';

function ipv6Loopback() {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs || []) if (a.internal && a.address === '::1') return true;
  }
  return false;
}

// What net/dgram implement fully. Not declared (README.md): tcp.socket (a net.Socket has
// no OS socket before connect), stream.shutdown.read (net.Socket has no read-side shutdown:
// only socket.end(), the write side), opt.* (Node has setters but no getters for nearly all
// options, and no TCP buffer/TTL/linger/reuseport options at all), raw, ping-socket.
// udp.connect is dgram's socket.connect() (Node >= 12); serve.* are lib/serve.js.
const FEATURES = [
  'tcp', 'udp', 'udp.connect', 'ipv4', 'tcp.bind-connect', 'stream.shutdown.write', 'stream.abort', 'nonblocking',
  'serve.tcp', 'serve.udp',
  // 1.5 (lib/readiness.js): wait answered from Node's events, dgram's socket.disconnect().
  // Not declared (README.md): wait.rdhangup, tcp.pending, tcp.connect-handle, udp.reconnect,
  // blocking, the flags, and every 1.5 option.
  'wait', 'udp.disconnect',
  // 1.7 (lib/multicast.js): dgram's addMembership/dropMembership. Not declared (README.md):
  // opt.multicast_loop, opt.multicast_ttl, opt.multicast_if (setters only, no getters),
  // udp.errqueue, opt.recverr, opt.nonblock (dgram/net have none of them). 1.8: no SCTP.
  'multicast',
];
if (ipv6Loopback()) FEATURES.push('ipv6', 'ipv4-mapped');
// Unix-domain sockets (1.4, lib/unix.js): net over a path; Linux abstract names as "\0name".
// Not declared: unix.dgram, unix.seqpacket, unix.socketpair (net and dgram have none),
// unix.autobind, unix.peercred, unix.rights, unix.credentials.
// serve.unix: lib/serve.js's echo server listening on a path; no serve.unixgram (no Unix dgram).
if (process.platform !== 'win32') FEATURES.push('unix.stream', 'serve.unix');
if (process.platform === 'linux') FEATURES.push('unix.abstract');

const ops = {};

ops.hello = () => ({
  protocol: PROTOCOL,
  implementation: 'node-net-dgram',
  version: process.version,
  language: 'javascript',
  features: FEATURES,
});

module.exports = { ops };
