package testbed

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// APIServers are kube-apiservers run as the pods of a Deployment (as an aggregated API server or
// metrics-server is: software built on k8s.io/apiserver, exporting apiserver_request_total and
// apiserver_request_sli_duration_seconds). The replicas share one etcd prefix, as an HA control
// plane does. Anonymous requests may list configmaps and read /metrics; every configmap create is
// refused by a webhook that cannot be reached, an answer 500 of the apiserver's own making.
type APIServers struct {
	k      *Kube
	prefix string
	dir    string
	once   sync.Once
	setup  error
	mu     sync.Mutex
	ready  map[string]bool // addresses whose replica Start has returned
	// CA is the testbed's CA, which signs every replica's serving certificate.
	CA *x509.CertPool
}

// APIServerPods prepares kube-apiservers for the pods of deploy/app in ns: pass Start to RunPods.
func (k *Kube) APIServerPods(t testing.TB, ns, app string) *APIServers {
	t.Helper()
	pem, err := os.ReadFile(filepath.Join(k.Run, "pki", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &APIServers{k: k, prefix: "/gameday-apiserver-" + ns + "-" + app, dir: t.TempDir(), CA: pool, ready: map[string]bool{}}
}

// Start runs one replica on addr (POD_IP:port) and returns once it is ready.
func (a *APIServers) Start(addr string) (io.Closer, error) {
	env, err := readEnv(filepath.Join(a.k.Run, "env"))
	if err != nil {
		return nil, err
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(a.dir, host+"-")
	if err != nil {
		return nil, err
	}
	crt, key, err := a.servingCert(dir, host)
	if err != nil {
		return nil, err
	}
	pki := filepath.Join(a.k.Run, "pki")
	c := exec.Command(filepath.Join(filepath.Dir(a.k.Kubectl), "kube-apiserver"),
		"--etcd-servers", "http://127.0.0.1:"+env["TESTBED_ETCD_PORT"], "--etcd-prefix", a.prefix,
		"--bind-address", host, "--advertise-address", host, "--secure-port", port,
		"--tls-cert-file", crt, "--tls-private-key-file", key, "--client-ca-file", filepath.Join(pki, "ca.crt"),
		"--service-account-key-file", filepath.Join(pki, "sa.pub"), "--service-account-signing-key-file", filepath.Join(pki, "sa.key"),
		"--service-account-issuer", "https://kubernetes.default.svc", "--service-cluster-ip-range", "10.96.0.0/16",
		"--authorization-mode", "RBAC", "--anonymous-auth=true", "--endpoint-reconciler-type", "none")
	logf, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		return nil, err
	}
	c.Stdout, c.Stderr = logf, logf
	if err := c.Start(); err != nil {
		return nil, err
	}
	p := process{c}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: a.CA}}
	defer tr.CloseIdleConnections()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		// Unauthenticated /readyz is allowed by the bootstrap roles.
		if r, err := (&http.Client{Transport: tr, Timeout: 2 * time.Second}).Get("https://" + addr + "/readyz"); err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			_ = p.Close()
			b, _ := os.ReadFile(logf.Name())
			return nil, fmt.Errorf("kube-apiserver on %s not ready: %s", addr, tail(string(b), 20))
		}
	}
	a.once.Do(func() { a.setup = a.configure(addr) })
	if a.setup != nil {
		_ = p.Close()
		return nil, a.setup
	}
	// Ready for the test once its informers have the webhook: a create is refused.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		r, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Post("https://"+addr+apiServerCreate, "application/json", strings.NewReader(apiServerConfigMap))
		if err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusInternalServerError {
				a.mu.Lock()
				a.ready[addr] = true
				a.mu.Unlock()
				return p, nil
			}
		}
		if time.Now().After(deadline) {
			_ = p.Close()
			return nil, fmt.Errorf("kube-apiserver on %s: a create answered %v %v, want the webhook's 500", addr, r, err)
		}
	}
}

