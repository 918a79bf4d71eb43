package sources

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
)

// Transport is the HTTP transport of a backend client: the default one, verifying TLS against the
// system roots, or against caFile's certificates when one is given. what names the backend in errors.
func Transport(what, caFile string) (*http.Transport, error) {
	base := http.DefaultTransport.(*http.Transport).Clone()
	if caFile == "" {
		return base, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("%s CA: %w", what, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s CA %s: no certificate found", what, caFile)
	}
	base.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return base, nil
}
