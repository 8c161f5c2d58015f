// The options protocol 1.5 adds (docs/protocol.md §7). net has no method for any of them
// (KeepAliveConfig sets idle, interval and count together and switches keep-alive on), so
// each is set and read through syscall.RawConn.Control, net's documented escape hatch for
// raw socket options.

package main

import (
	"encoding/json"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

var timeoutOptions = map[string]int{"rcvtimeo": unix.SO_RCVTIMEO, "sndtimeo": unix.SO_SNDTIMEO}
var bool15Options = map[string][2]int{
	"cork":       {unix.IPPROTO_TCP, unix.TCP_CORK},
	"quickack":   {unix.IPPROTO_TCP, unix.TCP_QUICKACK}, // 1.7; net has no method either
	"oobinline":  {unix.SOL_SOCKET, unix.SO_OOBINLINE},
	"acceptconn": {unix.SOL_SOCKET, unix.SO_ACCEPTCONN}, // read-only: setsockopt answers ENOPROTOOPT
}
var int15Options = map[string][2]int{
	"keepidle":     {unix.IPPROTO_TCP, unix.TCP_KEEPIDLE},
	"keepintvl":    {unix.IPPROTO_TCP, unix.TCP_KEEPINTVL},
	"keepcnt":      {unix.IPPROTO_TCP, unix.TCP_KEEPCNT},
	"user_timeout": {unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT},
	"tos":          {unix.IPPROTO_IP, unix.IP_TOS}, // IPV6_TCLASS on IPv6 sockets
}
var readOnlyOptions = map[string]int{"type": unix.SO_TYPE, "error": unix.SO_ERROR}

// rawValue is the value of a read-only option given to opt.set: passed to setsockopt as
// an integer (0 when it is not one), so that the kernel answers.
type rawValue struct{ n int }

func isOption15(name string) bool {
	_, t := timeoutOptions[name]
	_, b := bool15Options[name]
	_, i := int15Options[name]
	_, r := readOnlyOptions[name]
	return t || b || i || r
}

// option15Value checks a 1.5 option's value; ok is false for a name that is not one.
func option15Value(name string, raw json.RawMessage) (any, bool, error) {
	s := string(raw)
	if _, ok := timeoutOptions[name]; ok {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || s == "true" || s == "false" || f < 0 {
			return nil, true, badRequest("option %q takes seconds, a number >= 0", name)
		}
		return f, true, nil
	}
	if name == "acceptconn" || readOnlyOptions[name] != 0 {
		n, ok := parseInt(raw)
		if !ok || n != int64(int32(n)) {
			n = 0
		}
		return rawValue{int(n)}, true, nil
	}
	if _, ok := bool15Options[name]; ok {
		if s != "true" && s != "false" {
			return nil, true, badRequest("option %q takes a bool", name)
		}
		return s == "true", true, nil
	}
	if _, ok := int15Options[name]; ok {
		n, ok := parseInt(raw)
		if !ok || n != int64(int32(n)) {
			return nil, true, badRequest("option %q takes an integer", name)
		}
		return n, true, nil
	}
	return nil, false, nil
}

func level15(name string, fam int) (int, int) {
	if name == "tos" && fam == 6 {
		return unix.IPPROTO_IPV6, unix.IPV6_TCLASS
	}
	if l, ok := bool15Options[name]; ok {
		return l[0], l[1]
	}
	if l, ok := int15Options[name]; ok {
		return l[0], l[1]
	}
	return unix.SOL_SOCKET, readOnlyOptions[name]
}

func setRaw15(fd int, fam int, o option) error {
	if opt, ok := timeoutOptions[o.name]; ok {
		tv := unix.NsecToTimeval(int64(o.value.(float64) * 1e9))
		return os.NewSyscallError("setsockopt", unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, opt, &tv))
	}
	level, opt := level15(o.name, fam)
	var v int
	switch x := o.value.(type) {
	case bool:
		if x {
			v = 1
		}
	case int64:
		v = int(x)
	case rawValue:
		v = x.n
	}
	return os.NewSyscallError("setsockopt", unix.SetsockoptInt(fd, level, opt, v))
}

var socketTypes = map[int]string{unix.SOCK_STREAM: "stream", unix.SOCK_DGRAM: "dgram",
	unix.SOCK_SEQPACKET: "seqpacket", unix.SOCK_RAW: "raw"}

func getRaw15(fd int, fam int, name string) (any, error) {
	if opt, ok := timeoutOptions[name]; ok {
		tv, err := unix.GetsockoptTimeval(fd, unix.SOL_SOCKET, opt)
		if err != nil {
			return nil, os.NewSyscallError("getsockopt", err)
		}
		return float64(tv.Sec) + float64(tv.Usec)/1e6, nil
	}
	level, opt := level15(name, fam)
	v, err := unix.GetsockoptInt(fd, level, opt)
	if err != nil {
		return nil, os.NewSyscallError("getsockopt", err)
	}
	switch name {
	case "error":
		if v == 0 {
			return nil, nil
		}
		return errnoName(unix.Errno(v)), nil
	case "type":
		if t, ok := socketTypes[v]; ok {
			return t, nil
		}
		return strconv.Itoa(v), nil
	}
	if _, ok := bool15Options[name]; ok {
		return v != 0, nil
	}
	return v, nil
}
