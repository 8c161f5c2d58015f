// Datagram (UDP) operations: udp.bind, udp.connect, udp.sendto, udp.recvfrom.

package main

import (
	"context"
	"encoding/base64"
	"net"
	"strconv"

	"golang.org/x/sys/unix"
)

func (ad *adapter) opUDPBind(a args) (result, error) {
	fam, err := family(a)
	if err != nil {
		return nil, err
	}
	ip, port, err := endpoint(a, fam, false)
	if err != nil {
		return nil, err
	}
	opts, err := a.options()
	if err != nil {
		return nil, err
	}
	pre, after := splitOptions(opts)
	lc := net.ListenConfig{Control: control(pre, fam)}
	pc, err := lc.ListenPacket(context.Background(), network("udp", fam), net.JoinHostPort(ip.String(), strconv.Itoa(port)))
	if err != nil {
		return nil, translate(err, "bind", 0)
	}
	uc := pc.(*net.UDPConn)
	s := &sock{kind: kUDP, family: fam, uc: uc, applied: opts}
	// Multicast options: x/net sets them on the bound socket (it takes a net.PacketConn,
	// which exists only once ListenPacket returned).
	if err := s.restore(after, nil); err != nil {
		uc.Close()
		return nil, translate(err, "setsockopt", 0)
	}
	h := ad.register(s)
	return result{"handle": h, "local": addrJSON(uc.LocalAddr(), fam)}, nil
}

// opUDPConnect: net cannot connect an existing *net.UDPConn; a Go program dials a new one
// from the same local address (net.Dialer{LocalAddr}). The options set so far are replayed
// on the new socket (Dialer.Control); datagrams queued on the old socket are lost.
func (ad *adapter) opUDPConnect(a args) (result, error) {
	s, _, err := ad.lookup(a)
	if err != nil {
		return nil, err
	}
	if s.kind != kUDP {
		return nil, fail("UNSUPPORTED", "udp.connect: not a datagram socket")
	}
	ip, port, err := endpoint(a, s.family, true)
	if err != nil {
		return nil, err
	}
	local := s.uc.LocalAddr().(*net.UDPAddr)
	s.uc.Close()
	pre, after := splitOptions(s.applied)
	d := net.Dialer{LocalAddr: local, Control: control(pre, s.family)}
	c, err := d.Dial(network("udp", s.family), net.JoinHostPort(ip.String(), strconv.Itoa(port)))
	if err != nil {
		// Put the unconnected socket back so that the handle stays usable.
		lc := net.ListenConfig{Control: control(pre, s.family)}
		if pc, lerr := lc.ListenPacket(context.Background(), network("udp", s.family), local.String()); lerr == nil {
			s.uc = pc.(*net.UDPConn)
			s.restore(after, s.groups)
		}
		return nil, translate(err, "connect", 0)
	}
	s.uc = c.(*net.UDPConn)
	// The new socket gets the multicast options and memberships of the old one (part of
	// the re-dial workaround above; a Go program re-dialling would have to do the same).
	if err := s.restore(after, s.groups); err != nil {
		return nil, translate(err, "connect", 0)
	}
	return result{"local": addrJSON(s.uc.LocalAddr(), s.family), "peer": addrJSON(s.uc.RemoteAddr(), s.family)}, nil
}

func (ad *adapter) opUDPSendto(a args) (result, error) {
	s, _, err := ad.lookup(a)
	if err != nil {
		return nil, err
	}
	if s.kind != kUDP {
		return nil, fail("UNSUPPORTED", "udp.sendto: not a datagram socket")
	}
	data, err := a.data()
	if err != nil {
		return nil, err
	}
	timeout, err := a.timeout()
	if err != nil {
		return nil, err
	}
	var to *net.UDPAddr
	if a.present("host") {
		ip, port, err := endpoint(a, s.family, true)
		if err != nil {
			return nil, err
		}
		to = &net.UDPAddr{IP: ip, Port: port}
	}
	f, err := a.flags("dontwait")
	if err != nil {
		return nil, err
	}
	if f["dontwait"] || timeout == 0 { // timeout 0: one attempt through RawConn (timeouts.go)
		return ad.udpSendDontwait(s, data, to, timeout)
	}
	if err := s.uc.SetWriteDeadline(deadline(timeout)); err != nil {
		return nil, translate(err, "sendto", timeout)
	}
	var n int
	if to == nil {
		n, err = s.uc.Write(data)
	} else {
		n, err = s.uc.WriteToUDP(data, to)
	}
	if err != nil {
		return nil, translate(err, "sendto", timeout)
	}
	return result{"sent": n}, nil
}

func (ad *adapter) opUDPRecvfrom(a args) (result, error) {
	s, _, err := ad.lookup(a)
	if err != nil {
		return nil, err
	}
	if s.kind != kUDP {
		return nil, fail("UNSUPPORTED", "udp.recvfrom: not a datagram socket")
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
	f, err := a.flags("peek", "dontwait", "trunc")
	if err != nil {
		return nil, err
	}
	if any2(f) || timeout == 0 { // timeout 0: one attempt through RawConn (timeouts.go)
		return ad.udpRecvFlags(s, size, timeout, f)
	}
	if err := s.uc.SetReadDeadline(deadline(timeout)); err != nil {
		return nil, translate(err, "recvfrom", timeout)
	}
	buf := make([]byte, size)
	n, _, flags, from, err := s.uc.ReadMsgUDP(buf, nil)
	if err != nil {
		return nil, translate(err, "recvfrom", timeout)
	}
	return result{
		"data":      base64.StdEncoding.EncodeToString(buf[:n]),
		"peer":      addrJSON(from, s.family),
		"truncated": flags&unix.MSG_TRUNC != 0,
	}, nil
}
