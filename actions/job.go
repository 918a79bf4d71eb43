package actions

import (
	"context"
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gamedaylab/gameday/revert"
)

func init() {
	register(Spec{Name: LoadJob, Order: 65, Help: "distributed load workers started as a Job (gameday load --workers); HALT deletes it",
		Marker: "load job", Event: true})
}

// StartLoadJob creates the Indexed Job of distributed load workers (gameday load --workers) as an
// action: the guard refuses it where load is refused (read-only, an unarmed production context) and
// in a protected namespace, it is journaled, and the Job is registered in in, so HALT (Ctrl-C,
// SIGTERM, a breached threshold, the run's end) deletes it with its pods and no worker keeps sending.
func (e *Env) StartLoadJob(ctx context.Context, in *Injected, job *batchv1.Job, detail string) (Result, *batchv1.Job, error) {
	ns := job.Namespace
	entry := Entry{Time: e.now(), Context: e.Context, User: e.User, Action: LoadJob, Targets: []string{"job/" + ns + "/" + job.GenerateName + "*"},
		Detail: detail, DryRun: e.Guard != nil && e.Guard.DryRun}
	if err := e.Guard.checkLoad(); err != nil {
		r, err := e.record(entry, err)
		return r, nil, err
	}
	if err := e.Guard.Check(ns); err != nil {
		r, err := e.record(entry, err)
		return r, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout())
	defer cancel()
	var dry []string
	if entry.DryRun {
		dry = []string{metav1.DryRunAll}
	}
	// Named after its revert record, which it carries: a reaper finds it by its label and deletes it
	// once the process that made it stops renewing its heartbeat.
	job = job.DeepCopy()
	rec := e.newRecord(revert.KindLoadJob, revert.Ref{Group: "batch", Version: "v1", Resource: "jobs", Namespace: ns}, detail, time.Time{})
	job.Name, job.GenerateName = job.GenerateName+rec.ID, ""
	rec.Object.Name = job.Name
	ann, err := revert.With(job.Annotations, rec)
	if err != nil {
		r, err := e.record(entry, err)
		return r, nil, err
	}
	job.Annotations = ann
	if !entry.DryRun {
		if err := e.keep(rec); err != nil {
			r, err := e.record(entry, err)
			return r, nil, err
		}
	}
	created, err := e.Client.BatchV1().Jobs(ns).Create(ctx, job, metav1.CreateOptions{DryRun: dry})
	if err != nil {
		e.forgetRecord(rec.ID)
		r, err := e.record(entry, fmt.Errorf("create the worker Job in %s: %w", ns, err))
		return r, nil, err
	}
	entry.Targets = []string{"job/" + ns + "/" + created.Name}
	if !entry.DryRun && in != nil {
		in.Add(&jobReverter{env: e, namespace: ns, name: created.Name, id: rec.ID})
	}
	r, err := e.record(entry, nil)
	return r, created, err
}

// jobReverter deletes a load Job and, through the garbage collector, its pods.
type jobReverter struct {
	env             *Env
	namespace, name string
	dry             bool
	id              string // its revert record's
}

func (j *jobReverter) Describe() string { return "load job " + j.namespace + "/" + j.name }

func (j *jobReverter) Revert(ctx context.Context) error {
	bg := metav1.DeletePropagationBackground
	opts := metav1.DeleteOptions{PropagationPolicy: &bg}
	if j.dry {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	err := j.env.Client.BatchV1().Jobs(j.namespace).Delete(ctx, j.name, opts)
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete job %s/%s: %w", j.namespace, j.name, err)
	}
	if !j.dry && j.id != "" {
		j.env.forgetRecord(j.id)
	}
	return nil
}
