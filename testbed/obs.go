package testbed

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is a real Zipkin, Jaeger, OpenSearch (...) server started by the testbed scripts.
type Server struct {
	Name string // zipkin, jaeger, opensearch, ...
	URL  string
	Run  string
	t    testing.TB
}

// StartZipkin starts the real Zipkin server (in-memory storage); stopped when the test ends.
func StartZipkin(t testing.TB) *Server {
	realServer(t, "Zipkin")
	return startObs(t, "zipkin", "ZIPKIN_URL")
}

// Jaeger is a real Jaeger v2 (in-memory storage): URL is its query service, Zipkin where spans in
// Zipkin's format go.
type Jaeger struct {
	*Server
	Zipkin string
}

// StartJaeger starts a real Jaeger (built once by build-kube.sh); stopped when the test ends.
func StartJaeger(t testing.TB) *Jaeger {
	realServer(t, "Jaeger")
	s := startObs(t, "jaeger", "JAEGER_URL")
	env, err := readEnv(filepath.Join(s.Run, "env"))
	if err != nil {
		t.Fatal(err)
	}
	return &Jaeger{Server: s, Zipkin: env["JAEGER_ZIPKIN"]}
}

// StartOpenSearch starts the real Elasticsearch-API server; stopped when the test ends.
func StartOpenSearch(t testing.TB) *Server {
	realServer(t, "OpenSearch")
	return startObs(t, "opensearch", "ES_URL")
}

// StartRedis starts Debian's redis-server (the shared session store); URL is its HOST:PORT. Stopped
// when the test ends; Kill and Restart work as for the other servers.
func StartRedis(t testing.TB) *Server {
	realServer(t, "Redis")
	return startObs(t, "redis", "REDIS_ADDR")
}

var (
	osMu     sync.Mutex
	osShared *Server
	osDir    string
)

// SharedOpenSearch is one Elasticsearch-API server for the package's tests (it takes ~10 s to start);
// tests keep apart by index prefix. Stopped by Main.
func SharedOpenSearch(t testing.TB) *Server {
	realServer(t, "OpenSearch")
	t.Helper()
	osMu.Lock()
	defer osMu.Unlock()
	if osShared != nil {
		return osShared
	}
	dir, env := upShared(t, "opensearch", "opensearch-up.sh")
	osShared, osDir = &Server{Name: "opensearch", URL: env["ES_URL"], Run: dir, t: t}, dir
	return osShared
}

func stopSharedOpenSearch() {
	osMu.Lock()
	defer osMu.Unlock()
	if osShared != nil {
		_ = exec.Command(filepath.Join(Dir(), "obs-down.sh"), osDir, "opensearch").Run()
		_ = os.RemoveAll(osDir)
		osShared = nil
	}
}

func startObs(t testing.TB, name, envKey string) *Server {
	t.Helper()
	// Not t.TempDir: its parent is private (0700), and OpenSearch runs as another user when the tests
	// run as root.
	run, err := os.MkdirTemp("", "gameday-"+name+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(run) })
	out, err := exec.Command(filepath.Join(Dir(), name+"-up.sh"), run).CombinedOutput()
	if err != nil {
		t.Fatalf("testbed/%s-up.sh failed: %v\n%s", name, err, out)
	}
	env, err := readEnv(filepath.Join(run, "env"))
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Name: name, URL: env[envKey], Run: run, t: t}
	t.Cleanup(func() { _ = exec.Command(filepath.Join(Dir(), "obs-down.sh"), run, name).Run() })
	return s
}

// Kill stops the server abruptly (an outage); Restart starts it again on the same port.
func (s *Server) Kill() {
	s.t.Helper()
	killPID(s.t, filepath.Join(s.Run, s.Name+".pid"))
}

// Restart starts the server again with the same script, on the same port (the env is rewritten).
func (s *Server) Restart() {
	s.t.Helper()
	port := s.URL[strings.LastIndex(s.URL, ":")+1:]
	cmd := exec.Command(filepath.Join(Dir(), s.Name+"-up.sh"), s.Run)
	cmd.Env = append(os.Environ(), "TESTBED_PORT="+port)
	if out, err := cmd.CombinedOutput(); err != nil {
		s.t.Fatalf("restart %s: %v\n%s", s.Name, err, out)
	}
}

// Shipper indexes log lines into the Elasticsearch-API server in the shape Fluent Bit's kubernetes
// filter writes (with Merge_Log: the app's JSON fields at the top level), the way an EFK stack would.
type Shipper struct {
	URL       string
	Namespace string
	// Prefix of the daily index (default "logstash"): logstash-2026.11.27, like Fluentd.
	Prefix string
	mu     sync.Mutex
	offset int64
}

// Bulk indexes records (already in document form) and waits until they are searchable.
func (s *Shipper) Bulk(docs []map[string]any) error {
	var buf bytes.Buffer
	for _, d := range docs {
		ts, _ := d["@timestamp"].(string)
		day := time.Now().UTC().Format("2006.01.02")
		if t, err := time.Parse(time.RFC3339Nano, ts); err == nil {
			day = t.UTC().Format("2006.01.02")
		}
		prefix := s.Prefix
		if prefix == "" {
			prefix = "logstash"
		}
		fmt.Fprintf(&buf, `{"index":{"_index":"%s-%s"}}`+"\n", prefix, day)
		b, _ := json.Marshal(d)
		buf.Write(b)
		buf.WriteByte('\n')
	}
	resp, err := http.Post(s.URL+"/_bulk?refresh=true", "application/x-ndjson", &buf)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 || bytes.Contains(body, []byte(`"errors":true`)) {
		return fmt.Errorf("bulk: %s: %.300s", resp.Status, body)
	}
	return nil
}

// Doc turns one JSON line of the demo app into a Fluent Bit-shaped document.
func (s *Shipper) Doc(line, pod, container string) map[string]any {
	d := map[string]any{}
	_ = json.Unmarshal([]byte(line), &d)
	ts, _ := d["time"].(string)
	if ts == "" {
		ts = time.Now().UTC().Format(time.RFC3339Nano)
	}
	d["@timestamp"] = ts
	d["log"] = line
	if lv, ok := d["level"].(string); ok {
		d["level"] = strings.ToLower(lv)
	}
	d["kubernetes"] = map[string]any{"namespace_name": s.Namespace, "pod_name": pod, "container_name": container,
		"labels": map[string]any{"app": container}, "host": "kwok-node"}
	return d
}

// Follow ships every line appended to path (the demo app's stdout) until stop is closed.
func (s *Shipper) Follow(t testing.TB, path, pod, container string, stop chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		f, err := os.Open(path)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		r := bufio.NewReader(f)
		var pending []map[string]any
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					// A partial line stays for the next read.
					if len(line) > 0 {
						_, _ = f.Seek(-int64(len(line)), io.SeekCurrent)
						r.Reset(f)
					}
					break
				}
				pending = append(pending, s.Doc(strings.TrimSpace(line), pod, container))
			}
			if len(pending) > 0 {
				if err := s.Bulk(pending); err != nil {
					t.Error(err)
					return
				}
				pending = nil
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	return &wg
}
