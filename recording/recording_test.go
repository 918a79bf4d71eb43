package recording

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gamedaylab/gameday/bus"
	"github.com/gamedaylab/gameday/sources"
)

func testKinds() bus.Kinds {
	ks := bus.Kinds{}
	for _, k := range []bus.Kind{
		bus.KindOf[sources.ErrorMsg]("error", bus.Keep),
		bus.KindOf[sources.LogsMsg]("logs", bus.Keep),
	} {
		ks[k.Name] = k
	}
	return ks
}

func write(t *testing.T, path string, n int, flushEvery int) *Writer {
	t.Helper()
	w, err := Create(path, Header{Gameday: "test", Context: "kind-a", Start: time.Unix(1000, 0).UTC()}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		e := bus.Envelope{Seq: uint64(i + 1), Time: time.Unix(1000+int64(i), 0).UTC(), Kind: "error",
			Payload: sources.ErrorMsg{Source: "s", Err: strings.Repeat("x", i%50)}}
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
		if flushEvery > 0 && (i+1)%flushEvery == 0 {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	return w
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.gdr")
	w := write(t, path, 100, 0)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := Read(path, testKinds())
	if err != nil {
		t.Fatal(err)
	}
	if r.Header.Context != "kind-a" || r.Header.Schema != Schema || r.Truncated != "" || len(r.Events) != 100 {
		t.Fatalf("header %+v truncated %q events %d", r.Header, r.Truncated, len(r.Events))
	}
	if e := r.Events[42]; e.Seq != 43 || e.Payload.(sources.ErrorMsg).Err != strings.Repeat("x", 42) {
		t.Fatalf("event 42: %+v", e)
	}
}

// A crash leaves a zstd frame without its end and perhaps half a block: what was flushed replays.
func TestTruncatedReplaysUpToTheLastFlush(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.gdr")
	w := write(t, path, 100, 10) // flushed after every tenth: a crash at any point keeps the flushed
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_ = w // never closed: the process "died"
	r, err := Decode(bytes.NewReader(b), testKinds())
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Events) != 100 {
		t.Fatalf("unclosed file: %d events, want the 100 flushed (truncated %q)", len(r.Events), r.Truncated)
	}
	// Cut in the middle of the last block: the blocks before it still decode.
	cut := b[:len(b)-7]
	r, err = Decode(bytes.NewReader(cut), testKinds())
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Events) < 80 || len(r.Events) >= 100 || r.Truncated == "" {
		t.Fatalf("cut file: %d events, truncated %q; want 80..99 and a reason", len(r.Events), r.Truncated)
	}
}

func TestSchemaErrorsNameBothVersions(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{`{"format":"gameday-recording","schema":9,"gameday":"v9.0.0"}`, "schema 9 was written by a newer gameday (v9.0.0); this one (schema 1)"},
		{`{"format":"gameday-recording","schema":0}`, "schema 0 is not a schema"},
		{`{"seq":1}`, "not a gameday recording"},
		{``, "empty file"},
	} {
		in := tc.line
		if in != "" {
			in += "\n"
		}
		_, err := Decode(strings.NewReader(in), testKinds())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.line, err, tc.want)
		}
	}
}

func TestUnknownKindsAreSkipped(t *testing.T) {
	in := `{"format":"gameday-recording","schema":1}
{"seq":1,"time":"2026-01-01T00:00:00Z","kind":"hologram","payload":{}}
{"seq":2,"time":"2026-01-01T00:00:00Z","kind":"error","payload":{"Source":"a"}}
`
	r, err := Decode(strings.NewReader(in), testKinds())
	if err != nil || r.Skipped != 1 || len(r.Events) != 1 || r.Truncated != "" {
		t.Fatalf("err %v skipped %d events %d truncated %q", err, r.Skipped, len(r.Events), r.Truncated)
	}
}

func TestSizeCap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.gdr")
	w, err := Create(path, Header{}, 2000)
	if err != nil {
		t.Fatal(err)
	}
	var capErr error
	for i := range 5000 {
		err := w.Write(bus.Envelope{Seq: uint64(i), Kind: "error", Payload: sources.ErrorMsg{Err: strings.Repeat("y", i%97) + time.Duration(i).String()}})
		if err != nil {
			capErr = err
			break
		}
		_ = w.Flush()
	}
	if capErr == nil || !strings.Contains(capErr.Error(), "size cap reached") || !strings.Contains(capErr.Error(), "--no-record") {
		t.Fatalf("cap: %v", capErr)
	}
	_ = w.Close()
	if r, err := Read(path, testKinds()); err != nil || r.Truncated != "" || len(r.Events) == 0 {
		t.Fatalf("a capped file reads cleanly: %v %+v", err, r)
	}
}

