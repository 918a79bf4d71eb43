// Package recording is the file a session is recorded to and replayed from: a header line, then one
// bus envelope per line, JSON, compressed with zstd as it is written and flushed once a second, so a
// crash loses at most the last second. The format is documented in docs/RECORDING.md.
package recording

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/gamedaylab/gameday/bus"
	"github.com/gamedaylab/gameday/sources"
)

// Format names the file in its header line.
const Format = "gameday-recording"

// Schema is the version of the format this build writes and the newest it reads.
const Schema = 1

// Header is the recording's first line: what was recorded, by which gameday, where and when.
type Header struct {
	Format  string `json:"format"`
	Schema  int    `json:"schema"`
	Gameday string `json:"gameday"`
	// Context, Namespace and Target are where the session pointed at its start.
	Context   string `json:"context,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Target    string `json:"target,omitempty"`
	// User is the kubeconfig user entry's name (never its credentials), or the OS user in the demo.
	User  string    `json:"user,omitempty"`
	Demo  bool      `json:"demo,omitempty"`
	Start time.Time `json:"start"`
	// Panels are the metrics panels the cockpit drew; Metrics, Traces and Logs name the backends.
	Panels  []sources.Panel `json:"panels,omitempty"`
	Metrics string          `json:"metrics,omitempty"`
	Traces  string          `json:"traces,omitempty"`
	Logs    string          `json:"logs,omitempty"`
	// Scenario is the experiment file a headless or --scenario run executed.
	Scenario string `json:"scenario,omitempty"`
}

// ErrNotRecording is wrapped by Read and Decode when the file is something else (a journal, YAML).
var ErrNotRecording = errors.New("not a gameday recording")

// ErrFull is returned by Write once the size cap is reached: the recording stops there.
var ErrFull = errors.New("recording: size cap reached")

// ErrDropped is returned by Write for the first event that cannot be encoded: it is dropped and
// counted, and the recording goes on (later ones are counted without a word).
var ErrDropped = errors.New("recording: an event could not be encoded and was dropped")

// Writer writes a recording. Write and Flush may be called from different goroutines.
type Writer struct {
	mu     sync.Mutex
	path   string
	f      *os.File
	count  *countingWriter
	z      *zstd.Encoder
	line   bytes.Buffer
	max    int64
	raw    int64
	events int64
	full   bool
	err    error
	// dropped counts events that could not be encoded; failedAt is when writing to the file failed
	// (nothing after it is in the file).
	dropped  int64
	failedAt time.Time
}

// countingWriter counts the compressed bytes that reached the file.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Create starts a recording at path (its directory is made) with header h; max caps the compressed
// size in bytes (0: no cap).
func Create(path string, h Header, max int64) (*Writer, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	cw := &countingWriter{w: f}
	// The fastest level: a recording is written while the cockpit runs on one core.
	// A 1 MiB window and the lower-memory encoder: the recorder's memory is the cockpit's memory.
	z, err := zstd.NewWriter(cw, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1),
		zstd.WithWindowSize(1<<20), zstd.WithLowerEncoderMem(true))
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("recording: %w", err)
	}
	w := &Writer{path: path, f: f, count: cw, z: z, max: max}
	h.Format, h.Schema = Format, Schema
	if err := w.writeLine(h); err != nil {
		_ = w.Close()
		return nil, err
	}
	if err := w.Flush(); err != nil {
		_ = w.Close()
		return nil, err
	}
	return w, nil
}

// Path is the file.
func (w *Writer) Path() string { return w.path }

// Write appends one envelope. After the cap it returns ErrFull (once; later calls do nothing).
func (w *Writer) Write(e bus.Envelope) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.full || w.err != nil {
		return nil
	}
	if w.max > 0 && w.count.n >= w.max {
		w.full = true
		_ = w.z.Flush()
		return fmt.Errorf("%w (%s after %d events): the rest of this session is not recorded; raise --record-max or pass --no-record", ErrFull, Size(w.count.n), w.events)
	}
	if err := w.writeLine(e); err != nil {
		var ee encodeError
		if errors.As(err, &ee) {
			w.dropped++
			if w.dropped == 1 {
				return fmt.Errorf("%w (a %s event: %v); the recording goes on, the dropped ones are counted", ErrDropped, e.Kind, ee.err)
			}
			return nil
		}
		w.fail(err)
		return err
	}
	w.events++
	return nil
}

// encodeError is an event JSON cannot hold (a NaN): that event is lost, not the recording.
type encodeError struct{ err error }

func (e encodeError) Error() string { return "recording: encode: " + e.err.Error() }

// fail marks the file as failed from now on.
func (w *Writer) fail(err error) {
	if w.err == nil {
		w.err, w.failedAt = err, time.Now()
	}
}

func (w *Writer) writeLine(v any) error {
	w.line.Reset()
	enc := json.NewEncoder(&w.line)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return encodeError{err}
	}
	b := Scrub(w.line.Bytes())
	w.raw += int64(len(b))
	if _, err := w.z.Write(b); err != nil {
		return fmt.Errorf("recording: write %s: %w", w.path, err)
	}
	if w.line.Cap() > 1<<20 {
		w.line = bytes.Buffer{} // a first large delta must not keep its buffer for the whole session
	}
	return nil
}

// Flush hands what was written to the file (a complete zstd block): a crash after it loses nothing
// written before it.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if err := w.z.Flush(); err != nil {
		w.fail(fmt.Errorf("recording: write %s: %w", w.path, err))
	}
	return w.err
}

// Stats are the recording's size so far.
type Stats struct {
	Events     int64
	Bytes      int64 // compressed, on disk
	Raw        int64 // the JSON before compression
	Full       bool
	Path       string
	StartedErr string `json:",omitempty"`
	// Dropped events could not be encoded; Err is why writing stopped at FailedAt (the file holds
	// nothing after it).
	Dropped  int64     `json:",omitempty"`
	Err      string    `json:",omitempty"`
	FailedAt time.Time `json:",omitzero"`
}

// Incomplete says what the recording lacks ("" when nothing): "recording incomplete from 14:02:11:
// write ...: no space left on device", or a count of dropped events.
func (s Stats) Incomplete() string {
	var parts []string
	if s.Err != "" {
		parts = append(parts, fmt.Sprintf("recording incomplete from %s: %s", s.FailedAt.Format("15:04:05"), s.Err))
	}
	if s.Dropped > 0 {
		parts = append(parts, fmt.Sprintf("%d events could not be encoded and were dropped", s.Dropped))
	}
	return strings.Join(parts, "; ")
}

// Stats says how much was written.
func (w *Writer) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	st := Stats{Events: w.events, Bytes: w.count.n, Raw: w.raw, Full: w.full, Path: w.path, Dropped: w.dropped, FailedAt: w.failedAt}
	if w.err != nil {
		st.Err = w.err.Error()
	}
	return st
}

// Close ends the zstd frame and the file.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	err := w.z.Close()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("recording: close %s: %w", w.path, err)
	}
	return nil
}

// Size prints a byte count for people.
func Size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// Credentials that could reach an event's text (an error quoting a URL, a header echoed by a server)
// never reach the file: URL user info, bearer / basic tokens and key=value secrets are masked.
var (
	userinfo = regexp.MustCompile(`(://)[^/\s"@:]+:[^/\s"@]*@`)
	bearer   = regexp.MustCompile(`(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{8,}`)
	keyValue = regexp.MustCompile(`(?i)\b(password|passwd|token|api[_-]?key|secret|authorization)(\\?"?\s*[:=]\s*\\?"?)[^\s"\\&,]+`)
)

// secretWords are what keyValue and bearer start with: a line holding none of them (most lines, and
// every large cluster delta) skips those expressions, which cost ~25 ms per MiB.
var secretWords = [][]byte{[]byte("password"), []byte("passwd"), []byte("token"), []byte("apikey"), []byte("api_key"), []byte("api-key"), []byte("secret"),
	[]byte("authorization"), []byte("bearer"), []byte("basic")}

// Scrub masks credentials in one encoded line.
func Scrub(b []byte) []byte {
	if bytes.Contains(b, []byte("://")) && bytes.IndexByte(b, '@') >= 0 {
		b = userinfo.ReplaceAll(b, []byte("${1}***@"))
	}
	if hasSecretWord(b) {
		b = bearer.ReplaceAll(b, []byte("${1}${2}***"))
		b = keyValue.ReplaceAll(b, []byte("${1}${2}***"))
	}
	return b
}

// hasSecretWord looks for secretWords in any case, a chunk at a time: a lower-cased copy of a whole
// large line raised the cockpit's peak memory.
func hasSecretWord(b []byte) bool {
	const chunk, overlap = 4096, 16 // overlap: longer than the longest word
	var buf [chunk + overlap]byte
	for start := 0; start < len(b); start += chunk {
		part := b[start:min(start+chunk+overlap, len(b))]
		lower := buf[:len(part)]
		for i, c := range part {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			lower[i] = c
		}
		for _, w := range secretWords {
			if bytes.Contains(lower, w) {
				return true
			}
		}
	}
	return false
}

// Recording is a file read back.
type Recording struct {
	Path   string
	Header Header
	Events []bus.Envelope
	// Truncated says why reading stopped before a clean end (a crash, a cut copy); the events before
	// it are all there.
	Truncated string
	// Skipped counts envelopes of kinds this build does not know (from a newer build).
	Skipped int
}

// Read reads the recording at path, typing payloads with kinds.
func Read(path string, kinds bus.Kinds) (*Recording, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	defer f.Close()
	r, err := Decode(f, kinds)
	if err != nil {
		return nil, fmt.Errorf("recording %s: %w", path, err)
	}
	r.Path = path
	return r, nil
}

// Decode reads a recording from r: zstd-compressed (as written) or plain JSON lines.
func Decode(r io.Reader, kinds bus.Kinds) (*Recording, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	magic, _ := br.Peek(4)
	var in io.Reader = br
	if bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}) {
		z, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30))
		if err != nil {
			return nil, err
		}
		defer z.Close()
		in = z
	}
	return decodeLines(in, kinds)
}

