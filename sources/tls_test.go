package sources

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTransportTrustsTheGivenCA: a server signed by the configured CA is reached; without the CA it
// is refused (TLS is verified); a missing or empty CA file is an error naming the backend.
func TestTransportTrustsTheGivenCA(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	get := func(caFile string) error {
		tr, err := Transport("prometheus", caFile)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := (&http.Client{Transport: tr}).Get(srv.URL)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := get(ca); err != nil {
		t.Fatalf("with the CA: %v", err)
	}
	if err := get(""); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("without the CA: %v, want a certificate error", err)
	}
	empty := filepath.Join(dir, "empty.pem")
	_ = os.WriteFile(empty, []byte("not a certificate"), 0o600)
	for file, want := range map[string]string{filepath.Join(dir, "missing.pem"): "no such file", empty: "no certificate found"} {
		if _, err := Transport("prometheus", file); err == nil || !strings.Contains(err.Error(), "prometheus CA") || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error naming the prometheus CA and %q", file, err, want)
		}
	}
}
