package actions

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/revert"
)

func workerJob(ns string) *batchv1.Job {
	return &batchv1.Job{ObjectMeta: metav1.ObjectMeta{GenerateName: "gameday-load-", Namespace: ns,
		Labels: map[string]string{"app.kubernetes.io/name": "gameday-load"}}}
}

// withRecords gives the Env a session whose revert records are kept in a state file.
func (tb *testbed) withRecords() *revert.State {
	tb.t.Helper()
	st, err := revert.OpenState(tb.t.TempDir(), "s1")
	if err != nil {
		tb.t.Fatal(err)
	}
	tb.env.Records = &Records{Session: "s1", Lease: func() string { return "shop/gameday-session-s1" }, State: st}
	return st
}

func (tb *testbed) jobNames(ns string) []string {
	tb.t.Helper()
	list, err := tb.cs.BatchV1().Jobs(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		tb.t.Fatal(err)
	}
	var out []string
	for _, j := range list.Items {
		out = append(out, j.Name)
	}
	return out
}

// TestLoadJobCarriesItsRecordAndHALTDeletesIt: the worker Job is named after its revert record and
// carries it (session, lease, kind), the record is kept locally before the create, the Job is
// journaled and registered for HALT; HALT deletes it and drops the local record.
func TestLoadJobCarriesItsRecordAndHALTDeletesIt(t *testing.T) {
	tb := newTestbed(t, nil)
	state := tb.withRecords()
	in := &Injected{}
	r, job, err := tb.env.StartLoadJob(context.Background(), in, workerJob("shop"), "4 workers, burst 400 req/s")
	if err != nil || job == nil {
		t.Fatalf("%+v %v", r, err)
	}
	recs, _ := revert.Decode(job.Annotations[revert.Annotation])
	if len(recs) != 1 {
		t.Fatalf("annotations %v", job.Annotations)
	}
	rec := recs[0]
	if job.Name != "gameday-load-"+rec.ID || rec.Kind != revert.KindLoadJob || rec.Session != "s1" || rec.Lease != "shop/gameday-session-s1" ||
		rec.Object != (revert.Ref{Group: "batch", Version: "v1", Resource: "jobs", Namespace: "shop", Name: job.Name}) ||
		rec.What != "4 workers, burst 400 req/s" || !rec.At.Equal(tb.now) || rec.User != "alice" || job.Labels["app.kubernetes.io/name"] != "gameday-load" {
		t.Fatalf("job %s, record %+v", job.Name, rec)
	}
	if local := state.Records(); len(local) != 1 || local[0].ID != rec.ID {
		t.Fatalf("local records %+v", local)
	}
	if e := r.Entry; e.Action != "load-job" || e.Result != ResultOK || !slices.Equal(e.Targets, []string{"job/shop/" + job.Name}) {
		t.Fatalf("entry %+v", e)
	}
	if got := tb.jobNames("shop"); !slices.Equal(got, []string{job.Name}) {
		t.Fatalf("jobs %v", got)
	}
	if got := in.Pending(); !slices.Equal(got, []string{"load job shop/" + job.Name}) {
		t.Fatalf("HALT would revert %v", got)
	}
	if _, err := tb.env.Halt(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if got := tb.jobNames("shop"); len(got) != 0 || len(state.Records()) != 0 || in.Len() != 0 {
		t.Fatalf("after HALT: jobs %v, local records %+v", got, state.Records())
	}
	d := tb.deletes("jobs")
	if len(d) != 1 || d[0].DeleteOptions.PropagationPolicy == nil || *d[0].DeleteOptions.PropagationPolicy != metav1.DeletePropagationBackground {
		t.Fatalf("the Job's pods go with it: %+v", d)
	}
}

// TestLoadJobIsRefusedWhereLoadOrChangesAre: read-only mode, an unarmed production context and a
// protected namespace refuse the Job; nothing is created, recorded or registered.
func TestLoadJobIsRefusedWhereLoadOrChangesAre(t *testing.T) {
	for name, g := range map[string]*Guard{
		"read-only":  {ReadOnly: true},
		"production": {Context: "prod-eu", ProductionPatterns: []string{"prod-*"}},
		"protected":  {Protected: map[string]bool{"shop": true}},
	} {
		t.Run(name, func(t *testing.T) {
			tb := newTestbed(t, g)
			state := tb.withRecords()
			in := &Injected{}
			r, job, err := tb.env.StartLoadJob(context.Background(), in, workerJob("shop"), "4 workers")
			if !errors.Is(err, model.ErrRefused) || job != nil || r.Entry.Result != ResultRefused || !slices.Equal(r.Entry.Targets, []string{"job/shop/gameday-load-*"}) {
				t.Fatalf("%+v %v", r, err)
			}
			if len(tb.jobNames("shop")) != 0 || len(state.Records()) != 0 || in.Len() != 0 {
				t.Fatal("a refused Job leaves nothing behind")
			}
		})
	}
}

// TestDryRunLoadJobIsValidatedNotKept: a dry-run Job is created with dryRun=All, no record is kept
// and HALT has nothing to delete.
func TestDryRunLoadJobIsValidatedNotKept(t *testing.T) {
	tb := newTestbed(t, &Guard{DryRun: true})
	tb.honourDryRun()
	state := tb.withRecords()
	in := &Injected{}
	r, _, err := tb.env.StartLoadJob(context.Background(), in, workerJob("shop"), "4 workers")
	if err != nil || r.Entry.Result != ResultDryRun {
		t.Fatalf("%+v %v", r, err)
	}
	var dry []string
	for _, a := range tb.cs.Actions() {
		if c, ok := a.(k8stesting.CreateActionImpl); ok && a.GetResource().Resource == "jobs" {
			dry = c.CreateOptions.DryRun
		}
	}
	if !slices.Equal(dry, []string{metav1.DryRunAll}) || len(tb.jobNames("shop")) != 0 || len(state.Records()) != 0 || in.Len() != 0 {
		t.Fatalf("dryRun %v, jobs %v, records %+v, injected %v", dry, tb.jobNames("shop"), state.Records(), in.Pending())
	}
}

// TestLoadJobThatCannotBeCreatedLeavesNoRecord: when the create fails the local record written
// before it is dropped again, and the error names the namespace.
func TestLoadJobThatCannotBeCreatedLeavesNoRecord(t *testing.T) {
	tb := newTestbed(t, nil)
	state := tb.withRecords()
	tb.cs.PrependReactor("create", "jobs", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("quota exceeded")
	})
	in := &Injected{}
	r, job, err := tb.env.StartLoadJob(context.Background(), in, workerJob("shop"), "4 workers")
	if err == nil || job != nil || !strings.Contains(r.Entry.Error, "create the worker Job in shop: quota exceeded") {
		t.Fatalf("%+v %v", r, err)
	}
	if len(state.Records()) != 0 || in.Len() != 0 {
		t.Fatalf("records %+v, injected %v", state.Records(), in.Pending())
	}
}

// TestRevertOfAJobAlreadyGoneIsDone: HALT of a Job someone deleted already succeeds and drops its
// record.
func TestRevertOfAJobAlreadyGoneIsDone(t *testing.T) {
	tb := newTestbed(t, nil)
	state := tb.withRecords()
	in := &Injected{}
	_, job, err := tb.env.StartLoadJob(context.Background(), in, workerJob("shop"), "4 workers")
	if err != nil {
		t.Fatal(err)
	}
	if err := tb.cs.BatchV1().Jobs("shop").Delete(context.Background(), job.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if done, err := in.RevertAll(context.Background()); err != nil || len(done) != 1 || len(state.Records()) != 0 {
		t.Fatalf("%v %v, records %+v", done, err, state.Records())
	}
}
