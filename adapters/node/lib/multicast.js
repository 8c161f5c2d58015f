// Multicast (protocol 1.7): udp.join, udp.leave, and the multicast options' setters.
//
// dgram's own calls: socket.addMembership(group, multicastInterface) and
// socket.dropMembership(group, multicastInterface) (IP_ADD_MEMBERSHIP / IPV6_JOIN_GROUP and
// their leave counterparts, through libuv's uv_udp_set_membership), socket.setMulticastLoopback,
// socket.setMulticastTTL and socket.setMulticastInterface. dgram takes an interface as an
// address string: IPv4 the interface's address, IPv6 "::%NAME" (the scope names the
// interface; libuv turns it into the index with if_nametoindex). A null interface is no
// argument at all (addMembership) or the family's any address (setMulticastInterface), so
// the system chooses. Node has no getter for any of the three options: they are set here and
// answer UNSUPPORTED to opt.get, and opt.multicast_* is not declared (README.md).

'use strict';

const { bad, supply, asOpError } = require('./errors');
const { arg, TYPES } = require('./args');
const { lookup } = require('./handles');
const { checkAddress } = require('./address');

const NAMES = new Set(['multicast_loop', 'multicast_ttl', 'multicast_if']);

// The interface object (or null/absent) as the string dgram takes, or undefined for null.
function interfaceString(sock, value) {
  if (value === undefined || value === null) return undefined;
  if (!TYPES.dict(value)) throw bad('an interface is an object {name, index, address} or null');
  if (sock.type === 'udp4') {
    if (value.address === undefined || value.address === null) return undefined;
    if (typeof value.address !== 'string') throw bad('interface.address must be a string');
    return value.address;
  }
  if (value.name === undefined || value.name === null) return undefined;
  if (typeof value.name !== 'string') throw bad('interface.name must be a string');
  return `::%${value.name}`;
}

function membership(args, join) {
  const state = lookup(args);
  if (state.kind !== 'udp') throw supply('EOPNOTSUPP', `${join ? 'join' : 'leave'}: not a datagram socket`);
  const group = arg(args, 'group', 'str');
  checkAddress(state.sock.type === 'udp4' ? 'ipv4' : 'ipv6', group, 0); // EINVAL, as for every host (§2.1)
  const iface = interfaceString(state.sock, args.interface);
  try {
    const call = join ? state.sock.addMembership : state.sock.dropMembership;
    if (iface === undefined) call.call(state.sock, group);
    else call.call(state.sock, group, iface);
  } catch (err) {
    throw asOpError(err, join ? 'addMembership' : 'dropMembership');
  }
  return {};
}

// opt.set of a multicast option on a dgram socket (lib/options.js): Node's setters.
function setMulticastOption(sock, name, value) {
  if (name === 'multicast_loop') {
    if (typeof value !== 'boolean') throw bad('option multicast_loop takes a bool');
    sock.setMulticastLoopback(value);
  } else if (name === 'multicast_ttl') {
    if (!Number.isInteger(value)) throw bad('option multicast_ttl takes an integer');
    sock.setMulticastTTL(value);
  } else {
    if (value !== null && !TYPES.dict(value)) throw bad('option multicast_if takes an interface object or null');
    const iface = interfaceString(sock, value);
    sock.setMulticastInterface(iface === undefined ? (sock.type === 'udp4' ? '0.0.0.0' : '::') : iface);
  }
}

const ops = {};
ops['udp.join'] = (args) => membership(args, true);
ops['udp.leave'] = (args) => membership(args, false);

module.exports = { NAMES, setMulticastOption, ops };
