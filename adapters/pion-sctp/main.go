// Command sockspec-pion-sctp is the sockspec adapter for Pion's SCTP (github.com/pion/sctp),
// protocol 1.8, feature `sctp` only (docs/protocol.md "SCTP (1.6)"): nothing of 1.7 (no
// UDP, TCP or multicast here) and nothing of 1.8, whose association parameters Pion neither
// lets its users set nor reports (README.md).
//
// Pion's SCTP runs an association over any net.Conn; here, over a UDP socket on loopback:
// SCTP packets inside UDP datagrams, as RFC 6951 describes it, which is how it talks to the
// reference's usrsctp. Every listener and every connecting association has a UDP socket of
// its own, whose port is its encapsulation port.
//
// Pion's associations always use SCTP port 5000 at both ends (the WebRTC default; the
// library has no setting for it). So that it can talk to a stack with real port numbers,
// the adapter maps the ports of each packet at the UDP boundary (portconn.go): outgoing
// packets get the association's ports, incoming ones 5000, and the CRC32c is recomputed
// only for a packet whose checksum was right (a wrong one stays wrong).
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
)

const protocolVersion = "1.8"

type result = map[string]any

type opError struct {
	code     string
	message  string
	supplied bool // the library gave no errno: the adapter chose the name (protocol 1.3)
}

func (e *opError) Error() string { return e.code + ": " + e.message }

func fail(code, format string, a ...any) error {
	return &opError{code: code, message: fmt.Sprintf(format, a...)}
}

func supplied(code, format string, a ...any) error {
	return &opError{code: code, message: fmt.Sprintf(format, a...), supplied: true}
}

func badRequest(format string, a ...any) error { return fail("BADREQUEST", format, a...) }

type request struct {
	ID   json.RawMessage `json:"id"`
	Op   string          `json:"op"`
	Args json.RawMessage `json:"args"`
}

func pionVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == "github.com/pion/sctp" {
				return dep.Version
			}
		}
	}
	return "unknown"
}

func main() {
	ad := newAdapter()
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriter(os.Stdout)
	for {
		line, err := in.ReadBytes('\n')
		if len(line) > 0 {
			out.Write(ad.handle(line))
			out.WriteByte('\n')
			out.Flush()
		}
		if err != nil {
			ad.closeAll()
			return
		}
	}
}

func (ad *adapter) handle(line []byte) []byte {
	var req request
	id := json.RawMessage("null")
	res, err := func() (result, error) {
		if e := json.Unmarshal(line, &req); e != nil {
			return nil, badRequest("not a JSON request: %v", e)
		}
		if len(req.ID) > 0 {
			id = req.ID
		}
		var a map[string]any
		if len(req.Args) > 0 && string(req.Args) != "null" {
			if e := json.Unmarshal(req.Args, &a); e != nil {
				return nil, badRequest("args must be an object")
			}
		}
		h, ok := operations[req.Op]
		if !ok {
			return nil, fail("UNSUPPORTED", "unknown operation %q", req.Op)
		}
		return h(ad, args(a))
	}()
	var response map[string]any
	if err != nil {
		e, ok := err.(*opError)
		if !ok {
			e = &opError{code: "EIO", message: err.Error(), supplied: true}
		}
		body := map[string]any{"code": e.code, "message": e.message}
		if e.supplied {
			body["supplied"] = true
		}
		response = map[string]any{"id": id, "ok": false, "error": body}
	} else {
		response = map[string]any{"id": id, "ok": true, "result": res}
	}
	encoded, _ := json.Marshal(response)
	return encoded
}

var operations = map[string]func(*adapter, args) (result, error){
	"hello":         (*adapter).opHello,
	"reset":         (*adapter).opReset,
	"close":         (*adapter).opClose,
	"sctp.stack":    (*adapter).opStack,
	"sctp.listen":   (*adapter).opListen,
	"sctp.connect":  (*adapter).opConnect,
	"sctp.accept":   (*adapter).opAccept,
	"sctp.send":     (*adapter).opSend,
	"sctp.recv":     (*adapter).opRecv,
	"sctp.shutdown": (*adapter).opShutdown,
	"sctp.abort":    (*adapter).opAbort,
}

func (ad *adapter) opHello(a args) (result, error) {
	return result{
		"protocol":       protocolVersion,
		"implementation": "pion-sctp",
		"version":        fmt.Sprintf("pion/sctp %s (%s)", pionVersion(), runtime.Version()),
		"language":       "go",
		"features":       []string{"sctp", "ipv4", "ipv6"},
	}, nil
}

func (ad *adapter) opReset(a args) (result, error) {
	ad.closeAll()
	return result{}, nil
}

func (ad *adapter) opStack(a args) (result, error) {
	// No stack-wide port: each listener and association has its own UDP socket.
	return result{"stack": "pion", "version": pionVersion(), "encaps_port": nil}, nil
}
