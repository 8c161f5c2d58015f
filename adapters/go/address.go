// Addresses: parsing family/host/port arguments, printing addresses, addr.local and addr.peer.

package main

import (
	"net"
	"strconv"
	"strings"
)

func family(a args) (int, error) {
	f, _, err := a.str("family", true)
	if err != nil {
		return 0, err
	}
	switch f {
	case "ipv4":
		return 4, nil
	case "ipv6":
		return 6, nil
	}
	return 0, badRequest("unknown family %q", f)
}

// parseHost accepts a numeric address of the family only (never a name: no DNS).
func parseHost(fam int, host string) (net.IP, error) {
	ip := net.ParseIP(host)
	if ip == nil || (fam == 4) == strings.Contains(host, ":") {
		return nil, fail("EINVAL", "not a numeric address for this family: %q", host)
	}
	return ip, nil
}

func endpoint(a args, fam int, portRequired bool) (net.IP, int, error) {
	host, _, err := a.str("host", true)
	if err != nil {
		return nil, 0, err
	}
	var zero int64
	def := &zero
	if portRequired {
		def = nil
	}
	port, err := a.intArg("port", def)
	if err != nil {
		return nil, 0, err
	}
	ip, err := parseHost(fam, host)
	if err != nil {
		return nil, 0, err
	}
	if port < 0 || port > 65535 {
		return nil, 0, fail("EINVAL", "port out of range: %d", port)
	}
	return ip, int(port), nil
}

func network(proto string, fam int) string {
	return proto + strconv.Itoa(fam)
}

func hostText(ip net.IP, fam int) string {
	if fam == 6 && len(ip) == net.IPv6len && ip.To4() != nil {
		return "::ffff:" + ip.To4().String() // inet_ntop's form for an IPv4-mapped address
	}
	return ip.String()
}

func addrJSON(addr net.Addr, fam int) map[string]any {
	switch a := addr.(type) {
	case *net.TCPAddr:
		return map[string]any{"host": hostText(a.IP, fam), "port": a.Port}
	case *net.UDPAddr:
		return map[string]any{"host": hostText(a.IP, fam), "port": a.Port}
	case *net.IPAddr:
		return map[string]any{"host": hostText(a.IP, fam), "port": 0}
	}
	return nil
}

func (s *sock) localAddr() net.Addr {
	switch s.kind {
	case kListener:
		return s.ln.Addr()
	case kConn:
		return s.tc.LocalAddr()
	case kUDP:
		return s.uc.LocalAddr()
	case kRaw:
		return s.ic.LocalAddr()
	case kPing:
		return s.pc.LocalAddr()
	case kUnixListener:
		return s.ul.Addr()
	case kUnix:
		return s.un.LocalAddr()
	}
	return nil
}

func (ad *adapter) opAddrLocal(a args) (result, error) {
	s, _, err := ad.lookup(a)
	if err != nil {
		return nil, err
	}
	if s.kind == kUnix || s.kind == kUnixListener {
		return unixAddrJSON(s.localAddr()), nil
	}
	return addrJSON(s.localAddr(), s.family), nil
}

func (ad *adapter) opAddrPeer(a args) (result, error) {
	s, _, err := ad.lookup(a)
	if err != nil {
		return nil, err
	}
	var peer net.Addr
	switch s.kind {
	case kConn:
		peer = s.tc.RemoteAddr()
	case kUDP:
		peer = s.uc.RemoteAddr()
	case kRaw:
		peer = s.ic.RemoteAddr()
	case kUnix:
		// net records the peer when the socket is made (getpeername); nil: not connected.
		if p := s.un.RemoteAddr(); p != nil && p != (*net.UnixAddr)(nil) {
			return unixAddrJSON(p), nil
		}
		return nil, supply("ENOTCONN", "addr.peer: RemoteAddr is nil (not connected)")
	default:
		return nil, fail("UNSUPPORTED", "addr.peer: this net type has no RemoteAddr")
	}
	// net records the peer (getpeername) when the socket is made; an unconnected
	// socket's RemoteAddr is nil.
	if peer == nil || peer == (*net.UDPAddr)(nil) || peer == (*net.IPAddr)(nil) || peer == (*net.TCPAddr)(nil) {
		return nil, supply("ENOTCONN", "addr.peer: RemoteAddr is nil (not connected)")
	}
	return addrJSON(peer, s.family), nil
}
