// Protocol errors, and how net's errors map onto POSIX errno names.

package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// opError is a protocol error: an errno name, UNSUPPORTED or BADREQUEST.
type opError struct{ code, message string }

func (e *opError) Error() string { return e.code + ": " + e.message }

func fail(code, format string, a ...any) *opError {
	return &opError{code, fmt.Sprintf(format, a...)}
}

func badRequest(format string, a ...any) *opError { return fail("BADREQUEST", format, a...) }

var canonical = map[string]string{"EWOULDBLOCK": "EAGAIN", "ENOTSUP": "EOPNOTSUPP", "EDEADLOCK": "EDEADLK"}

func errnoName(e syscall.Errno) string {
	name := unix.ErrnoName(e)
	if name == "" {
		return fmt.Sprintf("ERRNO%d", int(e))
	}
	if c, ok := canonical[name]; ok {
		return c
	}
	return name
}

// translate maps an error returned by net to the protocol's code. timeout is the
// operation's own timeout (0 turns an expired deadline into EAGAIN).
func translate(err error, context string, timeout float64) *opError {
	var op *opError
	if errors.As(err, &op) {
		return op
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		if timeout == 0 {
			if context == "connect" {
				return fail("EINPROGRESS", "%s: not completed at once: %v", context, err)
			}
			return fail("EAGAIN", "%s: would block: %v", context, err)
		}
		return fail("ETIMEDOUT", "%s: timed out after %g s: %v", context, timeout, err)
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return fail(errnoName(errno), "%s: %v", context, err)
	}
	if errors.Is(err, net.ErrClosed) {
		return fail("EBADF", "%s: %v", context, err)
	}
	if errors.Is(err, net.ErrWriteToConnected) {
		// net's own check (no system call): the closest errno is EISCONN.
		return fail("EISCONN", "%s: %v", context, err)
	}
	var addrErr *net.AddrError
	if errors.As(err, &addrErr) {
		return fail("EINVAL", "%s: %v", context, err)
	}
	fmt.Fprintf(os.Stderr, "sockspec-go: unmapped error in %s: %#v\n", context, err)
	return fail("EINVAL", "%s: %v", context, err)
}
