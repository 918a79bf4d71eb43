// Package bridge carries other tools' experiments (the Chaos Toolkit's, Chaos Mesh's) into gameday's
// catalog: each change they ask for is a catalog action on the session, so the guard, the journal,
// the markers and HALT hold for it as for a native step, aimed at the namespace and the Deployment
// it touches.
package bridge

import (
	"cmp"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/session"
)

// Bridge acts for a foreign experiment on a session.
type Bridge struct{ S *session.Session }

// At points the session at the namespace and the Deployment a change touches, as a scenario's
// target step does. An experiment runs in the session's namespace (-n): another one is an error.
func (b Bridge) At(ns, deploy string) error {
	if ns != "" && ns != b.S.Namespace() {
		return fmt.Errorf("it acts in namespace %q and this run is in %q: run with -n %s (gameday runs an experiment in one namespace)",
			ns, b.S.Namespace(), ns)
	}
	if deploy != "" && deploy != b.S.Target() {
		b.S.SetTarget(deploy)
	}
	return nil
}

// Act runs one catalog action through the session and says what it did; a refusal or an error is
// an error.
func (b Bridge) Act(ctx context.Context, name actions.Name, args string) (actions.Result, string, error) {
	spec, ok := actions.Lookup(name)
	if !ok || spec.Command == "" {
		return actions.Result{}, "", fmt.Errorf("no action %s in the catalog", name)
	}
	r, err := b.S.Act(ctx, spec.Command, args)
	did := strings.TrimSpace(string(name) + " " + args)
	if r.Entry.Result == actions.ResultDryRun {
		did += " (dry run)"
	}
	if err != nil {
		return r, did, err
	}
	if r.Entry.Result == actions.ResultRefused || r.Entry.Result == actions.ResultError {
		return r, did, fmt.Errorf("%s: %s", r.Entry.Result, cmp.Or(r.Entry.Error, r.Err))
	}
	return r, did, nil
}

// KillPod kills one pod the API listed, through the catalog's kill of its Deployment (the guard's
// ready minimum holds), with grace seconds when given.
func (b Bridge) KillPod(ctx context.Context, p corev1.Pod, grace *int64) (string, error) {
	if err := b.At(p.Namespace, DeploymentOf(p)); err != nil {
		return "", err
	}
	if err := b.WaitSeen(ctx, "pod/"+p.Name, p.Namespace, func(c *model.Cluster) bool { return c.Pods[p.Namespace+"/"+p.Name] != nil }); err != nil {
		return "", err
	}
	args := "pod/" + p.Name
	if grace != nil {
		args += " grace " + strconv.FormatInt(*grace, 10)
	}
	_, did, err := b.Act(ctx, actions.Kill, args)
	return did, err
}

// WaitSeen waits a little for the session's view to hold what the API already has (its watch may
// lag the API): gameday's actions plan from the view.
func (b Bridge) WaitSeen(ctx context.Context, what, ns string, seen func(c *model.Cluster) bool) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok := false
		b.S.View(func(w actions.World) { ok = seen(w.Cluster) })
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s is not in gameday's view of namespace %s", what, ns)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// DeploymentOf names the Deployment that owns a pod through its ReplicaSet, or "": a Deployment's
// ReplicaSet is named NAME-HASH.
func DeploymentOf(p corev1.Pod) string {
	for _, o := range p.OwnerReferences {
		if o.Kind == "ReplicaSet" {
			if i := strings.LastIndex(o.Name, "-"); i > 0 {
				return o.Name[:i]
			}
		}
	}
	return ""
}
