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

func deadline(timeout float64) time.Time {
	if timeout == 0 {
		return time.Now().Add(zeroWait)
	}
	return time.Now().Add(time.Duration(timeout * float64(time.Second)))
}
