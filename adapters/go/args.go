// Decoding a request's arguments: integers, strings, timeout, base64 data, objects.

package main

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
)

type args map[string]json.RawMessage

func (a args) raw(name string) (json.RawMessage, bool) {
	v, ok := a[name]
	if !ok || string(v) == "null" {
		return nil, false
	}
	return v, true
}

func (a args) present(name string) bool {
	_, ok := a.raw(name)
	return ok
}

func parseInt(v json.RawMessage) (int64, bool) {
	n, err := strconv.ParseInt(string(v), 10, 64)
	return n, err == nil
}

func (a args) intArg(name string, def *int64) (int64, error) {
	v, ok := a.raw(name)
	if !ok {
		if def == nil {
			return 0, badRequest("missing argument %q", name)
		}
		return *def, nil
	}
	n, ok := parseInt(v)
	if !ok {
		return 0, badRequest("argument %q must be an integer", name)
	}
	return n, nil
}

func (a args) str(name string, required bool) (string, bool, error) {
	v, ok := a.raw(name)
	if !ok {
		if required {
			return "", false, badRequest("missing argument %q", name)
		}
		return "", false, nil
	}
	var s string
	if len(v) == 0 || v[0] != '"' || json.Unmarshal(v, &s) != nil {
		return "", false, badRequest("argument %q must be a string", name)
	}
	return s, true, nil
}

func (a args) timeout() (float64, error) {
	v, ok := a.raw("timeout")
	if !ok {
		return defaultTimeout, nil
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil || len(v) == 0 || !(v[0] == '-' || (v[0] >= '0' && v[0] <= '9')) {
		return 0, badRequest("timeout must be a number")
	}
	if f < 0 {
		return 0, badRequest("timeout must be >= 0")
	}
	return f, nil
}

func (a args) data() ([]byte, error) {
	s, _, err := a.str("data", true)
	if err != nil {
		return nil, err
	}
	// Go's decoder skips \r and \n; strict base64 (RFC 4648 §3.3) does not.
	if strings.ContainsAny(s, "\r\n") {
		return nil, badRequest("invalid base64 data: line breaks")
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, badRequest("invalid base64 data: %v", err)
	}
	return b, nil
}

func (a args) object(name string) (args, bool, error) {
	v, ok := a.raw(name)
	if !ok {
		return nil, false, nil
	}
	if v[0] != '{' {
		return nil, false, badRequest("argument %q must be an object", name)
	}
	var o args
	if err := json.Unmarshal(v, &o); err != nil {
		return nil, false, badRequest("argument %q: %v", name, err)
	}
	return o, true, nil
}
