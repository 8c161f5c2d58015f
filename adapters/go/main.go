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
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

type result = map[string]any

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
	"udp.join":        (*adapter).opUDPJoin,
	"udp.leave":       (*adapter).opUDPLeave,
	"raw.open":        (*adapter).opRawOpen,
	"raw.send":        (*adapter).opRawSend,
	"raw.recv":        (*adapter).opRawRecv,
	"addr.local":      (*adapter).opAddrLocal,
	"addr.peer":       (*adapter).opAddrPeer,
	"opt.set":         (*adapter).opOptSet,
	"opt.get":         (*adapter).opOptGet,
	"serve.start":     (*adapter).opServeStart,
	"serve.stop":      (*adapter).opServeStop,
	"unix.listen":     (*adapter).opUnixListen,
	"unix.accept":     (*adapter).opUnixAccept,
	"unix.connect":    (*adapter).opUnixConnect,
	"unix.bind":       (*adapter).opUnixBind,
	"unix.socketpair": (*adapter).opUnixSocketpair,
	"unix.sendto":     (*adapter).opUnixSendto,
	"unix.recvfrom":   (*adapter).opUnixRecvfrom,
	"unix.peercred":   (*adapter).opUnixPeercred,
	"unix.unlink":     (*adapter).opUnixUnlink,
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
		e := map[string]any{"code": op.code, "message": op.message}
		if op.supplied {
			e["supplied"] = true
		}
		resp = struct {
			ID    json.RawMessage `json:"id"`
			OK    bool            `json:"ok"`
			Error map[string]any  `json:"error"`
		}{id, false, e}
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
