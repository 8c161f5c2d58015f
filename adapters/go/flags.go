// The flags of protocol 1.5 (docs/protocol.md §6 "Flags and blocking calls"): peek,
// dontwait, trunc and oob. net's Read and Write take no flags, so these calls go through
// syscall.RawConn.Read / RawConn.Write, net's documented escape hatch: the callback makes
// one recvmsg/sendmsg with the flag, and returning false hands the wait back to net's
// poller (deadlines included). waitall is io.ReadFull on the connection, the way Go
// programs read an exact amount.

package main

import (
	"encoding/base64"
	"io"
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// flag reads a boolean argument: absent or null is false.
func (a args) flag(name string) (bool, error) {
	v, ok := a.raw(name)
	if !ok || string(v) == "null" {
		return false, nil
	}
	switch string(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, badRequest("%s must be a bool", name)
}

// flags reads the named boolean arguments; "blocking" is not declared (see README).
func (a args) flags(names ...string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, n := range names {
		b, err := a.flag(n)
		if err != nil {
			return nil, err
		}
		out[n] = b
	}
	if b, err := a.flag("blocking"); err != nil {
		return nil, err
	} else if b {
		return nil, fail("UNSUPPORTED", "blocking: net has no blocking calls (every socket is non-blocking under its poller)")
	}
	return out, nil
}

func any2(m map[string]bool) bool {
	for _, v := range m {
		if v {
			return true
		}
	}
	return false
}

func rawConnOf(c any) (syscall.RawConn, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil, fail("UNSUPPORTED", "no SyscallConn")
	}
	return sc.SyscallConn()
}

// recvFlags is one receive with flags through RawConn.Read. once: a single attempt (no
// wait for readiness).
func recvFlags(rc syscall.RawConn, buf []byte, flags int, once bool) (n, rflags int, from unix.Sockaddr, err error) {
	rerr := rc.Read(func(fd uintptr) bool {
		n, _, rflags, from, err = unix.Recvmsg(int(fd), buf, nil, flags)
		return once || err != unix.EAGAIN
	})
	if rerr != nil {
		return 0, 0, nil, rerr
	}
	if err != nil {
		err = os.NewSyscallError("recvmsg", err)
	}
	return n, rflags, from, err
}

func sendFlags(rc syscall.RawConn, data []byte, to unix.Sockaddr, flags int, once bool) (n int, err error) {
	werr := rc.Write(func(fd uintptr) bool {
		n, err = unix.SendmsgN(int(fd), data, nil, to, flags|unix.MSG_NOSIGNAL)
		return once || err != unix.EAGAIN
	})
	if werr != nil {
		return 0, werr
	}
	if err != nil {
		err = os.NewSyscallError("sendmsg", err)
	}
	return n, err
}

func (ad *adapter) streamRecvFlags(c streamer, size int64, timeout float64, f map[string]bool) (result, error) {
	buf := make([]byte, size)
	if f["waitall"] && !f["peek"] && !f["dontwait"] && !f["oob"] {
		if err := c.SetReadDeadline(deadline(timeout)); err != nil {
			return nil, translate(err, "recv", timeout)
		}
		n, err := io.ReadFull(c, buf)
		if n > 0 {
			return result{"data": base64.StdEncoding.EncodeToString(buf[:n])}, nil
		}
		if err == io.EOF {
			return result{"data": ""}, nil
		}
		return nil, translate(err, "recv", timeout)
	}
	rc, err := rawConnOf(c)
	if err != nil {
		return nil, err
	}
	flags := 0
	if f["peek"] {
		flags |= unix.MSG_PEEK
	}
	if f["waitall"] {
		flags |= unix.MSG_WAITALL
	}
	once := f["dontwait"] || f["oob"] || timeout == 0
	if f["dontwait"] {
		flags |= unix.MSG_DONTWAIT
	}
	if f["oob"] {
		flags |= unix.MSG_OOB
	}
	if err := c.SetReadDeadline(onceDeadline(once, timeout)); err != nil {
		return nil, translate(err, "recv", timeout)
	}
	n, _, _, err := recvFlags(rc, buf, flags, once)
	if err != nil {
		return nil, translate(err, "recv", timeout)
	}
	return result{"data": base64.StdEncoding.EncodeToString(buf[:n])}, nil
}

func (ad *adapter) streamSendFlags(c streamer, data []byte, timeout float64, f map[string]bool) (result, error) {
	rc, err := rawConnOf(c)
	if err != nil {
		return nil, err
	}
	flags := 0
	if f["dontwait"] {
		flags |= unix.MSG_DONTWAIT
	}
	if f["oob"] {
		flags |= unix.MSG_OOB
	}
	once := f["dontwait"] || timeout == 0
	if err := c.SetWriteDeadline(onceDeadline(once, timeout)); err != nil {
		return nil, translate(err, "send", timeout)
	}
	n, err := sendFlags(rc, data, nil, flags, once)
	if err != nil {
		return nil, translate(err, "send", timeout)
	}
	return result{"sent": n}, nil
}

func sockaddrToUDP(sa unix.Sockaddr) *net.UDPAddr {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.UDPAddr{IP: net.IP(append([]byte(nil), a.Addr[:]...)), Port: a.Port}
	case *unix.SockaddrInet6:
		return &net.UDPAddr{IP: net.IP(append([]byte(nil), a.Addr[:]...)), Port: a.Port}
	}
	return nil
}