// The requests of a test's load: a list of configmaps (answered 200) and a create of one (refused
// with 500), both on the kube-system namespace every apiserver makes.
const (
	apiServerList      = "/api/v1/namespaces/kube-system/configmaps?limit=1"
	apiServerCreate    = "/api/v1/namespaces/kube-system/configmaps"
	apiServerConfigMap = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"load-"}}`
)

// Request is one request of a test's load (the load engine's target, which the testbed cannot
// import: the engine's own tests use the testbed).
type Request struct {
	Method, URL string
	Body        []byte
	Header      http.Header
}

// Load awaits the replicas on addrs (POD_IP:port) and returns a test's known traffic to them: on
// each, in turn, three lists (200) and one create (the webhook's 500), so a quarter of the
// requests are the apiserver's own server errors.
func (a *APIServers) Load(t testing.TB, addrs ...string) []Request {
	t.Helper()
	a.Await(t, addrs...)
	var out []Request
	for _, addr := range addrs {
		list := Request{Method: http.MethodGet, URL: "https://" + addr + apiServerList}
		out = append(out, list, list, list, Request{Method: http.MethodPost, URL: "https://" + addr + apiServerCreate,
			Body: []byte(apiServerConfigMap), Header: http.Header{"Content-Type": {"application/json"}}})
	}
	return out
}

// Await returns once a replica serves on each address (POD_IP:port), as Start left it: the pods
// are Ready before their apiservers have started, and load sent sooner meets refused connections
// and an authorizer still filling its cache.
func (a *APIServers) Await(t testing.TB, addrs ...string) {
	t.Helper()
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		a.mu.Lock()
		n := 0
		for _, addr := range addrs {
			if a.ready[addr] {
				n++
			}
		}
		a.mu.Unlock()
		if n == len(addrs) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("kube-apiservers serving on %d of %v", n, addrs)
		}
	}
}

// servingCert writes a key and a certificate for host, signed by the testbed's CA.
func (a *APIServers) servingCert(dir, host string) (string, string, error) {
	pki := filepath.Join(a.k.Run, "pki")
	caPair, err := tls.LoadX509KeyPair(filepath.Join(pki, "ca.crt"), filepath.Join(pki, "ca.key"))
	if err != nil {
		return "", "", err
	}
	ca, err := x509.ParseCertificate(caPair.Certificate[0])
	if err != nil {
		return "", "", err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP(host)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caPair.PrivateKey)
	if err != nil {
		return "", "", err
	}
	crt, kf := filepath.Join(dir, "serving.crt"), filepath.Join(dir, "serving.key")
	if err := os.WriteFile(crt, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return "", "", err
	}
	return crt, kf, os.WriteFile(kf, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600)
}

// configure grants anonymous users what the test's load and scrapes ask, and makes configmap
// creates fail through a webhook nobody listens for (failurePolicy Fail: an internal error, 500).
func (a *APIServers) configure(addr string) error {
	cfg := rest.CopyConfig(a.k.Config)
	cfg.Host = "https://" + addr
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx := context.Background()
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "gameday-anonymous"}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list", "create"}},
		{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}}}
	if _, err := c.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("anonymous role: %w", err)
	}
	bind := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "gameday-anonymous"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role.Name},
		Subjects: []rbacv1.Subject{{APIGroup: "rbac.authorization.k8s.io", Kind: "User", Name: "system:anonymous"}}}
	if _, err := c.RbacV1().ClusterRoleBindings().Create(ctx, bind, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("anonymous binding: %w", err)
	}
	fail, none, timeout := admissionv1.Fail, admissionv1.SideEffectClassNone, int32(2)
	url := "https://127.0.0.1:1/refuse"
	hook := &admissionv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "gameday-unreachable"},
		Webhooks: []admissionv1.ValidatingWebhook{{Name: "unreachable.gameday.dev", ClientConfig: admissionv1.WebhookClientConfig{URL: &url},
			Rules: []admissionv1.RuleWithOperations{{Operations: []admissionv1.OperationType{admissionv1.Create},
				Rule: admissionv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}}}},
			FailurePolicy: &fail, SideEffects: &none, TimeoutSeconds: &timeout, AdmissionReviewVersions: []string{"v1"}}}}
	if _, err := c.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, hook, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	return nil
}