func TestScrubMasksCredentials(t *testing.T) {
	for in, leak := range map[string]string{
		`Get "https://admin:hunter2@es.example:9200/_search": EOF`: "hunter2",
		`header Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.abc`:    "eyJhbGciOiJSUzI1NiJ9",
		`{"Err":"token=s3cr3tvalue&x=1"}`:                          "s3cr3tvalue",
		`{"Err":"api_key: \"AKIAXYZ123\""}`:                        "AKIAXYZ123",
		`password=pa55`:                                            "pa55",
		// a word across the 4 KiB chunks the trigger search reads
		strings.Repeat("x", 4090) + ` PASSWORD=acrosschunks`:                     "acrosschunks",
		strings.Repeat("y", 8185) + ` Authorization: Basic dXNlcjpwYXNzd29yZA==`: "dXNlcjpwYXNzd29yZA",
	} {
		out := string(Scrub([]byte(in)))
		if strings.Contains(out, leak) {
			t.Errorf("%s -> %s: still has %q", in, out, leak)
		}
	}
	plain := `{"Msg":"GET /api/items 200 at 12:00:01","Pod":"web-1"}`
	if got := string(Scrub([]byte(plain))); got != plain {
		t.Errorf("plain text changed: %s", got)
	}
}

// FuzzDecode: no input makes the decoder panic (make fuzz runs it for 10^6 executions).
func FuzzDecode(f *testing.F) {
	var buf bytes.Buffer
	path := filepath.Join(f.TempDir(), "seed.gdr")
	w, err := Create(path, Header{Gameday: "seed"}, 0)
	if err != nil {
		f.Fatal(err)
	}
	_ = w.Write(bus.Envelope{Seq: 1, Kind: "logs", Payload: sources.LogsMsg{Lines: []sources.LogLine{{Msg: "hello", Level: "error"}}}})
	_ = w.Close()
	b, _ := os.ReadFile(path)
	f.Add(b)
	buf.WriteString(`{"format":"gameday-recording","schema":1}` + "\n" + `{"seq":1,"kind":"logs","payload":{"Lines":[{"Msg":"a"}]}}` + "\n")
	f.Add(buf.Bytes())
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0})
	kinds := testKinds()
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Decode(bytes.NewReader(data), kinds)
		if err == nil && r == nil {
			t.Fatal("nil recording without an error")
		}
	})
}

// TestAnEventThatCannotBeEncodedIsDroppedNotTheRecording (issue 29): a NaN in one event ended the
// recording; the rest of the session was missing. Now that event is dropped and counted, the first
// drop is said, and every later event is in the file.
func TestAnEventThatCannotBeEncodedIsDroppedNotTheRecording(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.gdr")
	w, err := Create(path, Header{Gameday: "test"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	ks := testKinds()
	ks["metrics"] = bus.KindOf[sources.MetricsMsg]("metrics", bus.Keep)
	nan := bus.Envelope{Seq: 1, Kind: "metrics", Payload: sources.MetricsMsg{Series: []sources.Series{{Points: []sources.Point{{V: math.NaN()}}}}}}
	if err := w.Write(nan); !errors.Is(err, ErrDropped) {
		t.Fatalf("the first event that cannot be encoded: %v, want ErrDropped", err)
	}
	if err := w.Write(nan); err != nil {
		t.Fatalf("the second is counted without a word: %v", err)
	}
	for i := range 20 {
		if err := w.Write(bus.Envelope{Seq: uint64(i + 3), Kind: "error", Payload: sources.ErrorMsg{Source: "s", Err: "after"}}); err != nil {
			t.Fatal(err)
		}
	}
	st := w.Stats()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := Read(path, ks)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Events) != 20 || st.Dropped != 2 || st.Events != 20 || !strings.Contains(st.Incomplete(), "2 events could not be encoded") {
		t.Fatalf("%d events read, stats %+v (%q)", len(r.Events), st, st.Incomplete())
	}
}

// TestAWriteFailureSaysWhen: a file that stops taking bytes (here: closed under the writer, as a
// full disk or a lost mount would) fails the flush, and the stats say from when.
func TestAWriteFailureSaysWhen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.gdr")
	w := write(t, path, 5, 0)
	_ = w.f.Close()
	for i := range 100 { // more than a zstd block, so the encoder writes to the file
		_ = w.Write(bus.Envelope{Seq: uint64(i), Kind: "error", Payload: sources.ErrorMsg{Source: "s", Err: strings.Repeat("y", 2000) + strconv.Itoa(i)}})
	}
	err := w.Flush()
	st := w.Stats()
	if err == nil || st.Err == "" || st.FailedAt.IsZero() || !strings.HasPrefix(st.Incomplete(), "recording incomplete from ") {
		t.Fatalf("flush: %v, stats %+v", err, st)
	}
}
