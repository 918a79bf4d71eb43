package bridge

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/config"
	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/session"
)

func demo(t *testing.T, guard *actions.Guard) *session.Session {
	t.Helper()
	cfg := config.Default()
	cfg.Demo.Speed = 20
	s, err := session.New(session.Options{Config: &cfg, Demo: true, Journal: filepath.Join(t.TempDir(), "j.jsonl"), Guard: guard})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	t.Cleanup(func() { _ = s.Close() })
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		ok := false
		s.Store(func(c *model.Cluster) { d := c.Deployment("demo", "web"); ok = c.Synced && d != nil && d.Ready == 3 })
		if ok {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatal("the demo did not sync")
		}
	}
}

// TestAKillOfAnotherToolGoesThroughTheCatalog: a pod another tool's experiment picks is killed by
// the catalog's kill of its Deployment, journaled, with its grace; the guard's minimum refuses one
// more than it allows; another namespace is an error naming -n.
func TestAKillOfAnotherToolGoesThroughTheCatalog(t *testing.T) {
	s := demo(t, &actions.Guard{MinReady: 2})
	b := Bridge{S: s}
	pods, err := s.Env.Client.CoreV1().Pods("demo").List(context.Background(), metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil || len(pods.Items) < 3 {
		t.Fatalf("pods: %v %d", err, len(pods.Items))
	}
	if DeploymentOf(pods.Items[0]) != "web" {
		t.Fatalf("the pod's Deployment: %q", DeploymentOf(pods.Items[0]))
	}
	zero := int64(0)
	did, err := b.KillPod(context.Background(), pods.Items[0], &zero)
	if err != nil || did != "kill pod/"+pods.Items[0].Name+" grace 0" || s.Target() != "web" {
		t.Fatalf("kill: %q, %v, target %q", did, err, s.Target())
	}
	var kills int
	for _, e := range s.Timeline() {
		if e.Action == actions.Kill && e.Result == actions.ResultOK {
			kills++
		}
	}
	if kills != 1 {
		t.Fatalf("%d kills journaled", kills)
	}
	// A minimum of 3 ready of web's 3: any kill is refused.
	strict := demo(t, &actions.Guard{MinReady: 3})
	theirs, err := strict.Env.Client.CoreV1().Pods("demo").List(context.Background(), metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil || len(theirs.Items) == 0 {
		t.Fatalf("pods: %v", err)
	}
	if _, err := (Bridge{S: strict}).KillPod(context.Background(), theirs.Items[0], nil); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("the guard's minimum: %v", err)
	}
	other := pods.Items[2]
	other.Namespace = "shop"
	if _, err := b.KillPod(context.Background(), other, nil); err == nil || !strings.Contains(err.Error(), "run with -n shop") {
		t.Fatalf("another namespace: %v", err)
	}
}
