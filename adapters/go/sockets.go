// The handle table: one entry per socket, whatever net type holds it, or per echo server.

package main

import (
	"net"
	"syscall"

	"golang.org/x/net/icmp"
)

type kind int

const (
	kListener kind = iota
	kConn
	kUDP
	kRaw
	kPing
	kServer       // serve.start: an echo server, not a socket
	kUnixListener // unix.listen: *net.UnixListener ("unix", "unixpacket")
	kUnix         // a *net.UnixConn: a Unix connection or a "unixgram" socket
)

type sock struct {
	kind    kind
	family  int // 4 or 6
	ln      *net.TCPListener
	tc      *net.TCPConn
	uc      *net.UDPConn
	ic      *net.IPConn
	pc      *icmp.PacketConn
	srv     *server
	ul      *net.UnixListener
	un      *net.UnixConn
	unixNet string       // "unix", "unixgram" or "unixpacket"
	applied []option     // UDP: options set so far, replayed when udp.connect re-creates the socket
	groups  []membership // UDP: groups joined and not left, joined again by udp.connect (multicast.go)
}

func (s *sock) close() error {
	switch s.kind {
	case kListener:
		return s.ln.Close()
	case kConn:
		return s.tc.Close()
	case kUDP:
		return s.uc.Close()
	case kRaw:
		return s.ic.Close()
	case kPing:
		return s.pc.Close()
	case kServer:
		s.srv.stop()
	case kUnixListener:
		return s.ul.Close() // net's default: removes the socket file it created (see README)
	case kUnix:
		return s.un.Close()
	}
	return nil
}

func (s *sock) syscallConn() (syscall.RawConn, error) {
	switch s.kind {
	case kListener:
		return s.ln.SyscallConn()
	case kConn:
		return s.tc.SyscallConn()
	case kUDP:
		return s.uc.SyscallConn()
	case kRaw:
		return s.ic.SyscallConn()
	case kUnixListener:
		return s.ul.SyscallConn()
	case kUnix:
		return s.un.SyscallConn()
	}
	return nil, fail("UNSUPPORTED", "x/net/icmp's PacketConn gives no access to its socket")
}

type adapter struct {
	socks map[int64]*sock
	next  int64
	hello map[string]any
}

func (ad *adapter) register(s *sock) int64 {
	ad.next++
	ad.socks[ad.next] = s
	return ad.next
}

// lookup finds an open socket handle; a server's sockets belong to its goroutines.
func (ad *adapter) lookup(a args) (*sock, int64, error) {
	s, h, err := ad.lookupAny(a)
	if err == nil && s.kind == kServer {
		return nil, h, supply("ENOTSOCK", "handle %d is an echo server, not a socket", h)
	}
	return s, h, err
}

// lookupAny finds any open handle: a socket or a server.
func (ad *adapter) lookupAny(a args) (*sock, int64, error) {
	h, err := a.intArg("handle", nil)
	if err != nil {
		return nil, 0, err
	}
	s, ok := ad.socks[h]
	if !ok {
		return nil, h, fail("EBADF", "no open handle %d", h)
	}
	return s, h, nil
}

// closeAll is reset (and the end of stdin): an orderly close that never waits. A linger set
// on a connection would make close(2) wait for unsent data (or, at zero, send RST), so it is
// turned off first (SetLinger(-1), net's "the default": close returns at once, FIN).
func (ad *adapter) closeAll() {
	for h, s := range ad.socks {
		if s.kind == kConn {
			s.tc.SetLinger(-1)
		}
		if s.kind == kUnix && s.unixNet != "unixgram" {
			s.setOption(option{"linger", nil}) // UnixConn has no SetLinger: setsockopt
		}
		s.close()
		delete(ad.socks, h)
	}
}

func (ad *adapter) opReset(a args) (result, error) {
	ad.closeAll()
	return result{}, nil
}

func (ad *adapter) opClose(a args) (result, error) {
	s, h, err := ad.lookupAny(a)
	if err != nil {
		return nil, err
	}
	delete(ad.socks, h)
	if err := s.close(); err != nil {
		return nil, translate(err, "close", 0)
	}
	return result{}, nil
}
