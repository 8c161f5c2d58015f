// The handle table: every open socket's state, under a number that is never reused.

'use strict';

const { OpError } = require('./errors');
const { arg } = require('./args');

const handles = new Map(); // handle -> state object
let nextHandle = 1; // never reused

function register(state) {
  const handle = nextHandle++;
  handles.set(handle, state);
  return handle;
}

// The state behind args.handle; EBADF if unknown or already closed.
function lookup(args) {
  const handle = arg(args, 'handle', 'int');
  const state = handles.get(handle);
  if (!state) throw new OpError('EBADF', `no open handle ${handle}`);
  return state;
}

function forget(handle) {
  handles.delete(handle);
}

function openStates() {
  return handles.values();
}

function forgetAll() {
  handles.clear();
}

module.exports = { register, lookup, forget, openStates, forgetAll };
