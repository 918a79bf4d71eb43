package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"
	appsv1 "k8s.io/api/apps/v1"
	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/testbed"
	"github.com/gamedaylab/gameday/tui"
)

func TestMain(m *testing.M) { os.Exit(testbed.Main(m)) }

func deployWeb(t *testing.T, cs kubernetes.Interface, ns string, replicas int32, cpuUsage string, spread bool) {
	t.Helper()
	testbed.DeployWeb(t, cs, ns, replicas, cpuUsage, spread)
}

func waitReady(t *testing.T, cs kubernetes.Interface, ns string, want int32, d time.Duration) {
	t.Helper()
	testbed.WaitReady(t, cs, ns, want, d)
}

// cockpitOn runs the whole cockpit against the testbed, like `gameday --kubeconfig ... -n ns --target deploy/web`.
func cockpitOn(t *testing.T, k *testbed.Kube, ns string, extra ...string) (*cockpit, *teatest.TestModel, *probe) {
	t.Helper()
	args := append([]string{"--kubeconfig", k.Kubeconfig, "-n", ns, "--target", "deploy/web",
		"--journal", filepath.Join(t.TempDir(), "journal.jsonl")}, extra...)
	c := buildForTest(t, args...)
	pr := &probe{}
	tm := teatest.NewTestModel(t, tui.New(c.ctx, c.deps), teatest.WithInitialTermSize(160, 50),
		teatest.WithProgramOptions(tea.WithFilter(pr.filter)))
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		_ = tm.Quit()
		cancel()
	})
	c.start(ctx, func(m any) { tm.Send(m) })
	return c, tm, pr
}

func finalModel(t *testing.T, tm *teatest.TestModel) *tui.Model {
	t.Helper()
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	return tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*tui.Model)
}

