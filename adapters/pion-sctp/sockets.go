package main

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/pion/sctp"
)

type adapter struct {
	mu      sync.Mutex
	handles map[int64]any // *listener or *association
	next    int64
}

func newAdapter() *adapter { return &adapter{handles: map[int64]any{}, next: 1} }

func (ad *adapter) register(v any) int64 {
	ad.mu.Lock()
	defer ad.mu.Unlock()
	h := ad.next
	ad.next++
	ad.handles[h] = v
	return h
}

func (ad *adapter) lookup(a args) (int64, any, error) {
	h, err := a.integer("handle", 0, true)
	if err != nil {
		return 0, nil, err
	}
	ad.mu.Lock()
	defer ad.mu.Unlock()
	v, ok := ad.handles[h]
	if !ok {
		return 0, nil, fail("EBADF", "no open handle %d", h)
	}
	return h, v, nil
}

func (ad *adapter) association(a args) (int64, *association, error) {
	h, v, err := ad.lookup(a)
	if err != nil {
		return 0, nil, err
	}
	as, ok := v.(*association)
	if !ok {
		return 0, nil, fail("ENOTCONN", "not an association")
	}
	return h, as, nil
}

func (ad *adapter) forget(h int64) {
	ad.mu.Lock()
	delete(ad.handles, h)
	ad.mu.Unlock()
}

func (ad *adapter) closeAll() {
	ad.mu.Lock()
	all := ad.handles
	ad.handles = map[int64]any{}
	ad.mu.Unlock()
	for _, v := range all {
		closeHandle(v)
	}
}

func closeHandle(v any) {
	switch x := v.(type) {
	case *listener:
		x.close()
	case *association:
		x.close()
	}
}

func (ad *adapter) opClose(a args) (result, error) {
	h, v, err := ad.lookup(a)
	if err != nil {
		return nil, err
	}
	ad.forget(h)
	closeHandle(v)
	return result{}, nil
}

func udpNetwork(family string) string {
	if family == "ipv6" {
		return "udp6"
	}
	return "udp4"
}

// -- listeners ---------------------------------------------------------------------------------

type listener struct {
	udp      *net.UDPConn
	ip       net.IP
	port     uint16 // the SCTP port it answers on
	accepted chan *association
	mu       sync.Mutex
	conns    map[string]*portConn
	done     chan struct{}
	once     sync.Once
}

func (ad *adapter) opListen(a args) (result, error) {
	family, err := a.family()
	if err != nil {
		return nil, err
	}
	ip, err := a.host(family)
	if err != nil {
		return nil, err
	}
	port, err := a.port("port", false)
	if err != nil {
		return nil, err
	}
	udp, e := net.ListenUDP(udpNetwork(family), &net.UDPAddr{IP: ip})
	if e != nil {
		return nil, supplied("EADDRNOTAVAIL", "%v", e)
	}
	encaps := udp.LocalAddr().(*net.UDPAddr).Port
	if port == 0 {
		port = encaps // any free number will do: the UDP socket's own
	}
	l := &listener{udp: udp, ip: ip, port: uint16(port), accepted: make(chan *association, 64),
		conns: map[string]*portConn{}, done: make(chan struct{})}
	go l.readLoop()
	return result{"handle": ad.register(l), "local": address(ip, port), "encaps_port": encaps}, nil
}

func (l *listener) readLoop() {
	buf := make([]byte, 65536)
	for {
		n, from, err := l.udp.ReadFromUDP(buf)
		if err != nil {
			return
		}
		packet := append([]byte(nil), buf[:n]...)
		if n < 16 || binary.BigEndian.Uint16(packet[2:]) != l.port {
			continue // not for this listener's port
		}
		key := from.String()
		l.mu.Lock()
		conn := l.conns[key]
		if conn == nil && packet[12] == 1 { // an INIT: a new association
			peer := *from
			conn = newPortConn(l.port, binary.BigEndian.Uint16(packet[0:]),
				func(b []byte) (int, error) { return l.udp.WriteToUDP(b, &peer) }, l.udp.LocalAddr(), &peer)
			conn.onClose = func() { l.mu.Lock(); delete(l.conns, key); l.mu.Unlock() }
			l.conns[key] = conn
			go l.serve(conn, &peer)
		}
		l.mu.Unlock()
		if conn != nil {
			conn.deliver(packet)
		}
	}
}

