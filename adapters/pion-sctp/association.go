package main

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/pion/sctp"
)

type message struct {
	data   []byte
	stream uint16
	ppid   uint32
	end    bool // the association is over: no more messages
}

type association struct {
	assoc   *sctp.Association
	conn    *portConn
	local   map[string]any
	peer    map[string]any
	udp     *net.UDPConn
	mu      sync.Mutex
	streams map[uint16]*sctp.Stream
	readers sync.WaitGroup
	queue   chan message
	pending *message // the rest of a message longer than a read's max
	ended   bool
	once    sync.Once
}

func newAssociation(assoc *sctp.Association, conn *portConn, local, peer map[string]any, udp *net.UDPConn) *association {
	as := &association{assoc: assoc, conn: conn, local: local, peer: peer, udp: udp,
		streams: map[uint16]*sctp.Stream{}, queue: make(chan message, 4096)}
	go as.acceptStreams()
	return as
}

// acceptStreams starts a reader for each stream the peer opens; when the association ends,
// it waits for every reader to hand on what was delivered, then queues the end.
func (as *association) acceptStreams() {
	for {
		s, err := as.assoc.AcceptStream()
		if err != nil {
			break
		}
		as.adopt(s)
	}
	as.readers.Wait()
	as.queue <- message{end: true}
}

func (as *association) adopt(s *sctp.Stream) *sctp.Stream {
	as.mu.Lock()
	defer as.mu.Unlock()
	if known, ok := as.streams[s.StreamIdentifier()]; ok {
		return known
	}
	as.streams[s.StreamIdentifier()] = s
	as.readers.Add(1)
	go func() {
		defer as.readers.Done()
		buf := make([]byte, 1<<20)
		for {
			n, ppid, err := s.ReadSCTP(buf)
			if err != nil {
				return
			}
			as.queue <- message{data: append([]byte(nil), buf[:n]...), stream: s.StreamIdentifier(), ppid: uint32(ppid)}
		}
	}()
	return s
}

func (as *association) stream(id uint16, ppid uint32) (*sctp.Stream, error) {
	as.mu.Lock()
	s, ok := as.streams[id]
	as.mu.Unlock()
	if ok {
		return s, nil
	}
	s, err := as.assoc.OpenStream(id, sctp.PayloadProtocolIdentifier(ppid))
	if err != nil {
		return nil, err
	}
	return as.adopt(s), nil
}

func (as *association) endError() error {
	if as.conn.sawAbort.Load() {
		return supplied("ECONNRESET", "the peer aborted the association")
	}
	return supplied("EPIPE", "the association is shut down")
}

func (ad *adapter) opSend(a args) (result, error) {
	_, as, err := ad.association(a)
	if err != nil {
		return nil, err
	}
	data, err := a.data()
	if err != nil {
		return nil, err
	}
	stream, err := a.integer("stream", 0, false)
	if err != nil {
		return nil, err
	}
	ppid, err := a.integer("ppid", 0, false)
	if err != nil {
		return nil, err
	}
	unordered, err := a.boolean("unordered")
	if err != nil {
		return nil, err
	}
	if stream < 0 || stream > 65535 || ppid < 0 || ppid > 0xFFFFFFFF {
		return nil, fail("EINVAL", "stream is 0..65535 and ppid 0..2^32-1")
	}
	s, e := as.stream(uint16(stream), uint32(ppid))
	if e != nil {
		return nil, as.endError()
	}
	s.SetReliabilityParams(unordered, sctp.ReliabilityTypeReliable, 0)
	n, e := s.WriteSCTP(data, sctp.PayloadProtocolIdentifier(ppid))
	if e != nil {
		return nil, as.endError()
	}
	return result{"sent": n}, nil
}

func (ad *adapter) opRecv(a args) (result, error) {
	_, as, err := ad.association(a)
	if err != nil {
		return nil, err
	}
	max, err := a.integer("max", 0, true)
	if err != nil {
		return nil, err
	}
	if max < 1 {
		return nil, badRequest("max must be >= 1")
	}
	timeout, err := a.timeout()
	if err != nil {
		return nil, err
	}
	var m message
	if as.pending != nil {
		m, as.pending = *as.pending, nil
	} else if as.ended {
		m = message{end: true}
	} else {
		select {
		case m = <-as.queue:
		case <-time.After(timeout):
			return nil, fail("ETIMEDOUT", "recv: timed out")
		}
	}
	if m.end {
		as.ended = true
		if as.conn.sawAbort.Load() {
			return nil, supplied("ECONNRESET", "recv: the peer aborted the association")
		}
		return result{"data": "", "stream": 0, "ppid": 0, "flags": []string{}}, nil
	}
	flags := []string{"eor"} // Pion hands over whole messages; it does not say whether one was unordered
	if int64(len(m.data)) > max {
		rest := m
		rest.data = m.data[max:]
		as.pending = &rest
		m.data, flags = m.data[:max], []string{}
	}
	return result{"data": encode(m.data), "stream": m.stream, "ppid": m.ppid, "flags": flags}, nil
}

func (ad *adapter) opShutdown(a args) (result, error) {
	_, as, err := ad.association(a)
	if err != nil {
		return nil, err
	}
	go as.shutdown(10 * time.Second)
	return result{}, nil
}

func (as *association) shutdown(wait time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := as.assoc.Shutdown(ctx); err != nil && !errors.Is(err, io.EOF) {
		as.assoc.Abort("shutdown did not complete")
	}
}

func (ad *adapter) opAbort(a args) (result, error) {
	h, as, err := ad.association(a)
	if err != nil {
		return nil, err
	}
	ad.forget(h)
	as.assoc.Abort("sockspec abort")
	as.release()
	return result{}, nil
}

// close is a graceful close: SHUTDOWN, then the association's resources.
func (as *association) close() {
	go func() {
		as.shutdown(5 * time.Second)
		as.release()
	}()
}

func (as *association) release() {
	as.once.Do(func() {
		as.assoc.Close()
		as.conn.Close()
	})
}
