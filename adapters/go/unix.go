// Unix-domain sockets (protocol 1.4) with Go's net: *net.UnixListener ("unix", "unixpacket"),
// *net.UnixConn (connections and "unixgram" sockets), abstract names with net's "@" prefix,
// SCM_RIGHTS with UnixConn.WriteMsgUnix/ReadMsgUnix and syscall.UnixRights/ParseUnixRights,
// SCM_CREDENTIALS with syscall.UnixCredentials/ParseUnixCredentials, SO_PEERCRED with the
// connection's SyscallConn and syscall.GetsockoptUcred.

package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
)

var unixNetworks = map[string]string{"stream": "unix", "dgram": "unixgram", "seqpacket": "unixpacket"}

func unixNetwork(a args) (string, error) {
	k, _, err := a.str("kind", true)
	if err != nil {
		return "", err
	}
	n, ok := unixNetworks[k]
	if !ok {
		return "", badRequest("kind is 'stream', 'dgram' or 'seqpacket', not %q", k)
	}
	return n, nil
}

// unixAddrArg: {"path"}, {"abstract"} (net's "@" prefix), {"unnamed": true} (nil), and
// {"autobind": true}: an empty name, with which net's bind passes the family alone.
func unixAddrArg(a args, name, netw string, required, mayAutobind bool) (*net.UnixAddr, bool, error) {
	o, ok, err := a.object(name)
	if err != nil || !ok {
		if err == nil && required {
			err = badRequest("missing argument %q", name)
		}
		return nil, ok, err
	}
	if p, ok, err := o.str("path", false); err != nil || ok {
		if err == nil && p == "" {
			err = supply("EINVAL", "an empty path names no socket")
		}
		return &net.UnixAddr{Name: p, Net: netw}, true, err
	}
	if n, ok, err := o.str("abstract", false); err != nil || ok {
		return &net.UnixAddr{Name: "@" + n, Net: netw}, true, err
	}
	if string(o["unnamed"]) == "true" {
		return nil, true, nil
	}
	if string(o["autobind"]) == "true" {
		if !mayAutobind {
			return nil, true, fail("EINVAL", "autobind only binds a socket; it names no peer")
		}
		return &net.UnixAddr{Name: "", Net: netw}, true, nil
	}
	return nil, true, badRequest("a Unix address has path, abstract, unnamed or autobind")
}

// unixAddrJSON: net's *UnixAddr (nil or an empty name: unnamed; "@name": abstract).
func unixAddrJSON(addr net.Addr) map[string]any {
	u, _ := addr.(*net.UnixAddr)
	switch {
	case u == nil || u.Name == "":
		return map[string]any{"unnamed": true}
	case strings.HasPrefix(u.Name, "@"):
		return map[string]any{"abstract": u.Name[1:]}
	}
	return map[string]any{"path": u.Name}
}

func (ad *adapter) unixConnResult(c *net.UnixConn, netw string) result {
	h := ad.register(&sock{kind: kUnix, unixNet: netw, un: c})
	return result{"handle": h, "local": unixAddrJSON(c.LocalAddr()), "peer": unixAddrJSON(c.RemoteAddr())}
}

func (ad *adapter) opUnixListen(a args) (result, error) {
	netw, err := unixNetwork(a)
	if err != nil {
		return nil, err
	}
	laddr, _, err := unixAddrArg(a, "address", netw, true, true)
	if err != nil {
		return nil, err
	}
	def := int64(128)
	if _, err := a.intArg("backlog", &def); err != nil { // net.ListenUnix takes no backlog (somaxconn)
		return nil, err
	}
	l, err := net.ListenUnix(netw, laddr)
	var unknown net.UnknownNetworkError
	if errors.As(err, &unknown) {
		// net refuses "unixgram" before any system call; listen(2) would say EOPNOTSUPP.
		return nil, supply("EOPNOTSUPP", "listen: %v", err)
	}
	if err != nil {
		return nil, translate(err, "listen", 0)
	}
	h := ad.register(&sock{kind: kUnixListener, unixNet: netw, ul: l})
	return result{"handle": h, "local": unixAddrJSON(l.Addr())}, nil
}