func (l *listener) serve(conn *portConn, peer *net.UDPAddr) {
	assoc, err := sctp.ServerWithOptions(sctp.WithNetConn(conn))
	if err != nil {
		conn.Close()
		return
	}
	as := newAssociation(assoc, conn, address(l.ip, int(l.port)), address(peer.IP, int(conn.peer)), nil)
	select {
	case l.accepted <- as:
	case <-l.done:
		as.close()
	}
}

func (l *listener) close() {
	l.once.Do(func() {
		close(l.done)
		l.udp.Close()
	})
}

func (ad *adapter) opAccept(a args) (result, error) {
	_, v, err := ad.lookup(a)
	if err != nil {
		return nil, err
	}
	l, ok := v.(*listener)
	if !ok {
		return nil, fail("EINVAL", "not a listener")
	}
	timeout, err := a.timeout()
	if err != nil {
		return nil, err
	}
	select {
	case as := <-l.accepted:
		return result{"handle": ad.register(as), "local": as.local, "peer": as.peer}, nil
	case <-time.After(timeout):
		return nil, fail("ETIMEDOUT", "accept: timed out")
	}
}

// -- connecting --------------------------------------------------------------------------------

func (ad *adapter) opConnect(a args) (result, error) {
	family, err := a.family()
	if err != nil {
		return nil, err
	}
	ip, err := a.host(family)
	if err != nil {
		return nil, err
	}
	port, err := a.port("port", true)
	if err != nil {
		return nil, err
	}
	encaps, err := a.port("encaps_port", true)
	if err != nil {
		return nil, err
	}
	timeout, err := a.timeout()
	if err != nil {
		return nil, err
	}
	localIP, localPort := ip, 0
	if bind, ok := a["bind"].(map[string]any); ok {
		b := args(bind)
		if localIP, err = b.host(family); err != nil {
			return nil, err
		}
		if localPort, err = b.port("port", false); err != nil {
			return nil, err
		}
	}
	remote := &net.UDPAddr{IP: ip, Port: encaps}
	udp, e := net.ListenUDP(udpNetwork(family), &net.UDPAddr{IP: localIP})
	if e != nil {
		return nil, supplied("EADDRNOTAVAIL", "%v", e)
	}
	udpPort := udp.LocalAddr().(*net.UDPAddr).Port
	if localPort == 0 {
		localPort = udpPort
	}
	conn := newPortConn(uint16(localPort), uint16(port),
		func(b []byte) (int, error) { return udp.WriteToUDP(b, remote) }, udp.LocalAddr(), remote)
	conn.onClose = func() { udp.Close() }
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := udp.ReadFromUDP(buf)
			if err != nil {
				return
			}
			if from.Port == remote.Port && from.IP.Equal(remote.IP) && n >= 12 {
				conn.deliver(append([]byte(nil), buf[:n]...))
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	assoc, e := sctp.ClientContext(ctx, sctp.WithNetConn(conn))
	if e != nil {
		conn.Close()
		if conn.sawAbort.Load() {
			return nil, supplied("ECONNREFUSED", "connect: the peer answered ABORT (%v)", e)
		}
		if errors.Is(e, context.DeadlineExceeded) {
			return nil, fail("ETIMEDOUT", "connect: timed out")
		}
		return nil, supplied("ECONNREFUSED", "connect: %v", e)
	}
	as := newAssociation(assoc, conn, address(localIP, localPort), address(ip, port), udp)
	return result{"handle": ad.register(as), "local": as.local, "peer": as.peer, "encaps_port": udpPort}, nil
}
