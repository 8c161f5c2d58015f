// Socket options: opt.set / opt.get, as far as Node has setters and getters.
//
// Node has setters for nodelay/keepalive (net.Socket) and for the dgram options (the
// multicast ones of 1.7 included, lib/multicast.js), but a getter only for the dgram buffer
// sizes; everything else answers UNSUPPORTED (README.md).

'use strict';

const { bad, unsupported, asOpError } = require('./errors');
const { arg, isInt, boolValue, intValue } = require('./args');
const { lookup } = require('./handles');
const multicast = require('./multicast');

function setUdpOption(sock, name, value) {
  try {
    if (name === 'broadcast') sock.setBroadcast(boolValue(name, value));
    else if (name === 'ttl') sock.setTTL(intValue(name, value));
    else if (name === 'rcvbuf') sock.setRecvBufferSize(intValue(name, value));
    else if (name === 'sndbuf') sock.setSendBufferSize(intValue(name, value));
    else if (multicast.NAMES.has(name)) multicast.setMulticastOption(sock, name, value); // 1.7, setters only
    else throw unsupported(`option ${name} on a dgram socket`);
  } catch (err) {
    throw asOpError(err, `setsockopt ${name}`);
  }
}

const ops = {};

ops['opt.set'] = (args) => {
  const state = lookup(args);
  const name = arg(args, 'name', 'str');
  if (!Object.prototype.hasOwnProperty.call(args, 'value')) throw bad('missing argument "value"');
  const value = args.value;
  // (1.7) multicast_if takes an interface object
  const object = name === 'multicast_if' && value !== null && typeof value === 'object' && !Array.isArray(value);
  if (value !== null && typeof value !== 'boolean' && !isInt(value) && !object) throw bad('value has the wrong type');
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

module.exports = { setUdpOption, ops };
