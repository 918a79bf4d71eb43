package actions

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gamedaylab/gameday/model"
)

func webDeployment() *appsv1.Deployment {
	three := int32(3)
	return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"}, Spec: appsv1.DeploymentSpec{Replicas: &three}}
}

func (tb *testbed) deployment() *appsv1.Deployment {
	tb.t.Helper()
	d, err := tb.cs.AppsV1().Deployments("shop").Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		tb.t.Fatal(err)
	}
	return d
}

// TestScaleKeysChangeTheReplicasOfTheTarget: S (-1) is confirmed and takes a replica away, s (+1)
// adds one without asking; both patch the Deployment and are journaled with the change.
func TestScaleKeysChangeTheReplicasOfTheTarget(t *testing.T) {
	tb := newTestbed(t, &Guard{MinReady: 1}, webDeployment())
	for _, c := range []struct {
		key     string
		confirm bool
		want    int32
		summary string
	}{{"scaleDown", true, 2, "scale deploy/web in shop from 3 to 2"}, {"scaleUp", false, 4, "scale deploy/web in shop from 3 to 4"}} {
		spec, _ := ByKey(c.key)
		st, err := tb.env.Prepare(spec, shopWorld(), spec.Args)
		if err != nil || st.Confirm != c.confirm || st.Summary != c.summary {
			t.Fatalf("%s: %+v %v", c.key, st, err)
		}
		r, err := Exec{Env: tb.env}.Do(context.Background(), st)
		if err != nil || r.Entry.Targets[0] != "deploy/web" || r.Entry.Detail != c.summary {
			t.Fatalf("%s: %+v %v", c.key, r, err)
		}
		if got := *tb.deployment().Spec.Replicas; got != c.want {
			t.Fatalf("%s: replicas %d, want %d", c.key, got, c.want)
		}
	}
}

// TestScaleThatChangesNothingOrIsForbiddenIsRefused: scaling to the current count, below the floor
// or in a protected namespace is refused and the Deployment keeps its replicas; a Deployment that
// is not there is an error naming it.
func TestScaleThatChangesNothingOrIsForbiddenIsRefused(t *testing.T) {
	for args, c := range map[string]struct {
		guard *Guard
		why   string
	}{
		"3": {nil, "deploy/web already has 3 replicas"},
		"1": {&Guard{MinReady: 2}, "would leave 1 ready of 3, below the minimum of 2"},
		"5": {&Guard{Protected: map[string]bool{"shop": true}}, `namespace "shop" is protected`},
	} {
		tb := newTestbed(t, c.guard, webDeployment())
		st, err := tb.prepare("scale", shopWorld(), args)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Exec{Env: tb.env}.Do(context.Background(), st)
		if !errors.Is(err, model.ErrRefused) || !strings.Contains(r.Entry.Error, c.why) || *tb.deployment().Spec.Replicas != 3 {
			t.Fatalf("scale %s: %+v %v", args, r, err)
		}
	}
	tb := newTestbed(t, nil)
	st, _ := tb.prepare("scale", shopWorld(), "+1")
	if r, err := (Exec{Env: tb.env}).Do(context.Background(), st); err == nil || !strings.Contains(r.Entry.Error, "scale deploy/web in shop") {
		t.Fatalf("%+v %v", r, err)
	}
}

// TestRestartStampsThePodTemplate: R restarts the target the kubectl way, with the session's clock
// in the template's restartedAt annotation; a missing Deployment is an error naming it.
func TestRestartStampsThePodTemplate(t *testing.T) {
	tb := newTestbed(t, nil, webDeployment())
	st, err := tb.prepare("restart", shopWorld(), "")
	if err != nil || !st.Confirm || st.Summary != "rollout restart deploy/web in shop" {
		t.Fatalf("%+v %v", st, err)
	}
	if _, err := (Exec{Env: tb.env}).Do(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	if got := tb.deployment().Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"]; got != tb.now.Format(time.RFC3339) {
		t.Fatalf("restartedAt %q", got)
	}
	if _, err := tb.prepare("restart", shopWorld(), "now"); err == nil {
		t.Fatal("restart takes no arguments")
	}
	tb = newTestbed(t, nil)
	st, _ = tb.prepare("restart", shopWorld(), "")
	if r, err := (Exec{Env: tb.env}).Do(context.Background(), st); err == nil || !strings.Contains(r.Entry.Error, "rollout restart deploy/web in shop") {
		t.Fatalf("%+v %v", r, err)
	}
}

// TestRecordJournalsWhatNoPlanMade: an event the session measured (a recovery) is journaled with the
// session's context and user unless it brings its own, and with its error as the outcome.
func TestRecordJournalsWhatNoPlanMade(t *testing.T) {
	tb := newTestbed(t, nil)
	r, err := tb.env.Record(Entry{Time: tb.now, Action: "recovery", Targets: []string{"deploy/web"}, Recovery: "12.5s"}, nil)
	if err != nil || r.Entry.Context != "kind-shop" || r.Entry.User != "alice" || r.Entry.Result != ResultOK {
		t.Fatalf("%+v %v", r, err)
	}
	r, err = tb.env.Record(Entry{Time: tb.now, Context: "other", User: "bob", Action: "load-finished"}, errors.New("3 targets failed"))
	if err == nil || r.Entry.Context != "other" || r.Entry.User != "bob" || r.Entry.Result != ResultError || r.Err != "3 targets failed" {
		t.Fatalf("%+v %v", r, err)
	}
	if j := tb.entries(); len(j) != 2 || j[0].Recovery != "12.5s" || j[1].Error != "3 targets failed" {
		t.Fatalf("journal %+v", j)
	}
}
