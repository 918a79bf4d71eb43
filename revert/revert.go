// Package revert keeps what gameday changed findable after anything: a revert record travels on the
// changed object itself (an annotation naming the session, the change and when it expires), a copy
// goes to a local state file before the change is made, and each session holds a heartbeat Lease so
// that a later start (or `gameday revert` from another machine) can tell the leftovers of a dead
// session from the live changes of a running one.
package revert

import (
	"encoding/json"
	"fmt"
	"maps"
	"sort"
	"time"
)

// Annotation holds the JSON list of revert records on a changed object.
const Annotation = "gameday.dev/revert"

// LegacyCordonAnnotation marked cordons before revert records existed; a node carrying it is a
// leftover of a session that had no heartbeat.
const LegacyCordonAnnotation = "gameday.dev/cordoned-by"

// Kinds of change.
const (
	KindCordon  = "cordon"
	KindFault   = "istio-fault"
	KindLoadJob = "load-job" // the Job of distributed load workers: deleted with its pods
)

// Ref names the changed object.
type Ref struct {
	Group     string `json:"group,omitempty"`
	Version   string `json:"version"`
	Resource  string `json:"resource"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// String is resource/namespace/name, as a person reads it.
func (r Ref) String() string {
	if r.Namespace == "" {
		return r.Resource + "/" + r.Name
	}
	return r.Resource + "/" + r.Namespace + "/" + r.Name
}

// Record is one change and how to undo it.
type Record struct {
	// ID is unique per change; a fault's routes are named gameday-ID-N.
	ID      string `json:"id"`
	Session string `json:"session"`
	// Lease is the session's heartbeat (namespace/name); the record is a leftover once it is gone or
	// has not been renewed within its duration.
	Lease   string    `json:"lease,omitempty"`
	Kind    string    `json:"kind"`
	Object  Ref       `json:"object"`
	What    string    `json:"what"`
	At      time.Time `json:"at"`
	Expires time.Time `json:"expires,omitzero"`
	// Created is set when gameday created the object (a VirtualService where none existed): the revert
	// deletes it once nothing but gameday's routes is left.
	Created bool   `json:"created,omitempty"`
	Context string `json:"context,omitempty"`
	User    string `json:"user,omitempty"`
}

// Expired reports whether the change has outlived its duration (never, without one).
func (r Record) Expired(now time.Time) bool { return !r.Expires.IsZero() && now.After(r.Expires) }

// Decode reads an annotation's records; an empty annotation has none. A record that cannot be read
// is an error naming the object's annotation, never silently dropped.
func Decode(s string) ([]Record, error) {
	if s == "" {
		return nil, nil
	}
	var out []Record
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("annotation %s: %w", Annotation, err)
	}
	return out, nil
}

// Encode writes records as the annotation's value ("" when none are left), ordered by ID so that two
// writers produce the same text.
func Encode(rs []Record) string {
	if len(rs) == 0 {
		return ""
	}
	rs = append([]Record(nil), rs...)
	sort.Slice(rs, func(i, j int) bool { return rs[i].ID < rs[j].ID })
	b, _ := json.Marshal(rs) // plain data: cannot fail
	return string(b)
}

// With returns annotations with r added (replacing a record of the same ID). The map is copied.
func With(ann map[string]string, r Record) (map[string]string, error) {
	rs, err := Decode(ann[Annotation])
	if err != nil {
		return nil, err
	}
	out := make([]Record, 0, len(rs)+1)
	for _, x := range rs {
		if x.ID != r.ID {
			out = append(out, x)
		}
	}
	return put(ann, append(out, r)), nil
}

// Without returns annotations without the record id (the annotation goes when it was the last).
func Without(ann map[string]string, id string) (map[string]string, error) {
	rs, err := Decode(ann[Annotation])
	if err != nil {
		return nil, err
	}
	out := rs[:0]
	for _, x := range rs {
		if x.ID != id {
			out = append(out, x)
		}
	}
	return put(ann, out), nil
}

func put(ann map[string]string, rs []Record) map[string]string {
	m := make(map[string]string, len(ann)+1)
	maps.Copy(m, ann)
	if v := Encode(rs); v != "" {
		m[Annotation] = v
	} else {
		delete(m, Annotation)
	}
	return m
}
