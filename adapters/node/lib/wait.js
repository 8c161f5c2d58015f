// Waiting: the protocol's blocking operations, built on Node's events with deadlines.
//
// Every socket state has a set of `waiters`; its event handlers call notify(state), and
// each waiter retries its operation. No sleeps: a wait ends on an event or its timer.

'use strict';

const { OpError, supply } = require('./errors');

const MAX_TIMER_MS = 2147483647;

// setTimeout's delay for a protocol timeout in seconds (capped: larger delays fire at once).
function timerDelay(timeout) {
  return Math.min(MAX_TIMER_MS, Math.ceil(timeout * 1000));
}

function notify(state) {
  for (const waiter of [...state.waiters]) waiter();
}

// Attempt first; wait for events on `state` only if `attempt` returns undefined (would
// block), at most `timeout` seconds. timeout 0: `wouldBlock` (EAGAIN) at once.
function waitFor(state, timeout, attempt, context, wouldBlock = 'EAGAIN') {
  const first = attempt();
  if (first !== undefined) return Promise.resolve(first);
  if (timeout === 0) return attemptAfterPoll(attempt, context, wouldBlock);
  return new Promise((resolve, reject) => {
    let timer = null;
    const done = () => {
      clearTimeout(timer);
      state.waiters.delete(waiter);
    };
    const waiter = () => {
      let result;
      try {
        result = attempt();
      } catch (err) {
        done();
        reject(err);
        return;
      }
      if (result !== undefined) {
        done();
        resolve(result);
      }
    };
    state.waiters.add(waiter);
    timer = setTimeout(() => {
      state.waiters.delete(waiter);
      reject(new OpError('ETIMEDOUT', `${context}: timed out after ${timeout} s`));
    }, timerDelay(timeout));
  });
}

// Node learns of readiness only when libuv polls: a non-blocking attempt lets the event
// loop run one full iteration (its poll phase then polls with a zero timeout, because an
// immediate is pending), so what the kernel already holds is seen, then answers at once.
const loopTurn = () => new Promise((resolve) => setImmediate(resolve));
async function settle() {
  await loopTurn(); // the poll phase reads what the kernel holds ...
  await loopTurn(); // ... and the events it emitted have run
}
async function attemptAfterPoll(attempt, context, wouldBlock) {
  await settle();
  const result = attempt();
  if (result !== undefined) return result;
  // Node's events brought nothing in a loop turn: the name is the adapter's, not an errno
  throw supply(wouldBlock, `${context}: would block (nothing arrived in one turn of the event loop)`);
}

module.exports = { timerDelay, notify, waitFor, settle };