func (ad *adapter) opUnixAccept(a args) (result, error) {
	s, _, err := ad.lookup(a)
	if err != nil {
		return nil, err
	}
	timeout, err := a.timeout()
	if err != nil {
		return nil, err
	}
	if s.kind != kUnixListener {
		return nil, fail("UNSUPPORTED", "unix.accept: only a *net.UnixListener accepts")
	}
	if err := s.ul.SetDeadline(deadline(timeout)); err != nil {
		return nil, translate(err, "accept", timeout)
	}
	c, err := s.ul.AcceptUnix()
	if err != nil {
		return nil, translate(err, "accept", timeout)
	}
	return ad.unixConnResult(c, s.unixNet), nil
}

func (ad *adapter) opUnixConnect(a args) (result, error) {
	netw, err := unixNetwork(a)
	if err != nil {
		return nil, err
	}
	raddr, _, err := unixAddrArg(a, "address", netw, true, false)
	if err != nil {
		return nil, err
	}
	if raddr == nil {
		return nil, fail("EINVAL", "cannot connect to an unnamed socket")
	}
	laddr, hasBind, err := unixAddrArg(a, "bind", netw, false, true)
	if err != nil {
		return nil, err
	}
	timeout, err := a.timeout()
	if err != nil {
		return nil, err
	}
	d := net.Dialer{Deadline: deadline(timeout)}
	if hasBind && laddr != nil {
		// An empty name ({"autobind": true}) is a "wildcard" to net's dial: it binds nothing.
		d.LocalAddr = laddr
	}
	c, err := d.Dial(netw, raddr.Name)
	if err != nil {
		return nil, translate(err, "connect", timeout)
	}
	return ad.unixConnResult(c.(*net.UnixConn), netw), nil
}

func (ad *adapter) opUnixBind(a args) (result, error) {
	netw, err := unixNetwork(a)
	if err != nil {
		return nil, err
	}
	laddr, _, err := unixAddrArg(a, "address", netw, true, true)
	if err != nil {
		return nil, err
	}
	if netw != "unixgram" {
		return nil, fail("UNSUPPORTED", "net has no bound, unconnected %s socket (only ListenUnix, which listens)", netw)
	}
	if laddr == nil {
		return nil, fail("UNSUPPORTED", "net has no unbound datagram socket: ListenUnixgram needs an address (nil: %q), DialUnix a peer", "missing address")
	}
	c, err := net.ListenUnixgram(netw, laddr)
	if err != nil {
		return nil, translate(err, "bind", 0)
	}
	h := ad.register(&sock{kind: kUnix, unixNet: netw, un: c})
	return result{"handle": h, "local": unixAddrJSON(c.LocalAddr())}, nil
}

// opUnixSocketpair: net has no socketpair; Go programs make one with syscall.Socketpair and
// turn each descriptor into a *net.UnixConn with os.NewFile and net.FileConn.
func (ad *adapter) opUnixSocketpair(a args) (result, error) {
	netw, err := unixNetwork(a)
	if err != nil {
		return nil, err
	}
	types := map[string]int{"unix": syscall.SOCK_STREAM, "unixgram": syscall.SOCK_DGRAM, "unixpacket": syscall.SOCK_SEQPACKET}
	fds, err := syscall.Socketpair(syscall.AF_UNIX, types[netw]|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, translate(os.NewSyscallError("socketpair", err), "socketpair", 0)
	}
	var handles []int64
	for _, fd := range fds {
		s, err := fileSock(fd)
		if err != nil {
			for _, h := range handles {
				ad.socks[h].close()
				delete(ad.socks, h)
			}
			return nil, translate(err, "socketpair", 0)
		}
		handles = append(handles, ad.register(s))
	}
	return result{"handles": handles}, nil
}

