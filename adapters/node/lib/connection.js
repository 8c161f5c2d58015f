// A TCP connection's state: received data queued from 'data' events, with flow control,
// and its error kept until an operation reports it.
//
// Every connection feeds a per-socket queue of received chunks from 'data' events.
// stream.recv takes up to `max` bytes from it (the rest stays queued); empty data once
// 'end' was seen. Flow control: when more than QUEUE_LIMIT bytes are queued the socket is
// paused (Node then stops reading from the kernel once its own readable buffer is full),
// and resumed when stream.recv drains the queue, so a peer whose data is not read blocks.

'use strict';

const { asOpError } = require('./errors');
const { notify } = require('./wait');

const QUEUE_LIMIT = 64 * 1024; // received bytes kept in user space before the socket is paused

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

module.exports = { newConnection, connectionError, takeReceived };
