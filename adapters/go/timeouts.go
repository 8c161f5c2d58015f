// Timeouts: the protocol's seconds become net deadlines.

package main

import (
	"time"
)

const (
	defaultTimeout = 5.0
	// zeroWait is the deadline given for "timeout: 0". net has no non-blocking mode, and a
	// deadline already in the past makes net fail before it even tries the system call
	// (internal/poll checks the deadline first), so "do not wait" is a deadline this close.
	zeroWait = 2 * time.Millisecond
)

// onceDeadline is the deadline of a call made through RawConn that tries its system call
// once and never waits ("timeout: 0" on a send or receive, MSG_DONTWAIT, MSG_OOB): none at
// all. internal/poll checks the deadline before it calls, and under load the 2 ms of
// zeroWait went by while the goroutine waited for a CPU, so the call answered "timeout"
// without having been tried (a send buffer left unfilled: TCP-WIRE-015 flaky at -n 8).
func onceDeadline(once bool, timeout float64) time.Time {
	if once {
		return time.Time{}
	}
	return deadline(timeout)
}

func deadline(timeout float64) time.Time {
	if timeout == 0 {
		return time.Now().Add(zeroWait)
	}
	return time.Now().Add(time.Duration(timeout * float64(time.Second)))
}
