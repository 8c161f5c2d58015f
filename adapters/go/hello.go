// The hello operation: what this adapter declares, probed once at start-up.

package main

import (
	"net"
	"runtime"

	"golang.org/x/net/icmp"
)

const protocolVersion = "1.8"

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
	features := []string{"tcp", "udp", "udp.connect", "ipv4", "tcp.bind-connect", "stream.shutdown.write",
		"stream.shutdown.read", "stream.abort", "serve.tcp", "serve.udp", "serve.unix", "serve.unixgram",
		"nonblocking", "opt.reuseaddr", "opt.reuseport", "opt.nodelay", "opt.keepalive", "opt.linger",
		"opt.rcvbuf", "opt.sndbuf", "opt.broadcast", "opt.ttl",
		// Unix-domain sockets (1.4): see unix.go and the README for what net cannot do.
		"unix.stream", "unix.dgram", "unix.seqpacket", "unix.abstract", "unix.autobind",
		"unix.socketpair", "unix.peercred", "unix.rights", "unix.credentials",
		// 1.5: flags through RawConn.Read/Write (flags.go), options through RawConn.Control
		// (options15.go); no wait, tcp.pending, tcp.connect-handle, udp.disconnect,
		// udp.reconnect or blocking: see the README.
		"flag.peek", "flag.waitall", "flag.dontwait", "flag.trunc", "flag.oob",
		"opt.rcvtimeo", "opt.sndtimeo", "opt.keepidle", "opt.keepintvl", "opt.keepcnt",
		"opt.user_timeout", "opt.cork", "opt.tos", "opt.oobinline", "opt.type", "opt.acceptconn",
		"opt.error",
		// 1.7: multicast through golang.org/x/net/ipv4 and ipv6 (multicast.go); no
		// opt.nonblock, opt.recverr or udp.errqueue: see the README.
		"multicast", "opt.multicast_loop", "opt.multicast_ttl", "opt.multicast_if",
		"opt.quickack"} // 1.7, through RawConn.Control like the 1.5 options (options15.go)
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

func (ad *adapter) opHello(a args) (result, error) { return ad.hello, nil }
