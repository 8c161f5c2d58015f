// Multicast (protocol 1.7, feature multicast): udp.join, udp.leave and the options
// multicast_loop, multicast_ttl, multicast_if, through golang.org/x/net/ipv4 and
// golang.org/x/net/ipv6 — the Go project's own API for them (net has only
// ListenMulticastUDP, which joins once at creation and offers no leave or option).
// ipv4.NewPacketConn / ipv6.NewPacketConn wrap the *net.UDPConn the handle already holds.

package main

import (
	"encoding/json"
	"errors"
	"net"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

var multicastOptions = map[string]bool{"multicast_loop": true, "multicast_ttl": true, "multicast_if": true}

func isMulticastOption(name string) bool { return multicastOptions[name] }

// mcIface is the protocol's interface object ({name, index, address}); a nil *mcIface is
// null: let the system choose.
type mcIface struct {
	name    string
	index   int
	address net.IP
}

// parseIface decodes an interface: an object, or null (or absent).
func parseIface(raw json.RawMessage, what string) (*mcIface, error) {
	s := string(raw)
	if s == "" || s == "null" {
		return nil, nil
	}
	if s[0] != '{' {
		return nil, badRequest("%s must be an interface object or null", what)
	}
	var o args
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, badRequest("%s: %v", what, err)
	}
	ifc := &mcIface{}
	name, _, err := o.str("name", false)
	if err != nil {
		return nil, err
	}
	ifc.name = name
	zero := int64(0)
	n, err := o.intArg("index", &zero)
	if err != nil {
		return nil, err
	}
	if n < 0 || n != int64(int32(n)) {
		return nil, badRequest("%s: index must be an integer >= 0", what)
	}
	ifc.index = int(n)
	addr, ok, err := o.str("address", false)
	if err != nil {
		return nil, err
	}
	if ok {
		if ifc.address = net.ParseIP(addr).To4(); ifc.address == nil {
			return nil, supply("EINVAL", "%s: address %q is not an IPv4 address", what, addr)
		}
	}
	return ifc, nil
}

// netInterface is the *net.Interface x/net takes: by name (net.InterfaceByName) when the
// object has one, else by index, else the interface holding the IPv4 address. nil: the
// system chooses (index 0).
func (ifc *mcIface) netInterface() (*net.Interface, error) {
	if ifc == nil {
		return nil, nil
	}
	var ifi *net.Interface
	var err error
	switch {
	case ifc.name != "":
		ifi, err = net.InterfaceByName(ifc.name)
	case ifc.index != 0:
		ifi, err = net.InterfaceByIndex(ifc.index)
	case ifc.address != nil && !ifc.address.IsUnspecified():
		ifi, err = interfaceByAddress(ifc.address)
	default:
		return nil, nil
	}
	if err != nil {
		// net's "no such network interface" carries no errno; the kernel's answer for an
		// interface that does not exist is ENODEV.
		var op *opError
		if errors.As(err, &op) {
			return nil, op
		}
		return nil, supply("ENODEV", "interface: %v", err)
	}
	return ifi, nil
}

func interfaceByAddress(ip net.IP) (*net.Interface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	for i := range ifs {
		addrs, err := ifs[i].Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
				return &ifs[i], nil
			}
		}
	}
	return nil, supply("EADDRNOTAVAIL", "no interface has address %s", ip)
}

// ipv4Address is how opt.get answers an IPv4 multicast_if: the interface's IPv4 address,
// "0.0.0.0" when x/net reports none (nil).
func ipv4Address(ifi *net.Interface) string {
	if ifi == nil {
		return "0.0.0.0"
	}
	if addrs, err := ifi.Addrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
				return n.IP.To4().String()
			}
		}
	}
	return "0.0.0.0"
}

// multicastValue checks a multicast option's value; ok is false for a name that is not one.
func multicastValue(name string, raw json.RawMessage) (any, bool, error) {
	switch name {
	case "multicast_loop":
		s := string(raw)
		if s != "true" && s != "false" {
			return nil, true, badRequest("option %q takes a bool", name)
		}
		return s == "true", true, nil
	case "multicast_ttl":
		n, ok := parseInt(raw)
		if !ok || n != int64(int32(n)) {
			return nil, true, badRequest("option %q takes an integer", name)
		}
		return n, true, nil
	case "multicast_if":
		ifc, err := parseIface(raw, "option 'multicast_if'")
		return ifc, true, err
	}
	return nil, false, nil
}

// packetConns: x/net's wrappers of the handle's datagram socket (UDP; raw IP sockets are
// net.PacketConns too).
func (s *sock) packetConn() (net.PacketConn, error) {
	switch s.kind {
	case kUDP:
		return s.uc, nil
	case kRaw:
		return s.ic, nil
	}
	// x/net's multicast API is on ipv4.PacketConn / ipv6.PacketConn only (ipv4.Conn, for
	// stream connections, has TOS and TTL alone): nothing to call on this socket. EPROTO
	// is what Linux answers a multicast request on a connection-oriented socket.
	return nil, supply("EPROTO", "x/net has multicast options and memberships on datagram sockets only")
}

