// Socket options: decoding names and values, opt.set and opt.get.

package main

import (
	"encoding/json"
	"strings"
)

// option is one socket option setting: value is bool, int64 or nil (linger off).
type option struct {
	name  string
	value any
}

// options decodes the "options" object keeping its order (options apply in order given).
func (a args) options() ([]option, error) {
	v, ok := a.raw("options")
	if !ok {
		return nil, nil
	}
	dec := json.NewDecoder(strings.NewReader(string(v)))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, badRequest("options must be an object")
	}
	var out []option
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, badRequest("options: %v", err)
		}
		name := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, badRequest("options: %v", err)
		}
		value, err := optionValue(name, raw)
		if err != nil {
			return nil, err
		}
		out = append(out, option{name, value})
	}
	return out, nil
}

var boolOptions = map[string]bool{"reuseaddr": true, "reuseport": true, "nodelay": true, "keepalive": true,
	"broadcast": true, "v6only": true, "passcred": true}
var intOptions = map[string]bool{"rcvbuf": true, "sndbuf": true, "ttl": true}

// optionValue checks an option's name and value type: UNSUPPORTED or BADREQUEST.
func optionValue(name string, raw json.RawMessage) (any, error) {
	s := string(raw)
	if v, ok, err := option15Value(name, raw); ok {
		return v, err
	}
	if v, ok, err := multicastValue(name, raw); ok {
		return v, err
	}
	switch {
	case boolOptions[name]:
		if s != "true" && s != "false" {
			return nil, badRequest("option %q takes a bool", name)
		}
		return s == "true", nil
	case intOptions[name]:
		n, ok := parseInt(raw)
		if !ok || n != int64(int32(n)) {
			return nil, badRequest("option %q takes an integer", name)
		}
		return n, nil
	case name == "linger":
		if s == "null" || s == "" {
			return nil, nil
		}
		n, ok := parseInt(raw)
		if !ok || n != int64(int32(n)) {
			return nil, badRequest("option 'linger' takes null or integer seconds")
		}
		return n, nil
	}
	return nil, fail("UNSUPPORTED", "unknown option %q", name)
}

// setOption uses net's own method where it has one, RawConn.Control otherwise.
func (s *sock) setOption(o option) error {
	if isMulticastOption(o.name) {
		return s.setMulticast(o) // x/net's ipv4/ipv6.PacketConn (multicast.go)
	}
	if s.kind == kConn {
		c := s.tc
		switch o.name {
		case "nodelay":
			return c.SetNoDelay(o.value.(bool))
		case "keepalive":
			return c.SetKeepAlive(o.value.(bool))
		case "linger":
			if n, ok := o.value.(int64); ok {
				return c.SetLinger(int(n))
			}
			return c.SetLinger(-1)
		case "rcvbuf":
			return c.SetReadBuffer(int(o.value.(int64)))
		case "sndbuf":
			return c.SetWriteBuffer(int(o.value.(int64)))
		}
	}
	if s.kind == kUnix {
		switch o.name {
		case "rcvbuf":
			return s.un.SetReadBuffer(int(o.value.(int64)))
		case "sndbuf":
			return s.un.SetWriteBuffer(int(o.value.(int64)))
		}
	}
	if s.kind == kUDP || s.kind == kRaw {
		type buffers interface {
			SetReadBuffer(int) error
			SetWriteBuffer(int) error
		}
		var b buffers = s.uc
		if s.kind == kRaw {
			b = s.ic
		}
		switch o.name {
		case "rcvbuf":
			return b.SetReadBuffer(int(o.value.(int64)))
		case "sndbuf":
			return b.SetWriteBuffer(int(o.value.(int64)))
		}
	}
	if s.kind == kPing && o.name == "ttl" {
		if s.family == 6 {
			return s.pc.IPv6PacketConn().SetHopLimit(int(o.value.(int64)))
		}
		return s.pc.IPv4PacketConn().SetTTL(int(o.value.(int64)))
	}
	rc, err := s.syscallConn()
	if err != nil {
		return err
	}
	return withRaw(rc, func(fd int) error { return setRaw(fd, s.family, o) })
}

func (s *sock) getOption(name string) (any, error) {
	if isMulticastOption(name) {
		return s.getMulticast(name)
	}
	if s.kind == kPing && name == "ttl" {
		if s.family == 6 {
			return s.pc.IPv6PacketConn().HopLimit()
		}
		return s.pc.IPv4PacketConn().TTL()
	}
	rc, err := s.syscallConn()
	if err != nil {
		return nil, err
	}
	var v any
	err = withRaw(rc, func(fd int) error {
		var gerr error
		v, gerr = getRaw(fd, s.family, name)
		return gerr
	})
	return v, err
}

func (ad *adapter) opOptSet(a args) (result, error) {
	s, _, err := ad.lookup(a)
	if err != nil {
		return nil, err
	}
	name, _, err := a.str("name", true)
	if err != nil {
		return nil, err
	}
	raw, ok := a["value"]
	if !ok {
		return nil, badRequest("missing argument 'value'")
	}
	value, err := optionValue(name, raw)
	if err != nil {
		return nil, err
	}
	o := option{name, value}
	if err := s.setOption(o); err != nil {
		return nil, translate(err, "setsockopt "+name, 0)
	}
	if s.kind == kUDP {
		s.applied = append(s.applied, o)
	}
	return result{}, nil
}

func (ad *adapter) opOptGet(a args) (result, error) {
	s, _, err := ad.lookup(a)
	if err != nil {
		return nil, err
	}
	name, _, err := a.str("name", true)
	if err != nil {
		return nil, err
	}
	if !boolOptions[name] && !intOptions[name] && name != "linger" && !isOption15(name) && !isMulticastOption(name) {
		return nil, fail("UNSUPPORTED", "unknown option %q", name)
	}
	v, err := s.getOption(name)
	if err != nil {
		return nil, translate(err, "getsockopt "+name, 0)
	}
	return result{"value": v}, nil
}