// fileSock: a descriptor (received, or from socketpair) as net's type for it
// (os.NewFile + net.FileConn / net.FileListener, which duplicate it; the original is closed).
func fileSock(fd int) (*sock, error) {
	f := os.NewFile(uintptr(fd), "")
	defer f.Close()
	if listening, _ := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_ACCEPTCONN); listening == 1 {
		l, err := net.FileListener(f)
		if err != nil {
			return nil, err
		}
		switch l := l.(type) {
		case *net.UnixListener:
			l.SetUnlinkOnClose(false) // net's default for a listener it did not create
			return &sock{kind: kUnixListener, unixNet: sotypeNet(fd), ul: l}, nil
		case *net.TCPListener:
			return &sock{kind: kListener, family: tcpFamily(l.Addr()), ln: l}, nil
		}
		l.Close()
		return nil, supply("ENOTSOCK", "a listener net does not know")
	}
	c, err := net.FileConn(f)
	if err != nil {
		return nil, err
	}
	switch c := c.(type) {
	case *net.UnixConn:
		return &sock{kind: kUnix, unixNet: sotypeNet(fd), un: c}, nil
	case *net.TCPConn:
		return &sock{kind: kConn, family: tcpFamily(c.LocalAddr()), tc: c}, nil
	case *net.UDPConn:
		return &sock{kind: kUDP, family: tcpFamily(c.LocalAddr()), uc: c}, nil
	}
	c.Close()
	return nil, supply("ENOTSOCK", "a descriptor net does not know")
}

func sotypeNet(fd int) string {
	t, _ := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_TYPE)
	switch t {
	case syscall.SOCK_DGRAM:
		return "unixgram"
	case syscall.SOCK_SEQPACKET:
		return "unixpacket"
	}
	return "unix"
}

func tcpFamily(addr net.Addr) int {
	var ip net.IP
	switch a := addr.(type) {
	case *net.TCPAddr:
		ip = a.IP
	case *net.UDPAddr:
		ip = a.IP
	}
	if ip.To4() != nil {
		return 4
	}
	return 6
}

func (ad *adapter) unixConn(a args, op string) (*sock, error) {
	s, _, err := ad.lookup(a)
	if err != nil {
		return nil, err
	}
	if s.kind != kUnix {
		return nil, fail("UNSUPPORTED", "%s: net offers it on a *net.UnixConn only (this handle is not one)", op)
	}
	return s, nil
}

// fdOf is the descriptor behind a handle, for syscall.UnixRights (read inside
// SyscallConn().Control; it stays open while the handle does).
func (ad *adapter) fdOf(h int64) (int, error) {
	s, ok := ad.socks[h]
	if !ok {
		return 0, fail("EBADF", "fds: no open handle %d", h)
	}
	if s.kind == kServer {
		return 0, supply("ENOTSOCK", "fds: handle %d is an echo server, not a socket", h)
	}
	rc, err := s.syscallConn()
	if err != nil {
		return 0, err
	}
	var fd int
	if err := rc.Control(func(f uintptr) { fd = int(f) }); err != nil {
		return 0, err
	}
	return fd, nil
}

func (ad *adapter) opUnixSendto(a args) (result, error) {
	s, err := ad.unixConn(a, "unix.sendto")
	if err != nil {
		return nil, err
	}
	data, err := a.data()
	if err != nil {
		return nil, err
	}
	timeout, err := a.timeout()
	if err != nil {
		return nil, err
	}
	to, hasTo, err := unixAddrArg(a, "address", s.unixNet, false, false)
	if err != nil {
		return nil, err
	}
	if hasTo && to == nil {
		return nil, fail("EINVAL", "an unnamed socket is no destination")
	}
	var handles []int64
	if v, ok := a.raw("fds"); ok {
		if json.Unmarshal(v, &handles) != nil || v[0] != '[' {
			return nil, badRequest("fds is a list of handles")
		}
	}
	var oob []byte
	if len(handles) > 0 {
		fds := make([]int, len(handles))
		for i, h := range handles {
			if fds[i], err = ad.fdOf(h); err != nil {
				return nil, err
			}
		}
		oob = syscall.UnixRights(fds...)
	}
	if err := s.un.SetWriteDeadline(deadline(timeout)); err != nil {
		return nil, translate(err, "sendmsg", timeout)
	}
	var n int
	if to == nil && oob == nil {
		n, err = s.un.Write(data) // what a Go program writes to a connected socket
	} else {
		n, _, err = s.un.WriteMsgUnix(data, oob, to)
	}
	if err != nil && n == 0 {
		return nil, translate(err, "sendmsg", timeout)
	}
	return result{"sent": n}, nil
}

