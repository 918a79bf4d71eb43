package actions

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gamedaylab/gameday/revert"
)

// Leftover is a change a session made and did not undo.
type Leftover struct {
	revert.Record
	// Alive is set when the session that made it still renews its heartbeat; DeadAt is when it will
	// count as dead if it does not renew again (a session killed a moment ago looks alive until then).
	Alive  bool
	DeadAt time.Time
	// Legacy marks a cordon of a gameday from before revert records (its own annotation, no record).
	Legacy bool
}

// Line is the leftover as one line for a person: what, where, whose, since when.
func (l Leftover) Line(now time.Time) string {
	who := "session " + l.Session
	if l.Session == "" {
		who = "a session without a heartbeat"
	}
	if l.User != "" {
		who += " (" + l.User + ")"
	}
	s := fmt.Sprintf("%s %s: %s — %s, %s ago", l.Kind, l.Object, l.What, who, now.Sub(l.At).Round(time.Second))
	if !l.Expires.IsZero() {
		if l.Expired(now) {
			s += fmt.Sprintf(", expired %s ago", now.Sub(l.Expires).Round(time.Second))
		} else {
			s += fmt.Sprintf(", expires in %s", l.Expires.Sub(now).Round(time.Second))
		}
	}
	if l.Alive && !l.DeadAt.IsZero() {
		s += fmt.Sprintf("; its session still looks alive: dead at %s (in %s) unless it renews its heartbeat",
			l.DeadAt.Local().Format("15:04:05"), l.DeadAt.Sub(now).Round(time.Second))
	}
	return s
}

// LeftoverQuery says which records FindLeftovers returns.
type LeftoverQuery struct {
	// Self is the asking session: its own records are never leftovers.
	Self string
	// Expired: those past their duration by more than Grace, whatever their session's state (cordons
	// have no duration and are never expired). Otherwise: those of sessions no longer alive.
	Expired bool
	Grace   time.Duration
	// Alive adds the records of sessions that still look alive (Alive and DeadAt set): listed so a
	// person knows what waits, never reverted by default.
	Alive bool
	// Session keeps only that session's records, whatever its state (--session ID --force).
	Session string
	// StateDir is this machine's local revert records: a record there whose object does not carry it
	// (the change never landed, or was undone) is dropped from its file.
	StateDir string
}

// FindLeftovers lists what gameday sessions changed and did not undo, from the records on the
// objects (nodes, VirtualServices and load Jobs in every namespace), as q says.
func (e *Env) FindLeftovers(ctx context.Context, q LeftoverQuery) ([]Leftover, error) {
	ctx, cancel := context.WithTimeout(ctx, e.timeout())
	defer cancel()
	var recs []Leftover
	var errs []error
	add := func(what string, ann map[string]string) {
		rs, err := revert.Decode(ann[revert.Annotation])
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
		}
		for _, r := range rs {
			recs = append(recs, Leftover{Record: r})
		}
	}
	nodes, err := e.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		errs = append(errs, fmt.Errorf("list nodes: %w", err))
	} else {
		for _, n := range nodes.Items {
			add("node "+n.Name, n.Annotations)
			if by, ok := n.Annotations[revert.LegacyCordonAnnotation]; ok && n.Spec.Unschedulable {
				recs = append(recs, Leftover{Legacy: true, Record: revert.Record{Kind: revert.KindCordon, What: "cordon (an older gameday, " + by + ")",
					Object: revert.Ref{Version: "v1", Resource: "nodes", Name: n.Name}, At: n.CreationTimestamp.Time}})
			}
		}
	}
	if e.Mesh != nil {
		list, err := e.Mesh.Client.Resource(e.Mesh.VS).Namespace("").List(ctx, metav1.ListOptions{})
		if err != nil {
			errs = append(errs, fmt.Errorf("list virtualservices: %w", err))
		} else {
			for _, vs := range list.Items {
				add("virtualservice "+vs.GetNamespace()+"/"+vs.GetName(), vs.GetAnnotations())
			}
		}
	}
	jobs, err := e.Client.BatchV1().Jobs("").List(ctx, metav1.ListOptions{LabelSelector: LoadJobSelector})
	if err != nil && !apierrors.IsForbidden(err) {
		errs = append(errs, fmt.Errorf("list load jobs: %w", err))
	} else if err == nil {
		for _, j := range jobs.Items {
			add("job "+j.Namespace+"/"+j.Name, j.Annotations)
		}
	}
	live := revert.Liveness{Client: e.Client, Now: e.now, Self: q.Self}
	if q.StateDir != "" {
		errs = append(errs, dropStale(ctx, q.StateDir, recs, &live))
	}
	now := e.now()
	var out []Leftover
	for _, l := range recs {
		r := l.Record
		if r.Session != "" && r.Session == q.Self {
			continue
		}
		if q.Session != "" && r.Session != q.Session {
			continue
		}
		alive, deadAt, err := live.Until(ctx, r)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		switch {
		case q.Session != "":
		case q.Expired:
			if r.Expires.IsZero() || !now.After(r.Expires.Add(q.Grace)) {
				continue
			}
		case alive && !q.Alive:
			continue
		}
		l.Alive, l.DeadAt = alive, deadAt
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, errors.Join(errs...)
}

