// setsockopt/getsockopt through syscall.RawConn, for what net has no method for.

package main

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

func ttlLevel(fam int) (int, int) {
	if fam == 6 {
		return unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS
	}
	return unix.IPPROTO_IP, unix.IP_TTL
}

var optionLevels = map[string][2]int{
	"reuseaddr": {unix.SOL_SOCKET, unix.SO_REUSEADDR},
	"reuseport": {unix.SOL_SOCKET, unix.SO_REUSEPORT},
	"keepalive": {unix.SOL_SOCKET, unix.SO_KEEPALIVE},
	"broadcast": {unix.SOL_SOCKET, unix.SO_BROADCAST},
	"nodelay":   {unix.IPPROTO_TCP, unix.TCP_NODELAY},
	"v6only":    {unix.IPPROTO_IPV6, unix.IPV6_V6ONLY},
	"rcvbuf":    {unix.SOL_SOCKET, unix.SO_RCVBUF},
	"sndbuf":    {unix.SOL_SOCKET, unix.SO_SNDBUF},
	"passcred":  {unix.SOL_SOCKET, unix.SO_PASSCRED}, // net has no method: setsockopt
}

func levelOf(name string, fam int) (int, int) {
	if name == "ttl" {
		return ttlLevel(fam)
	}
	l := optionLevels[name]
	return l[0], l[1]
}

// setRaw sets an option on a socket net has not wrapped yet (inside Control) or for which
// net has no method.
func setRaw(fd int, fam int, o option) error {
	if isOption15(o.name) {
		return setRaw15(fd, fam, o)
	}
	if o.name == "linger" {
		l := &unix.Linger{}
		if n, ok := o.value.(int64); ok {
			l.Onoff, l.Linger = 1, int32(n)
		}
		return os.NewSyscallError("setsockopt", unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, l))
	}
	level, opt := levelOf(o.name, fam)
	var v int
	switch x := o.value.(type) {
	case bool:
		if x {
			v = 1
		}
	case int64:
		v = int(x)
	}
	return os.NewSyscallError("setsockopt", unix.SetsockoptInt(fd, level, opt, v))
}

func getRaw(fd int, fam int, name string) (any, error) {
	if isOption15(name) {
		return getRaw15(fd, fam, name)
	}
	if name == "linger" {
		l, err := unix.GetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER)
		if err != nil {
			return nil, os.NewSyscallError("getsockopt", err)
		}
		if l.Onoff == 0 {
			return nil, nil
		}
		return int(l.Linger), nil
	}
	level, opt := levelOf(name, fam)
	v, err := unix.GetsockoptInt(fd, level, opt)
	if err != nil {
		return nil, os.NewSyscallError("getsockopt", err)
	}
	if boolOptions[name] {
		return v != 0, nil
	}
	return v, nil
}

// control applies options through ListenConfig.Control / Dialer.Control: after net
// created the socket, before it binds.
func control(opts []option, fam int) func(string, string, syscall.RawConn) error {
	return func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			for _, o := range opts {
				if serr = setRaw(int(fd), fam, o); serr != nil {
					return
				}
			}
		})
		if err != nil {
			return err
		}
		return serr
	}
}

func withRaw(rc syscall.RawConn, f func(fd int) error) error {
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = f(int(fd)) }); err != nil {
		return err
	}
	return ferr
}