func (s *sock) setMulticast(o option) error {
	pc, err := s.packetConn()
	if err != nil {
		return err
	}
	if s.family == 6 {
		p := ipv6.NewPacketConn(pc)
		switch o.name {
		case "multicast_loop":
			return p.SetMulticastLoopback(o.value.(bool))
		case "multicast_ttl":
			return p.SetMulticastHopLimit(int(o.value.(int64)))
		}
		ifi, err := o.value.(*mcIface).netInterface()
		if err != nil {
			return err
		}
		return p.SetMulticastInterface(ifi)
	}
	p := ipv4.NewPacketConn(pc)
	switch o.name {
	case "multicast_loop":
		return p.SetMulticastLoopback(o.value.(bool))
	case "multicast_ttl":
		return p.SetMulticastTTL(int(o.value.(int64)))
	}
	ifi, err := o.value.(*mcIface).netInterface()
	if err != nil {
		return err
	}
	return p.SetMulticastInterface(ifi)
}

func (s *sock) getMulticast(name string) (any, error) {
	pc, err := s.packetConn()
	if err != nil {
		return nil, err
	}
	if s.family == 6 {
		p := ipv6.NewPacketConn(pc)
		switch name {
		case "multicast_loop":
			return p.MulticastLoopback()
		case "multicast_ttl":
			return p.MulticastHopLimit()
		}
		ifi, err := p.MulticastInterface()
		if err != nil || ifi == nil {
			return 0, err
		}
		return ifi.Index, nil
	}
	p := ipv4.NewPacketConn(pc)
	switch name {
	case "multicast_loop":
		return p.MulticastLoopback()
	case "multicast_ttl":
		return p.MulticastTTL()
	}
	// x/net answers a *net.Interface (nil for none); the protocol wants the address, so the
	// adapter prints the interface's first IPv4 address (a conversion, not the kernel's
	// value: see the README — on Linux x/net reports nil whatever was set).
	ifi, err := p.MulticastInterface()
	if err != nil {
		return nil, err
	}
	return ipv4Address(ifi), nil
}

// membership is a group joined on a handle, remembered so that udp.connect (which dials a
// new socket, see udp.go) can join it again on the new socket.
type membership struct {
	group net.IP
	ifi   *net.Interface
}

func (s *sock) joinLeave(join bool, group net.IP, ifi *net.Interface) error {
	pc, err := s.packetConn()
	if err != nil {
		return err
	}
	addr := &net.UDPAddr{IP: group}
	if s.family == 6 {
		p := ipv6.NewPacketConn(pc)
		if join {
			return p.JoinGroup(ifi, addr)
		}
		return p.LeaveGroup(ifi, addr)
	}
	p := ipv4.NewPacketConn(pc)
	if join {
		return p.JoinGroup(ifi, addr)
	}
	return p.LeaveGroup(ifi, addr)
}

func (ad *adapter) opUDPJoin(a args) (result, error)  { return ad.joinOrLeave(a, true) }
func (ad *adapter) opUDPLeave(a args) (result, error) { return ad.joinOrLeave(a, false) }

func (ad *adapter) joinOrLeave(a args, join bool) (result, error) {
	s, _, err := ad.lookup(a)
	if err != nil {
		return nil, err
	}
	text, _, err := a.str("group", true)
	if err != nil {
		return nil, err
	}
	ifc, err := parseIface(a["interface"], "argument 'interface'")
	if err != nil {
		return nil, err
	}
	op := "udp.leave"
	if join {
		op = "udp.join"
	}
	// A group that is not a numeric address of the socket's family: the protocol's EINVAL
	// (§2.1), as for every host (x/net would say "missing address").
	group, err := parseHost(s.family, text)
	if err != nil {
		return nil, err
	}
	ifi, err := ifc.netInterface()
	if err != nil {
		return nil, err
	}
	if err := s.joinLeave(join, group, ifi); err != nil {
		return nil, translate(err, op, 0)
	}
	s.remember(join, group, ifi)
	return result{}, nil
}

func sameIface(a, b *net.Interface) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Index == b.Index
}

func (s *sock) remember(join bool, group net.IP, ifi *net.Interface) {
	if join {
		s.groups = append(s.groups, membership{group, ifi})
		return
	}
	for i, m := range s.groups {
		if m.group.Equal(group) && sameIface(m.ifi, ifi) {
			s.groups = append(s.groups[:i], s.groups[i+1:]...)
			return
		}
	}
}

// splitOptions separates the options applied in Control (before bind, with setsockopt)
// from the multicast ones, which x/net sets on the bound *net.UDPConn afterwards.
func splitOptions(opts []option) (control, after []option) {
	for _, o := range opts {
		if isMulticastOption(o.name) {
			after = append(after, o)
		} else {
			control = append(control, o)
		}
	}
	return control, after
}

// restore applies the multicast options and memberships a handle had to its (new) socket:
// after udp.bind, and after udp.connect dialled a new socket (a workaround of the
// adapter's: net cannot connect an existing *net.UDPConn, see udp.go).
func (s *sock) restore(after []option, groups []membership) error {
	for _, o := range after {
		if err := s.setMulticast(o); err != nil {
			return err
		}
	}
	for _, m := range groups {
		if err := s.joinLeave(true, m.group, m.ifi); err != nil {
			return err
		}
	}
	return nil
}
