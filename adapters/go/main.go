// Command sockspec-go is the sockspec adapter for Go's net package (docs/protocol.md).
//
// It reads one JSON request per line on stdin, performs it with the net package the way a
// Go program would (net.ListenConfig, net.Dialer, *net.TCPConn, *net.UDPConn, *net.IPConn,
// deadlines for timeouts), and writes one JSON response per line on stdout. Socket options
// that net has methods for are set with those methods; the others, and every read-back,
// go through syscall.RawConn.Control (net's documented way: ListenConfig.Control,
// Dialer.Control, SyscallConn). Ping sockets come from golang.org/x/net/icmp.
package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/sys/unix"
)

const (
	protocolVersion = "1.1"
	defaultTimeout  = 5.0
	// zeroWait is the deadline given for "timeout: 0". net has no non-blocking mode, and a
	// deadline already in the past makes net fail before it even tries the system call
	// (internal/poll checks the deadline first), so "do not wait" is a deadline this close.
	zeroWait = 2 * time.Millisecond
)

// ---- errors ---------------------------------------------------------------------------

// opError is a protocol error: an errno name, UNSUPPORTED or BADREQUEST.
type opError struct{ code, message string }

func (e *opError) Error() string { return e.code + ": " + e.message }

func fail(code, format string, a ...any) *opError {
	return &opError{code, fmt.Sprintf(format, a...)}
}

func badRequest(format string, a ...any) *opError { return fail("BADREQUEST", format, a...) }

var canonical = map[string]string{"EWOULDBLOCK": "EAGAIN", "ENOTSUP": "EOPNOTSUPP", "EDEADLOCK": "EDEADLK"}

func errnoName(e syscall.Errno) string {
	name := unix.ErrnoName(e)
	if name == "" {
		return fmt.Sprintf("ERRNO%d", int(e))
	}
	if c, ok := canonical[name]; ok {
		return c
	}
	return name
}

// translate maps an error returned by net to the protocol's code. timeout is the
// operation's own timeout (0 turns an expired deadline into EAGAIN).
func translate(err error, context string, timeout float64) *opError {
	var op *opError
	if errors.As(err, &op) {
		return op
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		if timeout == 0 {
			if context == "connect" {
				return fail("EINPROGRESS", "%s: not completed at once: %v", context, err)
			}
			return fail("EAGAIN", "%s: would block: %v", context, err)
		}
		return fail("ETIMEDOUT", "%s: timed out after %g s: %v", context, timeout, err)
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return fail(errnoName(errno), "%s: %v", context, err)
	}
	if errors.Is(err, net.ErrClosed) {
		return fail("EBADF", "%s: %v", context, err)
	}
	if errors.Is(err, net.ErrWriteToConnected) {
		// net's own check (no system call): the closest errno is EISCONN.
		return fail("EISCONN", "%s: %v", context, err)
	}
	var addrErr *net.AddrError
	if errors.As(err, &addrErr) {
		return fail("EINVAL", "%s: %v", context, err)
	}
	fmt.Fprintf(os.Stderr, "sockspec-go: unmapped error in %s: %#v\n", context, err)
	return fail("EINVAL", "%s: %v", context, err)
}

// ---- arguments --------------------------------------------------------------------------

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
	"broadcast": true, "v6only": true}
var intOptions = map[string]bool{"rcvbuf": true, "sndbuf": true, "ttl": true}

