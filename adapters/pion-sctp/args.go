package main

import (
	"encoding/base64"
	"math"
	"net"
	"time"
)

type args map[string]any

func (a args) str(name string) (string, error) {
	v, ok := a[name].(string)
	if !ok {
		return "", badRequest("argument %q must be a string", name)
	}
	return v, nil
}

func (a args) integer(name string, def int64, required bool) (int64, error) {
	raw, present := a[name]
	if !present || raw == nil {
		if required {
			return 0, badRequest("missing argument %q", name)
		}
		return def, nil
	}
	f, ok := raw.(float64)
	if !ok || f != math.Trunc(f) {
		return 0, badRequest("argument %q must be an integer", name)
	}
	return int64(f), nil
}

func (a args) boolean(name string) (bool, error) {
	raw, present := a[name]
	if !present || raw == nil {
		return false, nil
	}
	b, ok := raw.(bool)
	if !ok {
		return false, badRequest("argument %q must be a boolean", name)
	}
	return b, nil
}

func (a args) timeout() (time.Duration, error) {
	raw, present := a["timeout"]
	if !present || raw == nil {
		return 5 * time.Second, nil
	}
	f, ok := raw.(float64)
	if !ok || f < 0 {
		return 0, badRequest("timeout must be a number >= 0")
	}
	return time.Duration(f * float64(time.Second)), nil
}

func (a args) data() ([]byte, error) {
	s, err := a.str("data")
	if err != nil {
		return nil, err
	}
	b, e := base64.StdEncoding.Strict().DecodeString(s)
	if e != nil {
		return nil, badRequest("invalid base64 data")
	}
	return b, nil
}

// host checks a numeric address of the family (never a name: no DNS).
func (a args) host(family string) (net.IP, error) {
	s, err := a.str("host")
	if err != nil {
		return nil, err
	}
	ip := net.ParseIP(s)
	if ip == nil || (family == "ipv4") != (ip.To4() != nil && len(s) <= 15 && !containsColon(s)) {
		return nil, fail("EINVAL", "not a numeric address for this family: %q", s)
	}
	return ip, nil
}

func containsColon(s string) bool {
	for _, c := range s {
		if c == ':' {
			return true
		}
	}
	return false
}

func (a args) family() (string, error) {
	f, err := a.str("family")
	if err != nil {
		return "", err
	}
	if f != "ipv4" && f != "ipv6" {
		return "", badRequest("unknown family %q", f)
	}
	return f, nil
}

func (a args) port(name string, required bool) (int, error) {
	p, err := a.integer(name, 0, required)
	if err != nil {
		return 0, err
	}
	if p < 0 || p > 65535 {
		return 0, fail("EINVAL", "port out of range: %d", p)
	}
	return int(p), nil
}

func address(ip net.IP, port int) map[string]any {
	return map[string]any{"host": ip.String(), "port": port}
}

func encode(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
