package actions

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gamedaylab/gameday/revert"
)

// Leftover is a change a session made and did not undo.
type Leftover struct {
	revert.Record
	// Alive is set when the session that made it still renews its heartbeat.
	Alive bool
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
	return s
}

// FindLeftovers lists what gameday sessions changed and did not undo, from the records on the
// objects (nodes, VirtualServices in every namespace). Without expired, those of sessions that are no
// longer alive; with it, those past their duration by more than grace (a live session may be
// reverting it itself) whatever the session's state — cordons have no duration and are never
// expired. The caller's own session is never a leftover.
func (e *Env) FindLeftovers(ctx context.Context, self string, expired bool, grace time.Duration) ([]Leftover, error) {
	ctx, cancel := context.WithTimeout(ctx, e.timeout())
	defer cancel()
	var recs []Leftover
	var errs []error
	add := func(rs []revert.Record) {
		for _, r := range rs {
			recs = append(recs, Leftover{Record: r})
		}
	}
	nodes, err := e.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		errs = append(errs, fmt.Errorf("list nodes: %w", err))
	} else {
		for _, n := range nodes.Items {
			rs, err := revert.Decode(n.Annotations[revert.Annotation])
			if err != nil {
				errs = append(errs, fmt.Errorf("node %s: %w", n.Name, err))
			}
			add(rs)
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
				rs, err := revert.Decode(vs.GetAnnotations()[revert.Annotation])
				if err != nil {
					errs = append(errs, fmt.Errorf("virtualservice %s/%s: %w", vs.GetNamespace(), vs.GetName(), err))
				}
				add(rs)
			}
		}
	}
	live := revert.Liveness{Client: e.Client, Now: e.now, Self: self}
	now := e.now()
	var out []Leftover
	for _, l := range recs {
		r := l.Record
		if r.Session != "" && r.Session == self {
			continue
		}
		alive, err := live.Alive(ctx, r)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if expired {
			if r.Expires.IsZero() || !now.After(r.Expires.Add(grace)) {
				continue
			}
		} else if alive {
			continue
		}
		l.Alive = alive
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, errors.Join(errs...)
}

// RevertLeftovers undoes each leftover and journals the whole as one cleanup entry. In dry-run mode
// the apiserver validates each revert and nothing changes.
func (e *Env) RevertLeftovers(ctx context.Context, list []Leftover) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, e.timeout())
	defer cancel()
	dry := e.Guard != nil && e.Guard.DryRun
	entry := Entry{Time: e.now(), Context: e.Context, User: e.User, Action: "cleanup", DryRun: dry}
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