// dropStale drops from this machine's state files the records of dead sessions that no object
// carries: the change never landed (a crash between the local record and the write) or was undone
// since. A live session's are left alone: it writes its record before the change.
func dropStale(ctx context.Context, dir string, onObjects []Leftover, live *revert.Liveness) error {
	on := map[string]bool{}
	for _, l := range onObjects {
		on[l.ID] = true
	}
	files, err := revert.States(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, f := range files {
		for _, r := range f.Records() {
			if on[r.ID] {
				continue
			}
			if alive, err := live.Alive(ctx, r); err != nil || alive {
				continue
			}
			errs = append(errs, f.Drop(r.ID))
		}
	}
	return errors.Join(errs...)
}

// PauseEngines pauses the other chaos engines' experiments that touch the namespaces (a dead
// session's HALT, done by the reaper) and journals it as cleanup.
func (e *Env) PauseEngines(ctx context.Context, namespaces []string) (Result, error) {
	entry := Entry{Time: e.now(), Context: e.Context, User: e.User, Action: Cleanup}
	var errs []error
	for _, ns := range namespaces {
		c := *e.Engines
		c.Scope = func() string { return ns }
		ctx, cancel := context.WithTimeout(ctx, e.timeout())
		paused, err := c.Halt(ctx)
		cancel()
		entry.Targets = append(entry.Targets, paused...)
		errs = append(errs, err)
	}
	entry.Detail = fmt.Sprintf("other chaos engines in the namespaces of dead sessions (%s): %s", strings.Join(namespaces, ", "), cmp.Or(strings.Join(entry.Targets, ", "), "none running"))
	return e.record(entry, errors.Join(errs...))
}

// LoadJobSelector labels the Jobs of distributed load workers.
const LoadJobSelector = "app.kubernetes.io/name=gameday-load"

// RevertLeftovers undoes each leftover and journals the whole as one cleanup entry. In dry-run mode
// the apiserver validates each revert and nothing changes.
func (e *Env) RevertLeftovers(ctx context.Context, list []Leftover) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, e.timeout())
	defer cancel()
	dry := e.Guard != nil && e.Guard.DryRun
	entry := Entry{Time: e.now(), Context: e.Context, User: e.User, Action: Cleanup, DryRun: dry}
	var errs []error
	var done []string
	for _, l := range list {
		var err error
		switch l.Kind {
		case revert.KindCordon:
			id := l.ID
			if l.Legacy {
				id = "" // no record of its own: its mark goes, and the cordon unless a live record holds it
			}
			err = e.uncordon(ctx, l.Object.Name, id, dry)
		case revert.KindFault:
			err = e.revertFault(ctx, l.Record, dry)
		case revert.KindLoadJob:
			err = (&jobReverter{env: e, namespace: l.Object.Namespace, name: l.Object.Name, dry: dry}).Revert(ctx)
		default:
			err = fmt.Errorf("unknown kind of change %q on %s: revert it by hand", l.Kind, l.Object)
		}
		entry.Targets = append(entry.Targets, l.Object.String())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		done = append(done, l.Kind+" "+l.Object.String())
	}
	verb := "reverted"
	if dry {
		verb = "dry run: would revert (the apiserver validated it, nothing changed)"
	}
	entry.Detail = fmt.Sprintf("%s %d of %d left by other sessions: %s", verb, len(done), len(list), strings.Join(done, ", "))
	return e.record(entry, errors.Join(errs...))
}