func decodeLines(in io.Reader, kinds bus.Kinds) (*Recording, error) {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 1<<16), 256<<20)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%w (%v)", ErrNotRecording, err)
		}
		return nil, fmt.Errorf("empty file: %w", ErrNotRecording)
	}
	var h Header
	if err := json.Unmarshal(sc.Bytes(), &h); err != nil || h.Format != Format {
		return nil, fmt.Errorf("%w (its first line is not a gameday-recording header)", ErrNotRecording)
	}
	switch {
	case h.Schema > Schema:
		return nil, fmt.Errorf("schema %d was written by a newer gameday (%s); this one (schema %d) cannot replay it: upgrade gameday", h.Schema, h.Gameday, Schema)
	case h.Schema < 1:
		return nil, fmt.Errorf("schema %d is not a schema gameday ever wrote (this one reads 1 to %d)", h.Schema, Schema)
	}
	rec := &Recording{Header: h}
	line := 1
	for sc.Scan() {
		line++
		e, err := kinds.Decode(sc.Bytes())
		if err != nil {
			if kindUnknown(sc.Bytes(), kinds) {
				rec.Skipped++
				continue
			}
			rec.Truncated = fmt.Sprintf("line %d: %v", line, err)
			return rec, nil
		}
		rec.Events = append(rec.Events, e)
	}
	if err := sc.Err(); err != nil {
		rec.Truncated = fmt.Sprintf("after line %d: %v", line, err)
	}
	return rec, nil
}

// kindUnknown reports whether a line is a whole envelope of a kind kinds does not have.
func kindUnknown(b []byte, kinds bus.Kinds) bool {
	var k struct {
		Kind string `json:"kind"`
	}
	if json.Unmarshal(b, &k) != nil || k.Kind == "" {
		return false
	}
	_, ok := kinds[k.Kind]
	return !ok
}
