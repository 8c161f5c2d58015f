// Protocol 1.5: `wait` and `udp.disconnect`.
//
// Node has no readiness API: a Node program learns what a socket can do from its events
// ('data', 'end', 'error', 'close' on a net.Socket, write callbacks and 'drain', 'connection'
// on a net.Server, 'message' and 'error' on a dgram socket). The adapter already keeps what
// those events said (lib/connection.js, lib/listener.js, lib/datagram.js); `wait` answers
// from that state, waking on the same events (lib/wait.js), never from a poll of its own:
//
//   read     a connection: bytes queued from 'data', 'end' seen, or an 'error' not yet
//            reported; a listener: a connection queued from 'connection'; dgram: a message
//            queued from 'message' or an error kept from 'error'
//   write    a connection: connected ('connect' came), not destroyed, and every earlier
//            write's callback ran (Node's own buffer is empty, so a write goes to the kernel);
//            a dgram socket: always while open (dgram.send never refuses: it queues in libuv)
//   error    an 'error' event not yet reported by an operation
//   hangup   a connection Node closed ('close': both directions done, or destroyed)
//
// rdhangup has no counterpart (Node's 'end' is the read side's end of stream, reported as
// read): wait.rdhangup is not declared.

'use strict';

const { bad, unsupported, asOpError } = require('./errors');
const { arg, timeoutArg } = require('./args');
const { lookup } = require('./handles');
const { waitFor } = require('./wait');

const ops = {};

function conditions(state, want) {
  const held = [];
  if (state.kind === 'conn') {
    const sock = state.sock;
    const error = Boolean(state.error) && !state.errorReported;
    if (want.has('read') && (state.queued > 0 || state.eof || error || sock.destroyed)) held.push('read');
    if (want.has('write') && !sock.connecting && !sock.destroyed && state.writesPending === 0) held.push('write');
    if (error) held.push('error');
    if (sock.destroyed) held.push('hangup');
  } else if (state.kind === 'server') {
    if (want.has('read') && (state.pending.length > 0 || state.error)) held.push('read');
    if (state.error) held.push('error');
  } else if (state.kind === 'udp') {
    if (want.has('read') && (state.messages.length > 0 || state.error)) held.push('read');
    if (want.has('write')) held.push('write');
    if (state.error) held.push('error');
  }
  return held;
}

ops.wait = async (args) => {
  const state = lookup(args);
  const timeout = timeoutArg(args);
  const events = args.events;
  if (!Array.isArray(events) || !events.every((e) => typeof e === 'string')) {
    throw bad('argument "events" must be a list of strings');
  }
  const want = new Set();
  for (const e of events) {
    if (e === 'rdhangup') throw unsupported('wait: Node has no read hang-up event apart from end of stream');
    if (e !== 'read' && e !== 'write') throw bad(`unknown event ${JSON.stringify(e)}`);
    want.add(e);
  }
  if (state.kind === 'serve') throw unsupported('wait: this handle is an echo server (serve.start)');
  const check = () => {
    const held = conditions(state, want);
    return held.length ? held : undefined;
  };
  try {
    return { events: await waitFor(state, timeout, check, 'wait') };
  } catch (err) {
    // waitFor's "nothing in time" (EAGAIN at timeout 0, else ETIMEDOUT) is wait's empty answer
    if (err && (err.code === 'EAGAIN' || err.code === 'ETIMEDOUT')) return { events: [] };
    throw err;
  }
};

// dgram's socket.disconnect() (Node >= 12.10): connect(2) to AF_UNSPEC through libuv.
ops['udp.disconnect'] = (args) => {
  const state = lookup(args);
  if (state.kind !== 'udp') throw unsupported('udp.disconnect: not a dgram socket');
  try {
    state.sock.disconnect();
  } catch (err) {
    throw asOpError(err, 'disconnect');
  }
  return {};
};

module.exports = { ops };
