package kube

import (
	"bytes"
	"context"
	"io"
	"net"
	"testing"
	"time"
)

// pacedPair dials a loopback listener through the pacer; it returns the paced client side and the
// server side.
func pacedPair(t *testing.T, p *Pacer) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = p.Dial(nil)(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// countingReads reads everything until EOF, counting the Read calls that returned data.
func countingReads(c net.Conn, buf []byte) (data []byte, reads int) {
	for {
		n, err := c.Read(buf)
		if n > 0 {
			reads++
			data = append(data, buf[:n]...)
		}
		if err != nil {
			return data, reads
		}
	}
}

// A trickle of small messages (a watch under churn) is read in bursts once the pacer is started,
// and not before; nothing is lost either way.
func TestPacerBatchesATrickle(t *testing.T) {
	for _, started := range []bool{false, true} {
		p := NewPacer(50 * time.Millisecond)
		if started {
			p.Start()
		}
		client, server := pacedPair(t, p)
		var sent []byte
		go func() {
			for i := 0; i < 60; i++ { // 60 messages, 5 ms apart: 300 ms
				msg := bytes.Repeat([]byte{byte('a' + i%26)}, 100)
				sent = append(sent, msg...)
				_, _ = server.Write(msg)
				time.Sleep(5 * time.Millisecond)
			}
			server.Close()
		}()
		start := time.Now()
		got, reads := countingReads(client, make([]byte, 32<<10))
		elapsed := time.Since(start)
		if !bytes.Equal(got, sent) {
			t.Fatalf("started=%v: got %d bytes, sent %d (or different)", started, len(got), len(sent))
		}
		// Paced, there is at most one read per interval (plus the first and the EOF). The bound follows
		// the elapsed time, so a slow machine that stretches the 300 ms does not fail the test.
		paced := int(elapsed/(50*time.Millisecond)) + 2
		switch {
		case started && reads > paced:
			t.Errorf("paced: %d reads in %v; want at most %d", reads, elapsed, paced)
		case !started && reads <= paced+paced/2:
			t.Errorf("not started: %d reads in %v, as few as paced ones; pacing must wait for Start", reads, elapsed)
		}
		t.Logf("started=%v: %d reads in %v", started, reads, elapsed)
	}
}

// A bulk transfer (a list, a relist) is not slowed down: it takes about as long through a started
// pacer as through one that is not started.
func TestPacerDoesNotSlowABulkTransfer(t *testing.T) {
	const size = 32 << 20
	transfer := func(started bool) time.Duration {
		p := NewPacer(50 * time.Millisecond)
		if started {
			p.Start()
		}
		client, server := pacedPair(t, p)
		go func() {
			_, _ = io.Copy(server, io.LimitReader(zeros{}, size))
			server.Close()
		}()
		start := time.Now()
		// 16 KiB reads, like the TLS layer's; pausing at every drained read would take seconds.
		n, err := io.CopyBuffer(io.Discard, client, make([]byte, 16<<10))
		if err != nil || n != size {
			t.Fatalf("read %d bytes, %v", n, err)
		}
		return time.Since(start)
	}
	free, paced := transfer(false), transfer(true)
	t.Logf("32 MiB: %v unpaced, %v paced", free, paced)
	if paced > 3*free+300*time.Millisecond {
		t.Fatalf("32 MiB took %v through a started pacer, %v through one not started", paced, free)
	}
}

type zeros struct{}

func (zeros) Read(b []byte) (int, error) {
	clear(b)
	return len(b), nil
}
