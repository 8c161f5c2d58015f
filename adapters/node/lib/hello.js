// The hello answer: protocol version, implementation, and the features declared.

'use strict';

const os = require('os');

const PROTOCOL = '1.1';

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

const ops = {};

ops.hello = () => ({
  protocol: PROTOCOL,
  implementation: 'node-net-dgram',
  version: process.version,
  language: 'javascript',
  features: FEATURES,
});

module.exports = { ops };
