// Errors: the protocol's error codes, and Node's errors turned into POSIX errno names.
//
// Codes are Node's err.code, which is the errno name for system errors; the few
// Node-level codes (ERR_*) are mapped to the closest errno name (README.md).

'use strict';

class OpError extends Error {
  // supplied: the adapter chose the errno name, Node reported none (protocol 1.3, §2.2)
  constructor(code, message, supplied = false) {
    super(message || code);
    this.code = code;
    this.supplied = supplied;
  }
}
const supply = (code, message) => new OpError(code, message, true);
const bad = (message) => new OpError('BADREQUEST', message);
const unsupported = (message) => new OpError('UNSUPPORTED', message);

const CANONICAL = { EWOULDBLOCK: 'EAGAIN', ENOTSUP: 'EOPNOTSUPP', EDEADLOCK: 'EDEADLK' };
// Node-level error codes (no errno behind them) → the closest errno name. See README.md.
const NODE_CODES = {
  ERR_STREAM_WRITE_AFTER_END: 'EPIPE', // write after socket.end() (shutdown write)
  ERR_STREAM_DESTROYED: 'EPIPE', // write on a destroyed socket
  ERR_SOCKET_CLOSED: 'EPIPE',
  ERR_SOCKET_DGRAM_NOT_CONNECTED: 'ENOTCONN',
  ERR_SOCKET_DGRAM_IS_CONNECTED: 'EISCONN',
  ERR_SOCKET_BAD_PORT: 'EINVAL',
  ERR_INVALID_ARG_VALUE: 'EINVAL',
  ERR_INVALID_IP_ADDRESS: 'EINVAL',
  ERR_SOCKET_DGRAM_NOT_RUNNING: 'EBADF',
};

// The errno name for a Node error, and whether the adapter chose it: an E* code is Node's
// own (libuv's errno, or a name Node gave itself); ERR_* codes and anything else are not.
function errorName(err) {
  if (err instanceof OpError) return { code: err.code, supplied: err.supplied };
  const code = err && err.code;
  if (typeof code === 'string') {
    if (/^E[A-Z0-9]+$/.test(code)) return { code: CANONICAL[code] || code, supplied: false };
    if (NODE_CODES[code]) return { code: NODE_CODES[code], supplied: true };
  }
  process.stderr.write(`node adapter: unmapped error ${code}: ${err && err.message}\n`);
  return { code: 'EINVAL', supplied: true };
}

const errorCode = (err) => errorName(err).code;

function asOpError(err, context) {
  if (err instanceof OpError) return err;
  const { code, supplied } = errorName(err);
  return new OpError(code, `${context}: ${err && err.message} (${err && err.code})`, supplied);
}

module.exports = { OpError, bad, unsupported, supply, errorCode, errorName, asOpError };
