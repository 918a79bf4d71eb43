package model

import (
	"iter"
	"sort"
	"time"
)

// Cluster is the cockpit's copy of the cluster, built from the source's deltas. It is touched only on
// the UI goroutine (in Update), so it needs no locks.
type Cluster struct {
	Pods        map[string]*Pod
	Deployments map[string]*Deployment
	ReplicaSets map[string]*ReplicaSet
	HPAs        map[string]*HPA
	Nodes       map[string]*Node
	PDBs        map[string]*PDB
	// VirtualServices are Istio's, when the cluster serves them.
	VirtualServices map[string]*VirtualService
	VPAs            map[string]*VPA
	// Autoscaler is the cluster-autoscaler's last status (nil when its ConfigMap is not there).
	Autoscaler *Autoscaler
	Events     map[string]*EventEntry
	// Gone remembers recently deleted pods so panes can keep them visible, marked, for a few seconds.
	Gone map[string]GonePod

	eventSeq   int
	eventOrder []string // event keys in arrival order: trimming drops the front, no sorting
	Synced     bool
}

// EventEntry is an event with the order it was first seen in (stable order across updates).
type EventEntry struct {
	Event
	Seq   int
	First time.Time
}

// GonePod is a pod deleted at At.
type GonePod struct {
	Pod Pod
	At  time.Time
}

// maxEvents bounds memory: the oldest events fall off.
const maxEvents = 1000

// NewCluster makes an empty store.
func NewCluster() *Cluster {
	c := &Cluster{}
	c.reset()
	return c
}

func (c *Cluster) reset() {
	c.Pods = map[string]*Pod{}
	c.Deployments = map[string]*Deployment{}
	c.ReplicaSets = map[string]*ReplicaSet{}
	c.HPAs = map[string]*HPA{}
	c.Nodes = map[string]*Node{}
	c.PDBs = map[string]*PDB{}
	c.VirtualServices = map[string]*VirtualService{}
	c.VPAs = map[string]*VPA{}
	c.Autoscaler = nil
	c.Events = map[string]*EventEntry{}
	c.eventOrder = nil
	c.Gone = map[string]GonePod{}
}

// Apply folds a delta into the store. It does not change d (every subscriber of the bus shares it).
func (c *Cluster) Apply(d *ClusterDelta, now time.Time) {
	if d.Reset {
		c.reset()
		c.Synced = true
	}
	// Each object is copied: a pointer into the delta would keep the whole batch (and every
	// superseded object in it) alive for as long as one of its objects is current.
	for i := range d.Pods {
		p := d.Pods[i]
		c.Pods[p.Key()] = &p
		delete(c.Gone, p.Key())
	}
	for _, k := range d.PodsGone {
		if p, ok := c.Pods[k]; ok {
			c.Gone[k] = GonePod{Pod: *p, At: now}
			delete(c.Pods, k)
		}
	}
	upsert(c.Deployments, d.Deployments, d.DeploysGone, Deployment.Key)
	upsert(c.ReplicaSets, d.ReplicaSets, d.RSGone, ReplicaSet.Key)
	upsert(c.HPAs, d.HPAs, d.HPAsGone, HPA.Key)
	upsert(c.Nodes, d.Nodes, d.NodesGone, func(n Node) string { return n.Name })
	upsert(c.PDBs, d.PDBs, d.PDBsGone, PDB.Key)
	upsert(c.VirtualServices, d.VSs, d.VSsGone, VirtualService.Key)
	upsert(c.VPAs, d.VPAs, d.VPAsGone, VPA.Key)
	if d.AutoscalerGone {
		c.Autoscaler = nil
	}
	if d.Autoscaler != nil {
		a := *d.Autoscaler
		c.Autoscaler = &a
	}
	// Arrival order breaks ties between events of the same second; a relist delivers them in map
	// order, so order them by time and name (names of one object's events increase) first. The delta
	// is shared by every subscriber of the bus: sort a copy.
	events := append([]Event(nil), d.Events...)
	sort.SliceStable(events, func(i, j int) bool {
		if !events[i].Time.Equal(events[j].Time) {
			return events[i].Time.Before(events[j].Time)
		}
		return events[i].Name < events[j].Name
	})
	for _, e := range events {
		if old, ok := c.Events[e.Key()]; ok {
			old.Event = e
			continue
		}
		c.eventSeq++
		c.Events[e.Key()] = &EventEntry{Event: e, Seq: c.eventSeq, First: e.Time}
		c.eventOrder = append(c.eventOrder, e.Key())
	}
	for len(c.Events) > maxEvents && len(c.eventOrder) > 0 {
		delete(c.Events, c.eventOrder[0])
		c.eventOrder = c.eventOrder[1:]
	}
}

