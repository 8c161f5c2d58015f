// Ending handles: close, stream.abort, reset, and closing everything at exit (echo servers
// of serve.start included).

'use strict';

const { forget, lookup, openStates, forgetAll } = require('./handles');
const { notify } = require('./wait');

function closeConnection(state, graceful) {
  const sock = state.sock;
  if (!graceful) {
    sock.destroy();
  } else if (sock.writableLength > 0 && !sock.destroyed) {
    // close(2) delivers data already sent: let Node flush its user-space write buffer
    // first (Socket.destroySoon: end(), then destroy() once finished).
    sock.destroySoon();
  } else {
    sock.destroy();
  }
}

// graceful: a protocol `close` (deliver what was sent); otherwise drop everything at once.
function closeState(state, graceful) {
  if (state.kind === 'conn') closeConnection(state, graceful);
  else if (state.kind === 'server') {
    state.server.close();
    for (const pending of state.pending) pending.sock.destroy();
    state.pending = [];
  } else if (state.kind === 'udp') {
    try {
      state.sock.close();
    } catch (err) {
      // already closed
    }
  } else if (state.kind === 'serve') {
    state.stop(); // an echo server of serve.start (lib/serve.js): close it like serve.stop
  }
  notify(state);
}

function closeAll() {
  for (const state of openStates()) closeState(state, false);
  forgetAll();
}

const ops = {};

ops.reset = () => {
  closeAll();
  return {};
};

ops.close = (args) => {
  const state = lookup(args);
  forget(args.handle);
  closeState(state, true);
  return {};
};

ops['stream.abort'] = (args) => {
  const state = lookup(args);
  forget(args.handle);
  if (state.kind === 'conn') {
    if (state.sock.destroyed || state.unix) {
      // A Unix socket: resetAndDestroy() is TCP-only (a Pipe handle throws
      // ERR_INVALID_HANDLE_TYPE); destroy() is Node's immediate close, and on AF_UNIX that is
      // all SO_LINGER 0 + close would do (there is no RST: unix(7)).
      state.sock.destroy();
    } else state.sock.resetAndDestroy(); // SO_LINGER {1, 0} + close: RST (uv_tcp_close_reset)
    notify(state);
  } else {
    closeState(state, false);
  }
  return {};
};

module.exports = { closeAll, ops };
