// Stream (TCP) operations: tcp.listen, tcp.connect, tcp.accept and stream.*.

package main

import (
	"context"
	"encoding/base64"
	"io"
	"net"
	"strconv"
)

func (ad *adapter) opTCPListen(a args) (result, error) {
	fam, err := family(a)
	if err != nil {
		return nil, err
	}
	ip, port, err := endpoint(a, fam, false)
	if err != nil {
		return nil, err
	}
	// backlog is checked but cannot be passed: net.Listen takes no backlog (it uses
	// /proc/sys/net/core/somaxconn).
	def := int64(128)
	if _, err := a.intArg("backlog", &def); err != nil {
		return nil, err
	}
	opts, err := a.options()
	if err != nil {
		return nil, err
	}
	lc := net.ListenConfig{Control: control(opts, fam)}
	l, err := lc.Listen(context.Background(), network("tcp", fam), net.JoinHostPort(ip.String(), strconv.Itoa(port)))
	if err != nil {
		return nil, translate(err, "listen", 0)
	}
	ln := l.(*net.TCPListener)
	h := ad.register(&sock{kind: kListener, family: fam, ln: ln})
	return result{"handle": h, "local": addrJSON(ln.Addr(), fam)}, nil
}

func connResult(h int64, c *net.TCPConn, fam int) result {
	return result{"handle": h, "local": addrJSON(c.LocalAddr(), fam), "peer": addrJSON(c.RemoteAddr(), fam)}
}

func (ad *adapter) opTCPConnect(a args) (result, error) {
	fam, err := family(a)
	if err != nil {
		return nil, err
	}
	ip, port, err := endpoint(a, fam, true)
	if err != nil {
		return nil, err
	}
	timeout, err := a.timeout()
	if err != nil {
		return nil, err
	}
	bind, hasBind, err := a.object("bind")
	if err != nil {
		return nil, err
	}
	opts, err := a.options()
	if err != nil {
		return nil, err
	}
	d := net.Dialer{Deadline: deadline(timeout), Control: control(opts, fam)}
	if hasBind {
		bip, bport, err := endpoint(bind, fam, false)
		if err != nil {
			return nil, err
		}
		d.LocalAddr = &net.TCPAddr{IP: bip, Port: bport}
	}
	c, err := d.Dial(network("tcp", fam), net.JoinHostPort(ip.String(), strconv.Itoa(port)))
	if err != nil {
		return nil, translate(err, "connect", timeout)
	}
	tc := c.(*net.TCPConn)
	return connResult(ad.register(&sock{kind: kConn, family: fam, tc: tc}), tc, fam), nil
}

func (ad *adapter) opTCPAccept(a args) (result, error) {
	s, _, err := ad.lookup(a)
	if err != nil {
		return nil, err
	}
	timeout, err := a.timeout()
	if err != nil {
		return nil, err
	}
	if s.kind != kListener {
		return nil, fail("UNSUPPORTED", "accept: only a *net.TCPListener accepts")
	}
	if err := s.ln.SetDeadline(deadline(timeout)); err != nil {
		return nil, translate(err, "accept", timeout)
	}
	c, err := s.ln.AcceptTCP()
	if err != nil {
		return nil, translate(err, "accept", timeout)
	}
	return connResult(ad.register(&sock{kind: kConn, family: s.family, tc: c}), c, s.family), nil
}

// streamer is what *net.TCPConn and *net.UnixConn both offer.
type streamer interface {
	net.Conn
	CloseRead() error
	CloseWrite() error
}

func (ad *adapter) streamConn(a args, op string) (streamer, error) {
	s, _, err := ad.lookup(a)
	if err != nil {
		return nil, err
	}
	switch s.kind {
	case kConn:
		return s.tc, nil
	case kUnix:
		return s.un, nil
	}
	return nil, fail("UNSUPPORTED", "%s: net offers it on a *net.TCPConn or *net.UnixConn only (this handle is not one)", op)
}

func (ad *adapter) opStreamSend(a args) (result, error) {
	c, err := ad.streamConn(a, "stream.send")
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
	f, err := a.flags("dontwait", "oob")
	if err != nil {
		return nil, err
	}
	if len(data) == 0 {
		return result{"sent": 0}, nil
	}
	if any2(f) || timeout == 0 { // timeout 0: one attempt through RawConn (timeouts.go)
		return ad.streamSendFlags(c, data, timeout, f)
	}
	if err := c.SetWriteDeadline(deadline(timeout)); err != nil {
		return nil, translate(err, "send", timeout)
	}
	// TCPConn.Write writes all of data unless the deadline passes or an error occurs.
	n, err := c.Write(data)
	if n > 0 {
		return result{"sent": n}, nil
	}
	return nil, translate(err, "send", timeout)
}

func (ad *adapter) opStreamRecv(a args) (result, error) {
	c, err := ad.streamConn(a, "stream.recv")
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
	timeout, err := a.timeout()
	if err != nil {
		return nil, err
	}
	f, err := a.flags("peek", "waitall", "dontwait", "oob")
	if err != nil {
		return nil, err
	}
	if any2(f) || timeout == 0 { // timeout 0: one attempt through RawConn (timeouts.go)
		return ad.streamRecvFlags(c, size, timeout, f)
	}
	if err := c.SetReadDeadline(deadline(timeout)); err != nil {
		return nil, translate(err, "recv", timeout)
	}
	buf := make([]byte, size)
	n, err := c.Read(buf)
	if n > 0 {
		return result{"data": base64.StdEncoding.EncodeToString(buf[:n])}, nil
	}
	if err == io.EOF {
		return result{"data": ""}, nil
	}
	if err == nil {
		return nil, supply("EINVAL", "recv: read returned nothing")
	}
	return nil, translate(err, "recv", timeout)
}

func (ad *adapter) opStreamShutdown(a args) (result, error) {
	c, err := ad.streamConn(a, "stream.shutdown")
	if err != nil {
		return nil, err
	}
	how, _, err := a.str("how", true)
	if err != nil {
		return nil, err
	}
	switch how {
	case "read":
		err = c.CloseRead()
	case "write":
		err = c.CloseWrite()
	case "both":
		// net has no SHUT_RDWR: both halves, one after the other.
		if err = c.CloseRead(); err == nil {
			err = c.CloseWrite()
		}
	default:
		return nil, badRequest("unknown shutdown direction %q", how)
	}
	if err != nil {
		return nil, translate(err, "shutdown", 0)
	}
	return result{}, nil
}

func (ad *adapter) opStreamAbort(a args) (result, error) {
	c, err := ad.streamConn(a, "stream.abort")
	if err != nil {
		return nil, err
	}
	h, _ := a.intArg("handle", nil)
	s := ad.socks[h]
	delete(ad.socks, h)
	var lerr error
	if tc, ok := c.(*net.TCPConn); ok {
		lerr = tc.SetLinger(0)
	} else {
		lerr = s.setOption(option{"linger", int64(0)}) // UnixConn has no SetLinger: setsockopt
	}
	c.Close()
	if lerr != nil {
		return nil, translate(lerr, "setsockopt linger", 0)
	}
	return result{}, nil
}