// optionValue checks an option's name and value type: UNSUPPORTED or BADREQUEST.
func optionValue(name string, raw json.RawMessage) (any, error) {
	s := string(raw)
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

// ---- sockets ----------------------------------------------------------------------------

type kind int

const (
	kListener kind = iota
	kConn
	kUDP
	kRaw
	kPing
)

type sock struct {
	kind    kind
	family  int // 4 or 6
	ln      *net.TCPListener
	tc      *net.TCPConn
	uc      *net.UDPConn
	ic      *net.IPConn
	pc      *icmp.PacketConn
	applied []option // UDP: options set so far, replayed when udp.connect re-creates the socket
}

func (s *sock) close() error {
	switch s.kind {
	case kListener:
		return s.ln.Close()
	case kConn:
		return s.tc.Close()
	case kUDP:
		return s.uc.Close()
	case kRaw:
		return s.ic.Close()
	case kPing:
		return s.pc.Close()
	}
	return nil
}

func (s *sock) syscallConn() (syscall.RawConn, error) {
	switch s.kind {
	case kListener:
		return s.ln.SyscallConn()
	case kConn:
		return s.tc.SyscallConn()
	case kUDP:
		return s.uc.SyscallConn()
	case kRaw:
		return s.ic.SyscallConn()
	}
	return nil, fail("UNSUPPORTED", "x/net/icmp's PacketConn gives no access to its socket")
}

type adapter struct {
	socks map[int64]*sock
	next  int64
	hello map[string]any
}

func (ad *adapter) register(s *sock) int64 {
	ad.next++
	ad.socks[ad.next] = s
	return ad.next
}

func (ad *adapter) lookup(a args) (*sock, int64, error) {
	h, err := a.intArg("handle", nil)
	if err != nil {
		return nil, 0, err
	}
	s, ok := ad.socks[h]
	if !ok {
		return nil, h, fail("EBADF", "no open handle %d", h)
	}
	return s, h, nil
}

func (ad *adapter) closeAll() {
	for h, s := range ad.socks {
		s.close()
		delete(ad.socks, h)
	}
}

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

func deadline(timeout float64) time.Time {
	if timeout == 0 {
		return time.Now().Add(zeroWait)
	}
	return time.Now().Add(time.Duration(timeout * float64(time.Second)))
}

// ---- socket options -----------------------------------------------------------------------

func ttlLevel(fam int) (int, int) {
	if fam == 6 {
		return unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS
	}
	return unix.IPPROTO_IP, unix.IP_TTL
}

var optionLevels = map[string][2]int{
	"reuseaddr": {unix.SOL_SOCKET, unix.SO_REUSEADDR},
	"reuseport": {unix.SOL_SOCKET, unix.SO_REUSEPORT},
	"keepalive": {unix.SOL_SOCKET, unix.SO_KEEPALIVE},
	"broadcast": {unix.SOL_SOCKET, unix.SO_BROADCAST},
	"nodelay":   {unix.IPPROTO_TCP, unix.TCP_NODELAY},
	"v6only":    {unix.IPPROTO_IPV6, unix.IPV6_V6ONLY},
	"rcvbuf":    {unix.SOL_SOCKET, unix.SO_RCVBUF},
	"sndbuf":    {unix.SOL_SOCKET, unix.SO_SNDBUF},
}

func levelOf(name string, fam int) (int, int) {
	if name == "ttl" {
		return ttlLevel(fam)
	}
	l := optionLevels[name]
	return l[0], l[1]
}

// setRaw sets an option on a socket net has not wrapped yet (inside Control) or for which
// net has no method.
func setRaw(fd int, fam int, o option) error {
	if o.name == "linger" {
		l := &unix.Linger{}
		if n, ok := o.value.(int64); ok {
			l.Onoff, l.Linger = 1, int32(n)
		}
		return os.NewSyscallError("setsockopt", unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, l))
	}
	level, opt := levelOf(o.name, fam)
	var v int
	switch x := o.value.(type) {
	case bool:
		if x {
			v = 1
		}
	case int64:
		v = int(x)
	}
	return os.NewSyscallError("setsockopt", unix.SetsockoptInt(fd, level, opt, v))
}

func getRaw(fd int, fam int, name string) (any, error) {
	if name == "linger" {
		l, err := unix.GetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER)
		if err != nil {
			return nil, os.NewSyscallError("getsockopt", err)
		}
		if l.Onoff == 0 {
			return nil, nil
		}
		return int(l.Linger), nil
	}
	level, opt := levelOf(name, fam)
	v, err := unix.GetsockoptInt(fd, level, opt)
	if err != nil {
		return nil, os.NewSyscallError("getsockopt", err)
	}
	if boolOptions[name] {
		return v != 0, nil
	}
	return v, nil
}

// control applies options through ListenConfig.Control / Dialer.Control: after net
// created the socket, before it binds.
func control(opts []option, fam int) func(string, string, syscall.RawConn) error {
	return func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			for _, o := range opts {
				if serr = setRaw(int(fd), fam, o); serr != nil {
					return
				}
			}
		})
		if err != nil {
			return err
		}
		return serr
	}
}

