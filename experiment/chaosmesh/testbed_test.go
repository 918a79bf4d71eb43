package chaosmesh

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/config"
	"github.com/gamedaylab/gameday/experiment"
	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/session"
	"github.com/gamedaylab/gameday/testbed"
)

func TestMain(m *testing.M) { os.Exit(testbed.Main(m)) }

// TestPodKillOnTheTestbed (issue 30): PodChaos pod-kills on the testbed's apiserver, their pods
// picked as Chaos Mesh picks them (a label and fixed-percent, pods by name, nodes by label with
// all), each killed through gameday's catalog (journaled, grace 0 as Chaos Mesh's default).
func TestPodKillOnTheTestbed(t *testing.T) {
	k := testbed.SharedKube(t)
	ns := k.Namespace(t, "chaosmesh")
	testbed.DeployApp(t, k.Client, ns, "web", 4, "10m", true, map[string]string{"tier": "front"})
	testbed.WaitReady(t, k.Client, ns, 4, time.Minute)
	s := session4(t, k, ns)
	before := testbed.PodNames(t, k.Client, ns, "app=web")
	nodes, err := k.Client.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{LabelSelector: "topology.kubernetes.io/zone"})
	if err != nil || len(nodes.Items) == 0 {
		t.Fatalf("nodes: %v", err)
	}
	zone := nodes.Items[0].Labels["topology.kubernetes.io/zone"]
	for _, c := range []struct {
		name, selector, mode string
		want                 func(killed, inZone []string) error
	}{
		{"half by label", "labelSelectors: {app: web}\n    expressionSelectors: [{key: tier, operator: In, values: [front]}]", "mode: fixed-percent\n  value: \"50\"",
			func(k, _ []string) error { return count(k, 2) }},
		{"one by name", fmt.Sprintf("pods: {%s: [%s]}", ns, before[0]), "mode: all", func(k, _ []string) error {
			if !slices.Equal(k, []string{before[0]}) {
				return fmt.Errorf("killed %v, want %s", k, before[0])
			}
			return nil
		}},
		{"a zone's nodes", fmt.Sprintf("nodeSelectors: {topology.kubernetes.io/zone: %s}\n    labelSelectors: {app: web}", zone), "mode: all", func(k, inZone []string) error {
			slices.Sort(k)
			slices.Sort(inZone)
			if len(inZone) == 0 || !slices.Equal(k, inZone) {
				return fmt.Errorf("killed %v, the pods in %s are %v", k, zone, inZone)
			}
			return nil
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			testbed.WaitReady(t, k.Client, ns, 4, time.Minute)
			text := fmt.Sprintf("apiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata: {name: %s}\nspec:\n  action: pod-kill\n  %s\n  selector:\n    %s\n",
				strings.ReplaceAll(c.name, " ", "-"), c.mode, c.selector)
			p := filepath.Join(t.TempDir(), "chaos.yaml")
			if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := Read(p)
			if err != nil {
				t.Fatal(err)
			}
			pods, _ := k.Client.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app=web"})
			var inZone []string
			for _, p := range pods.Items {
				for _, n := range nodes.Items {
					if n.Name == p.Spec.NodeName && n.Labels["topology.kubernetes.io/zone"] == zone {
						inZone = append(inZone, p.Name)
					}
				}
			}
			var out strings.Builder
			res := Run(context.Background(), s, f, &out, rand.New(rand.NewPCG(1, 1)))
			if len(res) != 1 || res[0].Err != nil {
				t.Fatalf("run: %+v\n%s", res, out.String())
			}
			if err := c.want(res[0].Killed, inZone); err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			if !strings.Contains(out.String(), "grace 0") {
				t.Fatalf("the kills are not Chaos Mesh's immediate ones:\n%s", out.String())
			}
			// Every pod named is gone from the API within a while.
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
				now := testbed.PodNames(t, k.Client, ns, "app=web")
				left := 0
				for _, p := range res[0].Killed {
					if slices.Contains(now, p) {
						left++
					}
				}
				if left == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d killed pods still there: %v", left, now)
				}
			}
		})
	}
	kills := 0
	for _, e := range s.Timeline() {
		if e.Action == actions.Kill && e.Result == actions.ResultOK {
			kills++
		}
	}
	if kills < 4 {
		t.Fatalf("%d kills in gameday's journal", kills)
	}

	// In the cockpit's runbook: it waits for N, then each resource is a step that says what it killed.
	testbed.WaitReady(t, k.Client, ns, 4, time.Minute)
	f, err := Parse("two.yaml", []byte("apiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata: {name: one}\nspec:\n  action: pod-kill\n  mode: one\n  selector: {labelSelectors: {app: web}}\n"+
		"---\napiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata: {name: nobody}\nspec:\n  action: pod-kill\n  mode: all\n  selector: {labelSelectors: {app: nobody}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	board := experiment.NewBoard("two.yaml", f.Plan())
	if pl := board.Snapshot().Plan; len(pl.Steps) != 2 || pl.Steps[0].Text != "PodChaos one: pod-kill, mode one, grace 0s" {
		t.Fatalf("plan %+v", pl)
	}
	gate := make(chan struct{}, 1)
	gate <- struct{}{}
	RunOnBoard(context.Background(), s, f, board, gate)
	sn := board.Snapshot()
	if len(sn.Record.Steps) != 2 || sn.Record.Steps[0].Status != "ok" || !strings.HasPrefix(sn.Record.Steps[0].Detail, "killed web-") ||
		sn.Record.Steps[1].Status != "failed" || sn.Outcome != experiment.Failed || !strings.Contains(sn.Record.Reason, "PodChaos nobody") {
		t.Fatalf("board: outcome %s (%s), steps %+v, lines %q", sn.Outcome, sn.Record.Reason, sn.Record.Steps, sn.Record.Lines)
	}
}

func count(killed []string, n int) error {
	if len(killed) != n {
		return fmt.Errorf("killed %d (%v), want %d", len(killed), killed, n)
	}
	return nil
}

// session4 is a session on ns that has seen web's four ready pods.
func session4(t *testing.T, k *testbed.Kube, ns string) *session.Session {
	t.Helper()
	cfg := config.Default()
	s, err := session.New(session.Options{Config: &cfg, Kube: &session.Kube{Rest: k.Config, Context: "testbed", Namespace: ns},
		Journal: filepath.Join(t.TempDir(), "journal.jsonl"), RevertDir: t.TempDir(), Guard: &actions.Guard{MinReady: 1}, User: "tester"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { _ = s.Close(); cancel() })
	s.Start(ctx)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		ready := false
		s.Store(func(c *model.Cluster) { d := c.Deployment(ns, "web"); ready = c.Synced && d != nil && d.Ready == 4 })
		if ready {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatal("the session did not see web's four ready pods")
		}
	}
}
