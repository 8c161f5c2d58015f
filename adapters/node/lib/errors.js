// Errors: the protocol's error codes, and Node's errors turned into POSIX errno names.
//
// Codes are Node's err.code, which is the errno name for system errors; the few
// Node-level codes (ERR_*) are mapped to the closest errno name (README.md).

'use strict';

class OpError extends Error {
  constructor(code, message) {
    super(message || code);
    this.code = code;
  }
}
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

function errorCode(err) {
  if (err instanceof OpError) return err.code;
  const code = err && err.code;
  if (typeof code === 'string') {
    if (/^E[A-Z0-9]+$/.test(code)) return CANONICAL[code] || code;
    if (NODE_CODES[code]) return NODE_CODES[code];
  }
  process.stderr.write(`node adapter: unmapped error ${code}: ${err && err.message}\n`);
  return 'EINVAL';
}

function asOpError(err, context) {
  if (err instanceof OpError) return err;
  const code = errorCode(err);
  return new OpError(code, `${context}: ${err && err.message} (${err && err.code})`);
}

module.exports = { OpError, bad, unsupported, errorCode, asOpError };
