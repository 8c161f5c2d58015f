#!/usr/bin/env node
// sockspec adapter for Node.js: thin glue over Node's own `net` and `dgram` modules.
//
// Protocol: docs/protocol.md (JSON Lines on stdin/stdout, one request at a time).
// No dependencies, no build step: `node adapter.js`.
//
// This file is the protocol loop: it reads requests, dispatches each to its operation and
// writes the answer. The operations live in lib/ (README.md, "Files"): Node's
// event-driven sockets are mapped onto the protocol's blocking operations by queueing
// what events deliver (lib/connection.js, lib/datagram.js) and waiting on those queues with
// deadlines (lib/wait.js). Errors arrive as 'error' events; they are kept on the socket and
// reported by the next operation on it (lib/errors.js maps them to errno names).

'use strict';

const readline = require('readline');
const { bad, unsupported, errorName } = require('./lib/errors');
const { TYPES, parseRequest, Fraction } = require('./lib/args');
const { closeAll } = require('./lib/close');
const { settle } = require('./lib/wait');

// operation name -> function(args) returning the result (or a promise of it)
const ops = Object.assign(
  {},
  require('./lib/hello').ops,
  require('./lib/close').ops,
  require('./lib/listener').ops,
  require('./lib/stream').ops,
  require('./lib/datagram').ops,
  require('./lib/address').ops,
  require('./lib/options').ops,
  require('./lib/serve').ops,
  require('./lib/unix').ops,
  require('./lib/readiness').ops,
  require('./lib/multicast').ops,
);

async function handle(line) {
  let request;
  try {
    request = parseRequest(line); // a number written as a fraction stays one (args.js)
  } catch (err) {
    return { id: null, ok: false, error: { code: 'BADREQUEST', message: 'not JSON' } };
  }
  let id = request !== null && typeof request === 'object' ? request.id : null;
  if (id instanceof Fraction) id = id.value;
  try {
    if (request === null || typeof request !== 'object' || Array.isArray(request) || typeof request.op !== 'string') {
      throw bad("a request is an object with a string 'op'");
    }
    const op = Object.prototype.hasOwnProperty.call(ops, request.op) ? ops[request.op] : null;
    if (!op) throw unsupported(`unknown operation ${request.op}`);
    let args = request.args;
    if (args === undefined || args === null) args = {};
    if (!TYPES.dict(args)) throw bad('args must be an object');
    // Each request first lets the loop poll: it then acts on everything that reached the
    // process before the request did, as a Node program's callbacks would. Otherwise whether
    // Node had read a peer's bytes before a close depended on which descriptor epoll listed
    // first (TCP-TEARDOWN-007 went either way).
    await settle();
    const result = await op(args);
    return { id, ok: true, result };
  } catch (err) {
    const { code, supplied } = errorName(err);
    if (!(err && err.supplied !== undefined)) process.stderr.write(`node adapter: ${err && err.stack}\n`);
    const error = { code, message: String((err && err.message) || code) };
    if (supplied) error.supplied = true;
    return { id, ok: false, error };
  }
}

// The loop: one request at a time, answered in order.
const lines = [];
let busy = false;
let stdinClosed = false;

async function pump() {
  if (busy) return;
  busy = true;
  while (lines.length) {
    const response = await handle(lines.shift());
    process.stdout.write(JSON.stringify(response) + '\n');
  }
  busy = false;
  if (stdinClosed) finish();
}

function finish() {
  closeAll();
  process.exit(0);
}

process.on('SIGPIPE', () => {}); // Node ignores SIGPIPE already; be explicit
process.on('uncaughtException', (err) => {
  process.stderr.write(`node adapter: uncaught ${err && err.stack}\n`);
});

const input = readline.createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
input.on('line', (line) => {
  if (!line.trim()) return;
  lines.push(line);
  pump();
});
input.on('close', () => {
  stdinClosed = true;
  if (!busy) finish();
});