// TestKubeKillShowsReplacement: a kill from the cockpit's action code on a real apiserver; the
// replacement is Running and on screen within 2 s, and the recovery stopwatch agrees with the API.
func TestKubeKillShowsReplacement(t *testing.T) {
	k := testbed.SharedKube(t)
	ns := k.Namespace(t, "kill")
	deployWeb(t, k.Client, ns, 3, "50m", false)
	c, tm, pr := cockpitOn(t, k, ns)
	pr.wait(t, 15*time.Second, "Workload deploy/web · pods[3]", "● cluster")

	before, _ := k.Client.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
	tm.Send(tea.KeyPressMsg{Code: 'k', Mod: tea.ModCtrl})
	pr.wait(t, 5*time.Second, "Kill the selected pod web-")
	killedAt := time.Now()
	tm.Type("y")
	pr.wait(t, 5*time.Second, "kill ok")
	// The replacement: a pod name that did not exist before, Running on screen.
	deadline := killedAt.Add(2 * time.Second)
	var replacement string
	for replacement == "" {
		pods, _ := k.Client.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
		for _, p := range pods.Items {
			if !inList(before.Items, p.Name) && p.Status.Phase == corev1.PodRunning && strings.Contains(pr.get(), p.Name) {
				replacement = p.Name
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no replacement Running on screen 2 s after the kill:\n%s", pr.get())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("replacement %s on screen %s after the kill", replacement, time.Since(killedAt).Round(time.Millisecond))

	pr.wait(t, 20*time.Second, "recovery ok")
	finalModel(t, tm)
	sw := c.sess.Recoveries()
	if len(sw) != 1 {
		t.Fatalf("stopwatches %+v", sw)
	}
	s := sw[0]
	if !(s.Scheduled > 0 && s.Scheduled <= s.Ready && s.Ready <= s.Recovered && s.Recovered < 10*time.Second) {
		t.Fatalf("stopwatch out of order: %+v", s)
	}
	// The API's timestamps have one-second resolution: the observed times must agree within it.
	apiSched := s.APIScheduled.Sub(s.Started)
	apiReady := s.APIReady.Sub(s.Started)
	if apiSched > s.Scheduled+time.Second || apiSched < -time.Second || apiReady > s.Ready+time.Second || apiReady < -time.Second {
		t.Fatalf("stopwatch %+v disagrees with the API: scheduled %s ready %s after the kill", s, apiSched, apiReady)
	}
	t.Logf("stopwatch: scheduled +%s ready +%s recovered +%s (API: scheduled +%s ready +%s)", s.Scheduled, s.Ready, s.Recovered, apiSched, apiReady)
}

func inList(pods []corev1.Pod, name string) bool {
	for _, p := range pods {
		if p.Name == name {
			return true
		}
	}
	return false
}

// TestKubeScaleRestartDryRunAndProtected exercises scale and rollout restart for real, then shows that
// dry-run changes nothing (resourceVersions unchanged) and a protected namespace is refused.
func TestKubeScaleRestartDryRunAndProtected(t *testing.T) {
	k := testbed.SharedKube(t)
	ns := k.Namespace(t, "scale")
	deployWeb(t, k.Client, ns, 2, "50m", false)
	ctx := context.Background()
	j, _ := actions.OpenJournal(filepath.Join(t.TempDir(), "j.jsonl"))
	env := &actions.Env{Client: k.Client, Context: "testbed", Guard: &actions.Guard{MinReady: 1,
		Protected: map[string]bool{"kube-system": true}}, Journal: j}
	dep := func() *appsv1.Deployment {
		d, err := k.Client.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	src := model.Deployment{Namespace: ns, Name: "web", Desired: 2, Ready: 2}
	if r := first(env.Run(ctx, env.PlanScale(ns, src, 2, nil))); r.Err != "" {
		t.Fatal(r.Err)
	}
	waitReady(t, k.Client, ns, 4, 30*time.Second)

	oldRS := replicaSets(t, k.Client, ns)
	if r := first(env.Run(ctx, env.PlanRestart(ns, model.Deployment{Namespace: ns, Name: "web", Desired: 4, Ready: 4}))); r.Err != "" {
		t.Fatal(r.Err)
	}
	if dep().Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"] == "" {
		t.Fatal("rollout restart did not stamp the template")
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(replicaSets(t, k.Client, ns)) <= len(oldRS) {
		if time.Now().After(deadline) {
			t.Fatal("rollout restart made no new ReplicaSet")
		}
		time.Sleep(200 * time.Millisecond)
	}
	waitReady(t, k.Client, ns, 4, 60*time.Second)

	// Dry run: kill, scale and restart are validated by the API server but change nothing. Wait for
	// the rollout to finish and the Deployment to be quiet, so any change is the dry run's.
	rvDep := ""
	deadline = time.Now().Add(60 * time.Second)
	for {
		d := dep()
		st := d.Status
		done := st.ObservedGeneration == d.Generation && st.UpdatedReplicas == 4 && st.Replicas == 4 && st.AvailableReplicas == 4
		if done && d.ResourceVersion == rvDep {
			break
		}
		if done {
			rvDep = d.ResourceVersion
		}
		if time.Now().After(deadline) {
			t.Fatalf("rollout not finished: %+v", st)
		}
		time.Sleep(time.Second)
	}
	dry := &actions.Env{Client: k.Client, Context: "testbed", Guard: &actions.Guard{MinReady: 1, DryRun: true}, Journal: j}
	pods, _ := k.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	var podsSrc []model.Pod
	rvPods := map[string]string{}
	for _, p := range pods.Items {
		podsSrc = append(podsSrc, model.Pod{Namespace: ns, Name: p.Name, Ready: true})
		rvPods[p.Name] = p.ResourceVersion
	}
	for _, plan := range []actions.Plan{
		dry.PlanKill(ns, "web", podsSrc, actions.Count{N: 2}, nil),
		dry.PlanScale(ns, model.Deployment{Namespace: ns, Name: "web", Desired: 4, Ready: 4}, -1, nil),
		dry.PlanRestart(ns, model.Deployment{Namespace: ns, Name: "web", Desired: 4, Ready: 4}),
	} {
		r := first(dry.Run(ctx, plan))
		if r.Err != "" || r.Entry.Result != actions.ResultDryRun {
			t.Fatalf("dry-run %s: %+v", plan.Action, r)
		}
	}
	time.Sleep(500 * time.Millisecond)
	if rv := dep().ResourceVersion; rv != rvDep {
		t.Fatalf("dry-run changed the Deployment: resourceVersion %s -> %s", rvDep, rv)
	}
	pods, _ = k.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	for _, p := range pods.Items {
		if rvPods[p.Name] != p.ResourceVersion || p.DeletionTimestamp != nil {
			t.Fatalf("dry-run changed pod %s", p.Name)
		}
	}
	// A dry run is still validated by the server: a bad request fails.
	bad := first(dry.Run(ctx, actions.Plan{Action: "scale", Namespace: ns, Workload: "no-such-deploy", Replicas: 1, DryRun: true}))
	if bad.Err == "" || !strings.Contains(bad.Err, "not found") {
		t.Fatalf("a dry run of a missing Deployment must fail at the server: %+v", bad)
	}

	p := env.PlanKill("kube-system", "coredns", []model.Pod{{Namespace: "kube-system", Name: "x", Ready: true}, {Namespace: "kube-system", Name: "y", Ready: true}}, actions.Count{N: 1}, nil)
	if r := first(env.Run(ctx, p)); r.Entry.Result != actions.ResultRefused || !strings.Contains(r.Entry.Error, "protected") {
		t.Fatalf("kube-system must be refused: %+v", r.Entry)
	}
}

func replicaSets(t *testing.T, cs kubernetes.Interface, ns string) []appsv1.ReplicaSet {
	t.Helper()
	l, err := cs.AppsV1().ReplicaSets(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return l.Items
}

// TestKubeRestrictedIdentity: a ServiceAccount bound to a read-only Role sees every action disabled,
// with the reason, before pressing anything. It may update VirtualServices but not create them: a
// fault on a host no VirtualService claims (which would create one) is refused before its confirm,
// saying so.
func TestKubeRestrictedIdentity(t *testing.T) {
	k := testbed.SharedKube(t)
	testbed.SharedMesh(t, k) // Istio's CRDs
	ns := k.Namespace(t, "viewer")
	deployWeb(t, k.Client, ns, 2, "50m", false)
	ctx := context.Background()
	if _, err := k.Client.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "viewer"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "viewer"}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{"", "apps", "autoscaling", "events.k8s.io", "policy"}, Resources: []string{"*"}, Verbs: []string{"get", "list", "watch"}},
		{APIGroups: []string{"networking.istio.io"}, Resources: []string{"virtualservices"}, Verbs: []string{"get", "list", "watch", "update"}},
	}}
	if _, err := k.Client.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "viewer"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "viewer"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "viewer", Namespace: ns}}}
	if _, err := k.Client.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	exp := int64(3600)
	tok, err := k.Client.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "viewer", &authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{ExpirationSeconds: &exp}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	kc := filepath.Join(t.TempDir(), "viewer.kubeconfig")
	caPath := filepath.Join(k.Run, "pki", "ca.crt")
	if err := os.WriteFile(kc, []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: testbed, cluster: {server: %q, certificate-authority: %q}}]
