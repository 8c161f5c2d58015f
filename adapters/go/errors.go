// Protocol errors, and how net's errors map onto POSIX errno names.

package main

import (
	ctxpkg "context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// opError is a protocol error: an errno name, UNSUPPORTED or BADREQUEST. supplied: the
// adapter chose the name because net reported no errno (protocol 1.3, §2.2).
type opError struct {
	code, message string
	supplied      bool
}

func (e *opError) Error() string { return e.code + ": " + e.message }

func fail(code, format string, a ...any) *opError {
	return &opError{code: code, message: fmt.Sprintf(format, a...)}
}

// supply is an errno name the adapter chose itself: net gave an error without one.
func supply(code, format string, a ...any) *opError {
	return &opError{code: code, message: fmt.Sprintf(format, a...), supplied: true}
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
// operation's own timeout (0 turns an expired deadline into EAGAIN). Only an error that
// carries a syscall.Errno gives the kernel's name; every other name is the adapter's
// choice and is answered as supplied.
func translate(err error, context string, timeout float64) *opError {
	var op *opError
	if errors.As(err, &op) {
		return op
	}
	// A deadline that passed on a connection is os.ErrDeadlineExceeded; one that passed while
	// Dialer.Dial was still connecting is net's own timeout error, which is
	// context.DeadlineExceeded (net.mapErr).
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, ctxpkg.DeadlineExceeded) {
		if timeout == 0 {
			// net has no non-blocking mode: "timeout: 0" is a 2 ms deadline (timeouts.go),
			// and what net reports when it passes is a timeout, not an errno.
			if context == "connect" {
				return supply("EINPROGRESS", "%s: not completed within net's shortest deadline, abandoned: %v", context, err)
			}
			return supply("EAGAIN", "%s: would block (net's shortest deadline passed): %v", context, err)
		}
		return fail("ETIMEDOUT", "%s: timed out after %g s: %v", context, timeout, err)
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return fail(errnoName(errno), "%s: %v", context, err)
	}
	if errors.Is(err, net.ErrClosed) {
		return supply("EBADF", "%s: %v", context, err)
	}
	if errors.Is(err, net.ErrWriteToConnected) {
		// net's own check (no system call): the closest errno is EISCONN.
		return supply("EISCONN", "%s: %v", context, err)
	}
	var addrErr *net.AddrError
	if errors.As(err, &addrErr) {
		return supply("EINVAL", "%s: %v", context, err)
	}
	fmt.Fprintf(os.Stderr, "sockspec-go: unmapped error in %s: %#v\n", context, err)
	return supply("EINVAL", "%s: %v", context, err)
}
