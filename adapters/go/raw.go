// Raw ICMP and ping sockets: raw.open, raw.send, raw.recv.

package main

import (
	"context"
	"encoding/base64"
	"net"

	"golang.org/x/net/icmp"
)

func (ad *adapter) opRawOpen(a args) (result, error) {
	fam, err := family(a)
	if err != nil {
		return nil, err
	}
	proto, _, err := a.str("protocol", true)
	if err != nil {
		return nil, err
	}
	expected := map[int]string{4: "icmp", 6: "icmpv6"}[fam]
	if proto != expected {
		return nil, badRequest("protocol must be %q for this family", expected)
	}
	k, has, err := a.str("kind", false)
	if err != nil {
		return nil, err
	}
	if !has {
		k = "raw"
	}
	if k != "raw" && k != "ping" {
		return nil, badRequest("kind is 'raw' or 'ping'")
	}
	opts, err := a.options()
	if err != nil {
		return nil, err
	}
	if k == "raw" {
		lc := net.ListenConfig{Control: control(opts, fam)}
		netw, addr := "ip4:icmp", "0.0.0.0"
		if fam == 6 {
			netw, addr = "ip6:ipv6-icmp", "::"
		}
		pc, err := lc.ListenPacket(context.Background(), netw, addr)
		if err != nil {
			return nil, translate(err, "socket", 0)
		}
		return result{"handle": ad.register(&sock{kind: kRaw, family: fam, ic: pc.(*net.IPConn)})}, nil
	}
	netw, addr := "udp4", "0.0.0.0"
	if fam == 6 {
		netw, addr = "udp6", "::"
	}
	pc, err := icmp.ListenPacket(netw, addr)
	if err != nil {
		return nil, translate(err, "socket", 0)
	}
	s := &sock{kind: kPing, family: fam, pc: pc}
	// icmp.ListenPacket takes no Control: options are applied after it bound the socket.
	for _, o := range opts {
		if err := s.setOption(o); err != nil {
			pc.Close()
			return nil, translate(err, "setsockopt "+o.name, 0)
		}
	}
	return result{"handle": ad.register(s)}, nil
}

func (ad *adapter) rawSock(a args, op string) (*sock, error) {
	s, _, err := ad.lookup(a)
	if err != nil {
		return nil, err
	}
	if s.kind != kRaw && s.kind != kPing {
		return nil, fail("UNSUPPORTED", "%s: not a raw or ping socket", op)
	}
	return s, nil
}

func (ad *adapter) opRawSend(a args) (result, error) {
	s, err := ad.rawSock(a, "raw.send")
	if err != nil {
		return nil, err
	}
	data, err := a.data()
	if err != nil {
		return nil, err
	}
	host, _, err := a.str("host", true)
	if err != nil {
		return nil, err
	}
	ip, err := parseHost(s.family, host)
	if err != nil {
		return nil, err
	}
	timeout, err := a.timeout()
	if err != nil {
		return nil, err
	}
	var n int
	if s.kind == kRaw {
		if err := s.ic.SetWriteDeadline(deadline(timeout)); err != nil {
			return nil, translate(err, "sendto", timeout)
		}
		n, err = s.ic.WriteToIP(data, &net.IPAddr{IP: ip})
	} else {
		if err := s.pc.SetWriteDeadline(deadline(timeout)); err != nil {
			return nil, translate(err, "sendto", timeout)
		}
		n, err = s.pc.WriteTo(data, &net.UDPAddr{IP: ip})
	}
	if err != nil {
		return nil, translate(err, "sendto", timeout)
	}
	return result{"sent": n}, nil
}

func (ad *adapter) opRawRecv(a args) (result, error) {
	s, err := ad.rawSock(a, "raw.recv")
	if err != nil {
		return nil, err
	}
	def := int64(65535)
	size, err := a.intArg("max", &def)
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
	buf := make([]byte, size)
	var n int
	var from net.Addr
	if s.kind == kRaw {
		if err := s.ic.SetReadDeadline(deadline(timeout)); err != nil {
			return nil, translate(err, "recvfrom", timeout)
		}
		// ReadMsgIP, unlike ReadFrom/ReadFromIP, leaves the IPv4 header in place (raw(7)).
		var ipa *net.IPAddr
		n, _, _, ipa, err = s.ic.ReadMsgIP(buf, nil)
		if ipa != nil {
			from = ipa
		}
	} else {
		if err := s.pc.SetReadDeadline(deadline(timeout)); err != nil {
			return nil, translate(err, "recvfrom", timeout)
		}
		n, from, err = s.pc.ReadFrom(buf)
	}
	if err != nil {
		return nil, translate(err, "recvfrom", timeout)
	}
	peer := addrJSON(from, s.family)
	peer["port"] = 0
	return result{"data": base64.StdEncoding.EncodeToString(buf[:n]), "peer": peer}, nil
}