func (ad *adapter) opUnixRecvfrom(a args) (result, error) {
	s, err := ad.unixConn(a, "unix.recvfrom")
	if err != nil {
		return nil, err
	}
	size, err := a.intArg("max", nil)
	if err != nil {
		return nil, err
	}
	if size < 1 {
		return nil, badRequest("max must be >= 1")
	}
	zero := int64(0)
	maxfds, err := a.intArg("maxfds", &zero)
	if err != nil {
		return nil, err
	}
	if maxfds < 0 {
		return nil, badRequest("maxfds must be >= 0")
	}
	if maxfds > 253 {
		maxfds = 253 // SCM_MAX_FD
	}
	timeout, err := a.timeout()
	if err != nil {
		return nil, err
	}
	// Room for exactly maxfds descriptors (syscall.CmsgLen; CmsgSpace's padding holds one
	// more), after the credentials when SO_PASSCRED is on (the kernel puts them first).
	passcred := false
	if v, gerr := s.getOption("passcred"); gerr == nil {
		passcred, _ = v.(bool)
	}
	space := 0
	if passcred {
		space += syscall.CmsgSpace(syscall.SizeofUcred)
	}
	if maxfds > 0 {
		space += syscall.CmsgLen(int(maxfds) * 4)
	}
	if err := s.un.SetReadDeadline(deadline(timeout)); err != nil {
		return nil, translate(err, "recvmsg", timeout)
	}
	buf, oob := make([]byte, size), make([]byte, space)
	n, oobn, flags, from, err := s.un.ReadMsgUnix(buf, oob)
	if err != nil && !errors.Is(err, io.EOF) { // end of stream: empty data, as stream.recv
		return nil, translate(err, "recvmsg", timeout)
	}
	res := result{
		"data":      base64.StdEncoding.EncodeToString(buf[:n]),
		"peer":      unixAddrJSON(from),
		"truncated": flags&syscall.MSG_TRUNC != 0,
		"ctrunc":    flags&syscall.MSG_CTRUNC != 0,
	}
	handles := []int64{}
	if oobn > 0 {
		msgs, perr := syscall.ParseSocketControlMessage(oob[:oobn])
		if perr != nil {
			return nil, translate(os.NewSyscallError("ParseSocketControlMessage", perr), "recvmsg", 0)
		}
		for _, m := range msgs {
			if m.Header.Level != syscall.SOL_SOCKET {
				continue
			}
			switch m.Header.Type {
			case syscall.SCM_RIGHTS:
				fds, perr := syscall.ParseUnixRights(&m)
				if perr != nil {
					return nil, translate(os.NewSyscallError("ParseUnixRights", perr), "recvmsg", 0)
				}
				for _, fd := range fds {
					fs, ferr := fileSock(fd)
					if ferr != nil {
						return nil, translate(ferr, "adopting a received descriptor", 0)
					}
					handles = append(handles, ad.register(fs))
				}
			case syscall.SCM_CREDENTIALS:
				if u, perr := syscall.ParseUnixCredentials(&m); perr == nil {
					res["creds"] = map[string]any{"pid": u.Pid, "uid": u.Uid, "gid": u.Gid}
				}
			}
		}
	}
	res["fds"] = handles
	return res, nil
}

func (ad *adapter) opUnixPeercred(a args) (result, error) {
	s, _, err := ad.lookup(a)
	if err != nil {
		return nil, err
	}
	rc, err := s.syscallConn()
	if err != nil {
		return nil, err
	}
	var u *syscall.Ucred
	var gerr error
	if err := rc.Control(func(fd uintptr) {
		u, gerr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return nil, translate(err, "getsockopt SO_PEERCRED", 0)
	}
	if gerr != nil {
		return nil, translate(os.NewSyscallError("getsockopt", gerr), "getsockopt SO_PEERCRED", 0)
	}
	if u.Pid == 0 && u.Uid == ^uint32(0) { // Linux's "no peer": pid 0, ids -1, no error
		return nil, supply("ENOTCONN", "getsockopt SO_PEERCRED: no peer (pid 0, uid -1)")
	}
	return result{"pid": u.Pid, "uid": u.Uid, "gid": u.Gid}, nil
}

func (ad *adapter) opUnixUnlink(a args) (result, error) {
	addr, _, err := unixAddrArg(a, "address", "unix", true, true)
	if err != nil {
		return nil, err
	}
	o, _, _ := a.object("address")
	if _, ok := o.raw("path"); !ok || addr == nil {
		return nil, fail("EINVAL", "only a pathname socket has a file to remove")
	}
	if err := os.Remove(addr.Name); err != nil {
		return nil, translate(err, "unlink", 0)
	}
	return result{}, nil
}