func udpToSockaddr(ip net.IP, port int, fam int) unix.Sockaddr {
	if fam == 6 {
		sa := &unix.SockaddrInet6{Port: port}
		copy(sa.Addr[:], ip.To16())
		return sa
	}
	sa := &unix.SockaddrInet4{Port: port}
	copy(sa.Addr[:], ip.To4())
	return sa
}

func (ad *adapter) udpRecvFlags(s *sock, size int64, timeout float64, f map[string]bool) (result, error) {
	rc, err := s.uc.SyscallConn()
	if err != nil {
		return nil, translate(err, "recvfrom", timeout)
	}
	flags := 0
	if f["peek"] {
		flags |= unix.MSG_PEEK
	}
	if f["dontwait"] {
		flags |= unix.MSG_DONTWAIT
	}
	if f["trunc"] {
		flags |= unix.MSG_TRUNC
	}
	once := f["dontwait"] || timeout == 0
	if err := s.uc.SetReadDeadline(onceDeadline(once, timeout)); err != nil {
		return nil, translate(err, "recvfrom", timeout)
	}
	buf := make([]byte, size)
	n, rflags, from, err := recvFlags(rc, buf, flags, once)
	if err != nil {
		return nil, translate(err, "recvfrom", timeout)
	}
	got := n
	if got > len(buf) {
		got = len(buf)
	}
	res := result{
		"data":      base64.StdEncoding.EncodeToString(buf[:got]),
		"peer":      addrJSON(sockaddrToUDP(from), s.family),
		"truncated": rflags&unix.MSG_TRUNC != 0,
	}
	if f["trunc"] {
		res["length"] = n
	}
	return res, nil
}

func (ad *adapter) udpSendDontwait(s *sock, data []byte, to *net.UDPAddr, timeout float64) (result, error) {
	rc, err := s.uc.SyscallConn()
	if err != nil {
		return nil, translate(err, "sendto", timeout)
	}
	var sa unix.Sockaddr
	if to != nil {
		sa = udpToSockaddr(to.IP, to.Port, s.family)
	}
	if err := s.uc.SetWriteDeadline(onceDeadline(true, timeout)); err != nil {
		return nil, translate(err, "sendto", timeout)
	}
	n, err := sendFlags(rc, data, sa, unix.MSG_DONTWAIT, true)
	if err != nil {
		return nil, translate(err, "sendto", timeout)
	}
	return result{"sent": n}, nil
}