users: [{name: viewer, user: {token: %q}}]
contexts: [{name: viewer, context: {cluster: testbed, user: viewer, namespace: %s}}]
current-context: viewer
`, k.Config.Host, caPath, tok.Status.Token, ns)), 0o600); err != nil {
		t.Fatal(err)
	}
	restricted := *k
	restricted.Kubeconfig = kc
	_, tm, pr := cockpitOn(t, &restricted, ns)
	pr.wait(t, 15*time.Second, "Workload deploy/web · pods[2]", "ctrl+k kill selected pod ✗", "S scale -1 ✗", "R rollout restart ✗")
	tm.Send(tea.KeyPressMsg{Code: 'k', Mod: tea.ModCtrl})
	pr.wait(t, 5*time.Second, "ctrl+k is disabled: forbidden: this identity cannot delete pods in "+ns)
	tm.Type("?")
	pr.wait(t, 5*time.Second, "Not allowed for this identity", "cannot patch nodes", "cluster-wide")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEscape})
	tm.Type(":fault web abort 500 30%")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	pr.wait(t, 5*time.Second, "fault: forbidden: this identity cannot create virtualservices in "+ns)
	if strings.Contains(pr.get(), tok.Status.Token[:20]) {
		t.Fatal("the token is on the screen")
	}
}

// TestKubeHPAScalesOnEmulatedCPU: pods report 80 % CPU through kwok and metrics-server; the HPA wants
// more replicas and the cockpit shows desired rising and the pods arriving.
func TestKubeHPAScalesOnEmulatedCPU(t *testing.T) {
	k := testbed.SharedKube(t)
	ns := k.Namespace(t, "hpa")
	deployWeb(t, k.Client, ns, 3, "200m", false)
	testbed.CreateHPA(t, k.Client, ns, "web", 2, 10, 60)
	_, tm, pr := cockpitOn(t, k, ns)
	pr.wait(t, 90*time.Second, "cpu 80% / 60%", "▲")
	pr.wait(t, 60*time.Second, "pods[4]")
	m := finalModel(t, tm)
	h := m.Context().Cluster.HPAFor(ns, "web")
	if h == nil || h.Desired < 4 {
		t.Fatalf("HPA %+v", h)
	}
}

// TestKubeDrainZoneRespectsPDB: draining a zone cordons its nodes and evicts its pods, which are
// rescheduled in the other zones, one at a time as the PodDisruptionBudget allows. Uses a private
// control plane: it cordons nodes.
func TestKubeDrainZoneRespectsPDB(t *testing.T) {
	k := testbed.PrivateKube(t)
	ns := k.Namespace(t, "drain")
	deployWeb(t, k.Client, ns, 6, "50m", true)
	ctx := context.Background()
	testbed.GuardWeb(t, k.Client, ns, 5, 1)
	_, tm, pr := cockpitOn(t, k, ns)
	pr.wait(t, 15*time.Second, "pods[6]", "zone-a")
	tm.Type("D")
	pr.wait(t, 5*time.Second, "Drain which zone?")
	tm.Type("zone-a")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	pr.wait(t, 5*time.Second, "Drain zone zone-a: cordon 2 node(s), evict 2 pod(s)?", "allows 1 disruption")
	tm.Type("y")
	pr.wait(t, 90*time.Second, "drain zone zone-a done: evicted 2/2")

	nodes, _ := k.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	zoneA := map[string]bool{}
	for _, n := range nodes.Items {
		if n.Labels["topology.kubernetes.io/zone"] == "zone-a" {
			zoneA[n.Name] = true
			if !n.Spec.Unschedulable {
				t.Fatalf("%s not cordoned", n.Name)
			}
		}
	}
	waitReady(t, k.Client, ns, 6, 60*time.Second)
	pods, _ := k.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	for _, p := range pods.Items {
		if zoneA[p.Spec.NodeName] && p.DeletionTimestamp == nil {
			t.Fatalf("pod %s still in zone-a on %s", p.Name, p.Spec.NodeName)
		}
	}
	// HALT uncordons.
	tm.Type("x")
	pr.wait(t, 10*time.Second, "halt ok")
	nodes, _ = k.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	for _, n := range nodes.Items {
		if n.Spec.Unschedulable {
			t.Fatalf("HALT left %s cordoned", n.Name)
		}
	}
}

// TestKubeApiserverRestart: the apiserver stops and comes back; the cockpit says so, reconnects by
// itself and its pod list matches the API's afterwards.
func TestKubeApiserverRestart(t *testing.T) {
	k := testbed.PrivateKube(t)
	ns := k.Namespace(t, "restart")
	deployWeb(t, k.Client, ns, 2, "50m", false)
	_, tm, pr := cockpitOn(t, k, ns)
	pr.wait(t, 15*time.Second, "pods[2]")
	k.Stop(t, "apiserver")
	pr.wait(t, 30*time.Second, "○ cluster")
	k.Start(t, "apiserver")
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, err := k.Client.CoreV1().Namespaces().Get(context.Background(), ns, metav1.GetOptions{})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("apiserver did not come back: %v\n%s", err, k.LogTail("apiserver", 20))
		}
		time.Sleep(200 * time.Millisecond)
	}
	// A change made after the restart must reach the screen through the re-established watches.
	if r := first((&actions.Env{Client: k.Client}).Run(context.Background(), actions.Plan{Action: "scale", Namespace: ns, Workload: "web", Replicas: 4})); r.Err != "" {
		t.Fatal(r.Err)
	}
	waitReady(t, k.Client, ns, 4, 60*time.Second)
	pr.wait(t, 30*time.Second, "pods[4]", "● cluster")
	m := finalModel(t, tm)
	pods, _ := k.Client.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
	got := m.Context().Cluster.TargetPods(ns, "web")
	if len(got) != len(pods.Items) {
		t.Fatalf("cockpit has %d pods, API %d", len(got), len(pods.Items))
	}
	for _, p := range pods.Items {
		if _, ok := m.Context().Cluster.Pods[ns+"/"+p.Name]; !ok {
			t.Fatalf("pod %s missing from the cockpit after the restart", p.Name)
		}
	}
}

func ptrTo[T any](v T) *T { return &v }

// TestDeployManifestsValidate: deploy/ (kustomize) is accepted by a real apiserver (server-side dry run).
func TestDeployManifestsValidate(t *testing.T) {
	k := testbed.SharedKube(t)
	ns := k.Namespace(t, "deploy")
	dir, _ := filepath.Abs("../../deploy")
	out, err := exec.Command(k.Kubectl, "--kubeconfig", k.Kubeconfig, "apply", "-k", dir, "-n", ns, "--dry-run=server").CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl apply -k deploy/ --dry-run=server: %v\n%s", err, out)
	}
	for _, want := range []string{"deployment.apps/frontend", "deployment.apps/backend", "service/frontend",
		"horizontalpodautoscaler.autoscaling/backend", "poddisruptionbudget.policy/frontend"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("dry run output lacks %s:\n%s", want, out)
		}
	}
	// The stateless variant: the same app, a Redis, and the frontend told to keep sessions there.
	rdir, _ := filepath.Abs("../../deploy/redis-sessions")
	out, err = exec.Command(k.Kubectl, "--kubeconfig", k.Kubeconfig, "apply", "-k", rdir, "-n", ns, "--dry-run=server", "-o", "yaml").CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl apply -k deploy/redis-sessions --dry-run=server: %v\n%s", err, out)
	}
	for _, want := range []string{"name: redis", "name: DEMOAPP_SESSIONS", "value: redis", "value: redis:6379", "name: frontend"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the redis-sessions dry run lacks %q:\n%s", want, out)
		}
	}
	// Nothing was created.
	if l, _ := k.Client.AppsV1().Deployments(ns).List(context.Background(), metav1.ListOptions{}); len(l.Items) != 0 {
		t.Fatalf("a dry run created %d Deployments", len(l.Items))
	}
}

// TestKubeWithPrometheusGraphs: against the testbed with --prometheus-url, the Metrics pane draws the
// demo app's real request rate, and a kill from the cockpit appears as a marker on the graphs.
func TestKubeWithPrometheusGraphs(t *testing.T) {
	k := testbed.SharedKube(t)
	ns := k.Namespace(t, "graphs")
	deployWeb(t, k.Client, ns, 3, "50m", false)
	p := testbed.StartPrometheus(t, time.Second, "")
	app := testbed.StartDemoapp(t, "web", "--work-ms", "0")
	p.AddTarget("web", app.Addr, map[string]string{"namespace": ns, "app": "web", "pod": "web-0"})
	testbed.Traffic(t, "http://"+app.Addr+"/api/work?cpu_ms=0", 20)
	_, tm, pr := cockpitOn(t, k, ns, "--prometheus-url", p.URL)
	pr.wait(t, 30*time.Second, "Metrics · last 5m · prometheus http://127.0.0.1", "Request rate ━ total ")
	// The rate window is four scrapes of the default 15 s: the value climbs toward 20/s; any real
	// traffic shows as a non-zero rate.
	deadline := time.Now().Add(30 * time.Second)
	for {
		s := pr.get()
		i := strings.Index(s, "Request rate ━ total ")
		if i >= 0 && !strings.HasPrefix(s[i+len("Request rate ━ total "):], "0/s") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no request rate on screen:\n%s", s)
		}
		time.Sleep(100 * time.Millisecond)
	}
	tm.Send(tea.KeyPressMsg{Code: 'k', Mod: tea.ModCtrl})
	pr.wait(t, 5*time.Second, "Kill the selected pod")
	tm.Type("y")
	pr.wait(t, 20*time.Second, "kill ok", "kill│")
}

// TestPivotLogLineToTraceAndBack: with real Zipkin and Elasticsearch-API servers, Enter on a log line
// opens that request's trace in the waterfall, and l there shows the trace's log lines.
func TestPivotLogLineToTraceAndBack(t *testing.T) {
	k := testbed.SharedKube(t)
	ns := k.Namespace(t, "pivot")
	deployWeb(t, k.Client, ns, 2, "50m", false)
	zs := testbed.StartZipkin(t)
	es := testbed.SharedOpenSearch(t)
	spans := zs.URL + "/api/v2/spans"
	api := testbed.StartDemoapp(t, "api", "--zipkin", spans, "--work-ms", "1")
	web := testbed.StartDemoapp(t, "web", "--zipkin", spans, "--downstream", "http://"+api.Addr, "--work-ms", "1")
	sh := &testbed.Shipper{URL: es.URL, Namespace: ns, Prefix: "pivot"}
	stop := make(chan struct{})
	defer close(stop)
	sh.Follow(t, web.Log, "web-0", "web", stop)
	testbed.Traffic(t, "http://"+web.Addr+"/api/work", 10)
	_, tm, pr := cockpitOn(t, k, ns, "--zipkin-url", zs.URL, "--es-url", es.URL, "--es-index", "pivot-*")
	pr.wait(t, 30*time.Second, "Traces · zipkin", "Logs · es ", "GET /api/work 200")
	for i := 0; i < 3; i++ { // Workload -> Metrics -> Traces -> Logs
		tm.Send(tea.KeyPressMsg{Code: tea.KeyTab})
	}
	pr.wait(t, 5*time.Second, "enter open") // the Logs pane's footer
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	pr.wait(t, 15*time.Second, "Trace ", "spans ·", "web get /api/wo", "api get /")
	tm.Type("l")
	pr.wait(t, 15*time.Second, "Logs of trace ")
	s := pr.get()
	if !strings.Contains(s, "GET /api/work 200") {
		t.Fatalf("the trace's log lines are not shown:\n%s", s)
	}
}

// first is an action's result (its Err repeats the error returned beside it).
func first(r actions.Result, _ error) actions.Result { return r }

// TestBackendsFoundInTheCluster: with no backend URL given, the cockpit finds Prometheus, Zipkin and
// OpenSearch behind Services in the cluster, reads each through the apiserver's service proxy (a
// trace and a log line of the real servers reach the panes), and `:backend` lists what is used, where
// it looked and what it tried (a Service of a preferred name without the Zipkin query API).
func TestBackendsFoundInTheCluster(t *testing.T) {
	k := testbed.SharedKube(t)
	ns := k.Namespace(t, "backends")
	deployWeb(t, k.Client, ns, 2, "50m", false)
	zs := testbed.StartZipkin(t)
	es := testbed.SharedOpenSearch(t)
	p := testbed.StartPrometheus(t, time.Second, "")
	web := testbed.StartDemoapp(t, "web", "--zipkin", zs.URL+"/api/v2/spans", "--work-ms", "1")
	decoy := testbed.StartDemoapp(t, "decoy")
	k.Expose(t, ns, "zipkin", "http-query", "http://"+decoy.Addr)
	k.Expose(t, ns, "jaeger", "http-query", zs.URL)
	k.Expose(t, ns, "logging-es", "http", es.URL)
	k.Expose(t, ns, "prometheus", "web", p.URL)
	sh := &testbed.Shipper{URL: es.URL, Namespace: ns, Prefix: "found"}
	stop := make(chan struct{})
	defer close(stop)
	sh.Follow(t, web.Log, "web-0", "web", stop)
	defer testbed.Traffic(t, "http://"+web.Addr+"/api/work", 10)()
	_, tm, pr := cockpitOn(t, k, ns, "--es-index", "found-*")
	pr.wait(t, 40*time.Second, "zipkin svc ", "opensearch svc ", "GET /api/work 200", "get /api/work")
	tm.Type(":backend")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	pr.wait(t, 10*time.Second, "Backends (esc: close)",
		"found in the cluster (give --zipkin-url or --jaeger-url to choose one)",
		"✗ "+ns+"/zipkin:http-query (via apiserver proxy): no Zipkin query API",
		"prometheus svc ", "zipkin svc ", "opensearch svc ", "OpenSearch 2.", "Prometheus answered a query")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEscape})
	pr.waitMatch(t, 5*time.Second, regexp.MustCompile(`Workload deploy/web`))
	if strings.Contains(pr.get(), "Backends (esc: close)") {
		t.Fatalf("esc left the sheet open:\n%s", pr.get())
	}
}
