// Echo servers (protocol 1.2): serve.start and serve.stop, written the way the net
// package's documentation writes a server: net.Listen, an accept loop, one goroutine per
// connection echoing with io.Copy (net's Listener example); for UDP net.ListenPacket and a
// goroutine that reads each datagram and writes it back with WriteTo. The Unix-domain
// servers (1.4) are the same code on net.Listen("unix") and net.ListenPacket("unixgram"):
// net's UnixListener removes its socket file when closed (its default), the adapter adds
// nothing to that.

package main

import (
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"time"
)

type server struct {
	ln net.Listener   // TCP, unix
	pc net.PacketConn // UDP, unixgram

	mu       sync.Mutex
	conns    map[net.Conn]struct{} // open sessions, closed by stop
	stopped  bool
	accepted int
	wg       sync.WaitGroup // the accept or read loop and every session
}

func (sv *server) addr() net.Addr {
	if sv.ln != nil {
		return sv.ln.Addr()
	}
	return sv.pc.LocalAddr()
}

// acceptLoop is net's documented accept loop; a temporary failure (EMFILE and the like)
// backs off and retries, as net/http's Server.Serve does.
func (sv *server) acceptLoop() {
	defer sv.wg.Done()
	var backoff time.Duration
	for {
		c, err := sv.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if backoff == 0 {
				backoff = 5 * time.Millisecond
			} else if backoff *= 2; backoff > time.Second {
				backoff = time.Second
			}
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		sv.mu.Lock()
		if sv.stopped {
			sv.mu.Unlock()
			c.Close()
			return
		}
		sv.conns[c] = struct{}{}
		sv.accepted++
		sv.wg.Add(1)
		sv.mu.Unlock()
		go sv.session(c)
	}
}

// session echoes one connection: io.Copy until the client's end of stream (or an error,
// which ends this session only), then the server's own FIN: CloseWrite, Close.
func (sv *server) session(c net.Conn) {
	defer sv.wg.Done()
	_, err := io.Copy(c, c)
	if err == nil {
		if hc, ok := c.(interface{ CloseWrite() error }); ok { // *TCPConn, *UnixConn
			hc.CloseWrite()
		}
	}
	c.Close()
	sv.mu.Lock()
	delete(sv.conns, c)
	sv.mu.Unlock()
}

// readLoop echoes every datagram back whole to its sender, zero-length ones included.
func (sv *server) readLoop() {
	defer sv.wg.Done()
	buf := make([]byte, 65536)
	for {
		n, from, err := sv.pc.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if from == nil {
			continue // an unnamed Unix sender cannot be answered
		}
		sv.pc.WriteTo(buf[:n], from) // a peer that is gone is not the server's problem
	}
}

// stop closes the listener (or datagram socket) and every session, and waits for their
// goroutines to return.
func (sv *server) stop() int {
	sv.mu.Lock()
	sv.stopped = true
	if sv.ln != nil {
		sv.ln.Close()
	} else {
		sv.pc.Close()
	}
	for c := range sv.conns {
		c.Close()
	}
	sv.mu.Unlock()
	sv.wg.Wait()
	return sv.accepted
}

func (ad *adapter) opServeStart(a args) (result, error) {
	kindName, _, err := a.str("kind", true)
	if err != nil {
		return nil, err
	}
	switch kindName {
	case "tcp", "udp":
	case "unix", "unixgram":
		return ad.serveUnix(a, kindName)
	default:
		return nil, badRequest("kind is \"tcp\", \"udp\", \"unix\" or \"unixgram\", not %q", kindName)
	}
	fam, err := family(a)
	if err != nil {
		return nil, err
	}
	ip, port, err := endpoint(a, fam, false)
	if err != nil {
		return nil, err
	}
	// backlog is checked but cannot be passed: net.Listen takes none and uses
	// /proc/sys/net/core/somaxconn.
	def := int64(1024)
	if _, err := a.intArg("backlog", &def); err != nil {
		return nil, err
	}
	address := net.JoinHostPort(ip.String(), strconv.Itoa(port))
	sv := &server{conns: map[net.Conn]struct{}{}}
	if kindName == "tcp" {
		sv.ln, err = net.Listen(network("tcp", fam), address)
	} else {
		sv.pc, err = net.ListenPacket(network("udp", fam), address)
	}
	if err != nil {
		return nil, translate(err, callName(kindName), 0)
	}
	h := ad.register(&sock{kind: kServer, family: fam, srv: sv.start()})
	return result{"handle": h, "local": addrJSON(sv.addr(), fam)}, nil
}

// serveUnix: the same servers over Unix-domain sockets, net.Listen("unix", name) and
// net.ListenPacket("unixgram", name); an abstract name is net's "@name".
func (ad *adapter) serveUnix(a args, kindName string) (result, error) {
	netw := kindName // net's network names are the protocol's kinds
	laddr, _, err := unixAddrArg(a, "address", netw, true, false)
	if err != nil {
		return nil, err
	}
	if laddr == nil {
		return nil, fail("EINVAL", "an echo server needs a name to be reached by")
	}
	def := int64(1024) // checked, not passed: net.Listen takes no backlog (somaxconn)
	if _, err := a.intArg("backlog", &def); err != nil {
		return nil, err
	}
	sv := &server{conns: map[net.Conn]struct{}{}}
	if kindName == "unix" {
		sv.ln, err = net.Listen(netw, laddr.Name)
	} else {
		sv.pc, err = net.ListenPacket(netw, laddr.Name)
	}
	if err != nil {
		return nil, translate(err, callName(kindName), 0)
	}
	h := ad.register(&sock{kind: kServer, srv: sv.start()})
	return result{"handle": h, "local": unixAddrJSON(sv.addr())}, nil
}

// callName is the system call a failed start is reported as: listen for a stream server,
// bind for a datagram one.
func callName(kindName string) string {
	if kindName == "tcp" || kindName == "unix" {
		return "listen"
	}
	return "bind"
}

// start runs the accept loop (stream) or the read loop (datagrams) on a goroutine.
func (sv *server) start() *server {
	sv.wg.Add(1)
	if sv.ln != nil {
		go sv.acceptLoop()
	} else {
		go sv.readLoop()
	}
	return sv
}

func (ad *adapter) opServeStop(a args) (result, error) {
	s, h, err := ad.lookupAny(a)
	if err != nil {
		return nil, err
	}
	if s.kind != kServer {
		return nil, supply("EBADF", "handle %d is a socket, not an echo server", h)
	}
	delete(ad.socks, h)
	sessions := s.srv.stop()
	if s.srv.ln != nil {
		return result{"sessions": sessions}, nil
	}
	return result{}, nil
}