// upsert stores each of items under its key, then removes the gone keys (the order Apply reads a
// delta in).
func upsert[T any](m map[string]*T, items []T, gone []string, key func(T) string) {
	for i := range items {
		x := items[i]
		m[key(x)] = &x
	}
	for _, k := range gone {
		delete(m, k)
	}
}

// Rollout is the target's ReplicaSets that still have replicas, newest first: more than one means a
// rollout is under way (the newest is the new template, the others the old ones draining).
func (c *Cluster) Rollout(ns, deploy string) []ReplicaSet {
	var out []ReplicaSet
	for _, r := range c.ReplicaSets {
		if r.Namespace == ns && r.Deployment == deploy && (r.Desired > 0 || r.Ready > 0) {
			out = append(out, *r)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.After(out[j].Created)
		}
		return out[i].Name > out[j].Name
	})
	return out
}

// SortedEvents returns events oldest first, by first-seen time then arrival: an event whose count
// goes up does not jump around.
func (c *Cluster) SortedEvents() []*EventEntry {
	out := make([]*EventEntry, 0, len(c.Events))
	for _, e := range c.Events {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].First.Equal(out[j].First) {
			return out[i].First.Before(out[j].First)
		}
		return out[i].Seq < out[j].Seq
	})
	return out
}

// PruneGone forgets pods deleted more than keep ago and returns their keys.
func (c *Cluster) PruneGone(now time.Time, keep time.Duration) []string {
	var dropped []string
	for k, g := range c.Gone {
		if now.Sub(g.At) > keep {
			delete(c.Gone, k)
			dropped = append(dropped, k)
		}
	}
	return dropped
}

// Deployment returns the named Deployment.
func (c *Cluster) Deployment(ns, name string) *Deployment { return c.Deployments[ns+"/"+name] }

// VPAFor is the VerticalPodAutoscaler whose targetRef is the Deployment (the first by name when
// several are, which the VPA itself reports as a misconfiguration).
func (c *Cluster) VPAFor(ns, deploy string) *VPA {
	var out *VPA
	for _, v := range c.VPAs {
		if v.Namespace == ns && v.TargetKind == "Deployment" && v.TargetName == deploy && (out == nil || v.Name < out.Name) {
			out = v
		}
	}
	return out
}

// HPAFor returns the HPA that scales the named Deployment.
func (c *Cluster) HPAFor(ns, deploy string) *HPA {
	for _, h := range c.HPAs {
		if h.Namespace == ns && h.TargetKind == "Deployment" && h.TargetName == deploy {
			return h
		}
	}
	return nil
}

// Zone of a node ("" when unknown).
func (c *Cluster) Zone(node string) string {
	if n, ok := c.Nodes[node]; ok {
		return n.Zone
	}
	return ""
}

// Matches reports whether a pod belongs to the Deployment (by its label selector).
func Matches(p *Pod, d *Deployment) bool {
	if d == nil || p.Namespace != d.Namespace || len(d.Selector) == 0 {
		return false
	}
	for k, v := range d.Selector {
		if p.Labels[k] != v {
			return false
		}
	}
	return true
}

// TargetPods returns the live pods of the Deployment (all pods of ns when deploy is "").
func (c *Cluster) TargetPods(ns, deploy string) []Pod {
	d := c.Deployment(ns, deploy)
	var out []Pod
	for _, p := range c.Pods {
		if deploy == "" && (ns == "" || p.Namespace == ns) || Matches(p, d) {
			out = append(out, *p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out
}

// ZoneCount is nodes and pods in one zone.
type ZoneCount struct {
	Zone         string
	Nodes, Ready int
	Pods         int
}

// Zones counts nodes (ready) and the given pods per zone, sorted by zone.
func (c *Cluster) Zones(pods iter.Seq[*Pod]) []ZoneCount {
	m := map[string]*ZoneCount{}
	get := func(z string) *ZoneCount {
		if z == "" {
			z = "-"
		}
		if m[z] == nil {
			m[z] = &ZoneCount{Zone: z}
		}
		return m[z]
	}
	for _, n := range c.Nodes {
		zc := get(n.Zone)
		zc.Nodes++
		if n.Ready && !n.Unschedulable {
			zc.Ready++
		}
	}
	for p := range pods {
		if p.Node != "" && !p.Terminating() {
			get(c.Zone(p.Node)).Pods++
		}
	}
	out := make([]ZoneCount, 0, len(m))
	for _, z := range m {
		out = append(out, *z)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Zone < out[j].Zone })
	return out
}
