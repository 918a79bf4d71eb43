package model

import (
	"maps"
	"sort"
	"time"
)

// Clone copies the store for a replay's index of snapshots. Objects are shared: Apply replaces an
// object's pointer and never writes through one, except for events, which are copied.
func (c *Cluster) Clone() *Cluster {
	out := &Cluster{
		Pods: maps.Clone(c.Pods), Deployments: maps.Clone(c.Deployments), ReplicaSets: maps.Clone(c.ReplicaSets),
		HPAs: maps.Clone(c.HPAs), Nodes: maps.Clone(c.Nodes), PDBs: maps.Clone(c.PDBs),
		VirtualServices: maps.Clone(c.VirtualServices), VPAs: maps.Clone(c.VPAs), Autoscaler: c.Autoscaler, Gone: maps.Clone(c.Gone),
		Events: make(map[string]*EventEntry, len(c.Events)), eventSeq: c.eventSeq,
		eventOrder: append([]string(nil), c.eventOrder...), Synced: c.Synced,
	}
	for k, e := range c.Events {
		cp := *e
		out.Events[k] = &cp
	}
	return out
}

// Snapshot is the store as one Reset delta stamped at: applied to an empty store it gives this one
// (events in the order they were first seen). Objects are listed by key, so equal stores give equal
// deltas.
func (c *Cluster) Snapshot(at time.Time) *ClusterDelta {
	d := &ClusterDelta{Reset: true, At: at}
	d.Pods = values(c.Pods)
	d.Deployments = values(c.Deployments)
	d.ReplicaSets = values(c.ReplicaSets)
	d.HPAs = values(c.HPAs)
	d.Nodes = values(c.Nodes)
	d.PDBs = values(c.PDBs)
	d.VSs = values(c.VirtualServices)
	d.VPAs = values(c.VPAs)
	d.Autoscaler = c.Autoscaler
	for _, k := range c.eventOrder {
		if e, ok := c.Events[k]; ok {
			d.Events = append(d.Events, e.Event)
		}
	}
	return d
}

func values[T any](m map[string]*T) []T {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]T, len(keys))
	for i, k := range keys {
		out[i] = *m[k]
	}
	return out
}