func withRaw(rc syscall.RawConn, f func(fd int) error) error {
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = f(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// setOption uses net's own method where it has one, RawConn.Control otherwise.
func (s *sock) setOption(o option) error {
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

// ---- operations ----------------------------------------------------------------------------

type result = map[string]any

func (ad *adapter) opHello(a args) (result, error) { return ad.hello, nil }

func (ad *adapter) opReset(a args) (result, error) {
	ad.closeAll()
	return result{}, nil
}

func (ad *adapter) opClose(a args) (result, error) {
	s, h, err := ad.lookup(a)
	if err != nil {
		return nil, err
	}
	delete(ad.socks, h)
	if err := s.close(); err != nil {
		return nil, translate(err, "close", 0)
	}
	return result{}, nil
}

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

func (ad *adapter) streamConn(a args, op string) (*net.TCPConn, error) {
	s, _, err := ad.lookup(a)
	if err != nil {
		return nil, err
	}
	if s.kind != kConn {
		return nil, fail("UNSUPPORTED", "%s: net offers it on a *net.TCPConn only (this handle is not one)", op)
	}
	return s.tc, nil
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
	if len(data) == 0 {
		return result{"sent": 0}, nil
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
		return nil, fail("EINVAL", "recv: read returned nothing")
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
	delete(ad.socks, h)
	lerr := c.SetLinger(0)
	c.Close()
	if lerr != nil {
		return nil, translate(lerr, "setsockopt linger", 0)
	}
	return result{}, nil
}

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
	lc := net.ListenConfig{Control: control(opts, fam)}
	pc, err := lc.ListenPacket(context.Background(), network("udp", fam), net.JoinHostPort(ip.String(), strconv.Itoa(port)))
	if err != nil {
		return nil, translate(err, "bind", 0)
	}
	uc := pc.(*net.UDPConn)
	h := ad.register(&sock{kind: kUDP, family: fam, uc: uc, applied: opts})
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
	d := net.Dialer{LocalAddr: local, Control: control(s.applied, s.family)}
	c, err := d.Dial(network("udp", s.family), net.JoinHostPort(ip.String(), strconv.Itoa(port)))
	if err != nil {
		// Put the unconnected socket back so that the handle stays usable.
		lc := net.ListenConfig{Control: control(s.applied, s.family)}
		if pc, lerr := lc.ListenPacket(context.Background(), network("udp", s.family), local.String()); lerr == nil {
			s.uc = pc.(*net.UDPConn)
		}
		return nil, translate(err, "connect", 0)
	}
	s.uc = c.(*net.UDPConn)
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
	if size < 0 {
		return nil, badRequest("max must be >= 0")
	}
	timeout, err := a.timeout()
	if err != nil {
		return nil, err
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
	if size < 0 {
		return nil, badRequest("max must be >= 0")
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
	}
	return nil
}

func (ad *adapter) opAddrLocal(a args) (result, error) {
	s, _, err := ad.lookup(a)
	if err != nil {
		return nil, err
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
	default:
		return nil, fail("UNSUPPORTED", "addr.peer: this net type has no RemoteAddr")
	}
	// net records the peer (getpeername) when the socket is made; an unconnected
	// socket's RemoteAddr is nil.
	if peer == nil || peer == (*net.UDPAddr)(nil) || peer == (*net.IPAddr)(nil) || peer == (*net.TCPAddr)(nil) {
		return nil, fail("ENOTCONN", "addr.peer: RemoteAddr is nil (not connected)")
	}
	return addrJSON(peer, s.family), nil
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
	if !boolOptions[name] && !intOptions[name] && name != "linger" {
		return nil, fail("UNSUPPORTED", "unknown option %q", name)
	}
	v, err := s.getOption(name)
	if err != nil {
		return nil, translate(err, "getsockopt "+name, 0)
	}
	return result{"value": v}, nil
}

// ---- the loop ---------------------------------------------------------------------------------

func canListen(netw, addr string) bool {
	c, err := net.ListenPacket(netw, addr)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func canPing(netw, addr string) bool {
	c, err := icmp.ListenPacket(netw, addr)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func helloResult() map[string]any {
	features := []string{"tcp", "udp", "ipv4", "tcp.bind-connect", "stream.shutdown", "stream.abort",
		"nonblocking", "opt.reuseaddr", "opt.reuseport", "opt.nodelay", "opt.keepalive", "opt.linger",
		"opt.rcvbuf", "opt.sndbuf", "opt.broadcast", "opt.ttl"}
	ipv6 := false
	if l, err := net.Listen("tcp6", "[::1]:0"); err == nil {
		l.Close()
		ipv6 = true
		features = append(features, "ipv6", "opt.v6only")
	}
	rawOK := canListen("ip4:icmp", "0.0.0.0") && (!ipv6 || canListen("ip6:ipv6-icmp", "::"))
	if rawOK {
		features = append(features, "raw")
	}
	if canPing("udp4", "0.0.0.0") && (!ipv6 || canPing("udp6", "::")) {
		features = append(features, "ping-socket")
	}
	return map[string]any{
		"protocol":       protocolVersion,
		"implementation": "go-net",
		"version":        runtime.Version(),
		"language":       "go",
		"features":       features,
	}
}

type handler func(*adapter, args) (result, error)

var operations = map[string]handler{
	"hello":           (*adapter).opHello,
	"reset":           (*adapter).opReset,
	"close":           (*adapter).opClose,
	"tcp.listen":      (*adapter).opTCPListen,
	"tcp.connect":     (*adapter).opTCPConnect,
	"tcp.accept":      (*adapter).opTCPAccept,
	"stream.send":     (*adapter).opStreamSend,
	"stream.recv":     (*adapter).opStreamRecv,
	"stream.shutdown": (*adapter).opStreamShutdown,
	"stream.abort":    (*adapter).opStreamAbort,
	"udp.bind":        (*adapter).opUDPBind,
	"udp.connect":     (*adapter).opUDPConnect,
	"udp.sendto":      (*adapter).opUDPSendto,
	"udp.recvfrom":    (*adapter).opUDPRecvfrom,
	"raw.open":        (*adapter).opRawOpen,
	"raw.send":        (*adapter).opRawSend,
	"raw.recv":        (*adapter).opRawRecv,
	"addr.local":      (*adapter).opAddrLocal,
	"addr.peer":       (*adapter).opAddrPeer,
	"opt.set":         (*adapter).opOptSet,
	"opt.get":         (*adapter).opOptGet,
}

type request struct {
	ID   json.RawMessage `json:"id"`
	Op   json.RawMessage `json:"op"`
	Args json.RawMessage `json:"args"`
}

func (ad *adapter) handle(line []byte) []byte {
	var req request
	id := json.RawMessage("null")
	res, err := func() (result, error) {
		if e := json.Unmarshal(line, &req); e != nil {
			return nil, badRequest("not a JSON object: %v", e)
		}
		if len(req.ID) > 0 {
			id = req.ID
		}
		var op string
		if len(req.Op) == 0 || req.Op[0] != '"' || json.Unmarshal(req.Op, &op) != nil {
			return nil, badRequest("a request is an object with a string 'op'")
		}
		h, ok := operations[op]
		if !ok {
			return nil, fail("UNSUPPORTED", "unknown operation %q", op)
		}
		var a args
		if len(req.Args) > 0 && string(req.Args) != "null" {
			if req.Args[0] != '{' || json.Unmarshal(req.Args, &a) != nil {
				return nil, badRequest("args must be an object")
			}
		}
		if a == nil {
			a = args{}
		}
		return h(ad, a)
	}()
	var resp any
	if err != nil {
		op := translate(err, "request", 0)
		resp = struct {
			ID    json.RawMessage   `json:"id"`
			OK    bool              `json:"ok"`
			Error map[string]string `json:"error"`
		}{id, false, map[string]string{"code": op.code, "message": op.message}}
	} else {
		resp = struct {
			ID     json.RawMessage `json:"id"`
			OK     bool            `json:"ok"`
			Result result          `json:"result"`
		}{id, true, res}
	}
	out, merr := json.Marshal(resp)
	if merr != nil {
		out = []byte(fmt.Sprintf(`{"id":%s,"ok":false,"error":{"code":"EINVAL","message":%q}}`, id, merr.Error()))
	}
	return append(out, '\n')
}

func main() {
	signal.Ignore(syscall.SIGPIPE)
	ad := &adapter{socks: map[int64]*sock{}, hello: helloResult()}
	in := bufio.NewReaderSize(os.Stdin, 1<<16)
	out := bufio.NewWriterSize(os.Stdout, 1<<16)
	for {
		line, err := in.ReadBytes('\n')
		if len(strings.TrimSpace(string(line))) > 0 {
			out.Write(ad.handle(line))
			if ferr := out.Flush(); ferr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	ad.closeAll()
	os.Exit(0)
}
