package main

import (
	"encoding/binary"
	"hash/crc32"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// pionPort is the SCTP port Pion puts in every packet, at both ends.
const pionPort = 5000

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func checksum(packet []byte) uint32 {
	crc := crc32.Update(0, castagnoli, packet[:8])
	crc = crc32.Update(crc, castagnoli, []byte{0, 0, 0, 0})
	return crc32.Update(crc, castagnoli, packet[12:])
}

// withPorts is a copy of an SCTP packet with other ports; its CRC32c is recomputed when the
// original's was right, and left wrong (recomputed, then inverted) when it was not.
func withPorts(packet []byte, source, destination uint16) []byte {
	out := append([]byte(nil), packet...)
	right := binary.LittleEndian.Uint32(packet[8:]) == checksum(packet)
	binary.BigEndian.PutUint16(out[0:], source)
	binary.BigEndian.PutUint16(out[2:], destination)
	sum := checksum(out)
	if !right {
		sum = ^sum
	}
	binary.LittleEndian.PutUint32(out[8:], sum)
	return out
}

// portConn is the net.Conn a Pion association runs over: datagrams to and from one peer's
// UDP address, with the SCTP ports mapped (see main.go).
type portConn struct {
	local, peer   uint16 // SCTP ports on the wire
	send          func([]byte) (int, error)
	localAddr     net.Addr
	remoteAddr    net.Addr
	in            chan []byte
	closed        chan struct{}
	closeOnce     sync.Once
	onClose       func()
	sawAbort      atomic.Bool // an ABORT chunk arrived (Pion does not say why an association ended)
	deadlineMu    sync.Mutex
	readDeadline  time.Time
	writeDeadline time.Time
}

func newPortConn(local, peer uint16, send func([]byte) (int, error), localAddr, remoteAddr net.Addr) *portConn {
	return &portConn{local: local, peer: peer, send: send, localAddr: localAddr, remoteAddr: remoteAddr,
		in: make(chan []byte, 1024), closed: make(chan struct{})}
}

// deliver hands Pion a datagram from the peer.
func (c *portConn) deliver(packet []byte) {
	if len(packet) < 12 {
		return
	}
	for offset := 12; offset+4 <= len(packet); {
		if packet[offset] == 6 { // ABORT
			c.sawAbort.Store(true)
		}
		length := int(binary.BigEndian.Uint16(packet[offset+2:]))
		if length < 4 {
			break
		}
		offset += (length + 3) &^ 3
	}
	select {
	case c.in <- withPorts(packet, pionPort, pionPort):
	case <-c.closed:
	default: // a full queue drops, as a network would
	}
}

func (c *portConn) Read(b []byte) (int, error) {
	c.deadlineMu.Lock()
	deadline := c.readDeadline
	c.deadlineMu.Unlock()
	var timer <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		timer = t.C
	}
	select {
	case packet := <-c.in:
		return copy(b, packet), nil
	case <-c.closed:
		return 0, net.ErrClosed
	case <-timer:
		return 0, os.ErrDeadlineExceeded
	}
}

func (c *portConn) Write(b []byte) (int, error) {
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	default:
	}
	if len(b) < 12 {
		return c.send(b)
	}
	if _, err := c.send(withPorts(b, c.local, c.peer)); err != nil {
		return 0, err
	}
	return len(b), nil
}

func (c *portConn) Close() error {
	c.closeOnce.Do(func() {
		close(c.closed)
		if c.onClose != nil {
			c.onClose()
		}
	})
	return nil
}

func (c *portConn) LocalAddr() net.Addr  { return c.localAddr }
func (c *portConn) RemoteAddr() net.Addr { return c.remoteAddr }

func (c *portConn) SetDeadline(t time.Time) error {
	c.SetReadDeadline(t)
	return c.SetWriteDeadline(t)
}

func (c *portConn) SetReadDeadline(t time.Time) error {
	c.deadlineMu.Lock()
	c.readDeadline = t
	c.deadlineMu.Unlock()
	return nil
}

func (c *portConn) SetWriteDeadline(t time.Time) error {
	c.deadlineMu.Lock()
	c.writeDeadline = t
	c.deadlineMu.Unlock()
	return nil
}
