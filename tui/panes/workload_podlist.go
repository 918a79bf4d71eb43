package panes

import (
	"sort"
	"strings"

	"github.com/gamedaylab/gameday/model"
)

func (p *Workload) matches(pod *model.Pod, d *model.Deployment) bool {
	if p.ctx.Target == "" {
		return p.ctx.Namespace == "" || pod.Namespace == p.ctx.Namespace
	}
	return model.Matches(pod, d)
}

func selectorKey(d *model.Deployment) string {
	if d == nil {
		return ""
	}
	parts := make([]string, 0, len(d.Selector))
	for k, v := range d.Selector {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return d.Namespace + "|" + strings.Join(parts, ",")
}

// rebuild derives the pod list from scratch: on a reset, a target change or a selector change.
func (p *Workload) rebuild() {
	d := p.target()
	p.sel = selectorKey(d)
	p.keys = p.keys[:0]
	for k, pod := range p.ctx.Cluster.Pods {
		if p.matches(pod, d) {
			p.keys = append(p.keys, k)
		}
	}
	for k, g := range p.ctx.Cluster.Gone {
		if p.matches(&g.Pod, d) {
			p.keys = append(p.keys, k)
		}
	}
	sort.Strings(p.keys)
	p.scroll.SetN(len(p.keys))
	p.recount()
	p.valid = false
}

// recount derives the zone counts from every shown pod (reset, target or node changes).
func (p *Workload) recount() {
	p.contrib, p.perZone, p.pending, p.whyDirty = map[string]podContrib{}, map[string]int{}, 0, true
	for _, k := range p.keys {
		p.account(k)
	}
}

// account adds the pod's contribution (if it is live and shown); unaccount removes it.
func (p *Workload) account(k string) {
	pod, ok := p.ctx.Cluster.Pods[k]
	if !ok {
		return
	}
	c := podContrib{pending: pod.Phase == "Pending" && !pod.Terminating()}
	if pod.Node != "" && !pod.Terminating() {
		c.zone, c.counted = p.ctx.Cluster.Zone(pod.Node), true
		if c.zone == "" {
			c.zone = "-"
		}
		p.perZone[c.zone]++
	}
	if c.pending {
		p.pending++
	}
	p.contrib[k] = c
}

func (p *Workload) unaccount(k string) {
	c, ok := p.contrib[k]
	if !ok {
		return
	}
	if c.counted {
		p.perZone[c.zone]--
	}
	if c.pending {
		p.pending--
	}
	delete(p.contrib, k)
}

// apply folds a delta into the sorted list without re-sorting: insert or remove by binary search.
func (p *Workload) apply(d *model.ClusterDelta) {
	p.valid = false
	t := p.target()
	if d == nil || d.Reset || selectorKey(t) != p.sel {
		p.rebuild()
		return
	}
	for i := range d.Pods {
		pod := &d.Pods[i]
		k := pod.Key()
		idx, found := p.find(k)
		switch m := p.matches(pod, t); {
		case m && !found:
			p.keys = append(p.keys, "")
			copy(p.keys[idx+1:], p.keys[idx:])
			p.keys[idx] = k
		case !m && found:
			p.keys = append(p.keys[:idx], p.keys[idx+1:]...)
		}
	}
	// Deleted pods stay listed (marked gone) until dropExpired removes them.
	p.scroll.SetN(len(p.keys))
	if len(d.Nodes)+len(d.NodesGone) > 0 {
		p.recount() // a node's zone may have changed
		return
	}
	for i := range d.Pods {
		k := d.Pods[i].Key()
		p.unaccount(k)
		if p.matches(&d.Pods[i], t) {
			p.account(k)
		}
	}
	for _, k := range d.PodsGone {
		p.unaccount(k)
	}
	if len(d.Events) > 0 || len(d.Pods) > 0 {
		p.whyDirty = true
	}
}

// dropExpired removes forgotten pods by binary search: under churn pods expire every second, and
// scanning all 5,000 keys for them was the cockpit's largest cost per tick.
func (p *Workload) dropExpired(pruned []string) {
	for _, k := range pruned {
		if _, live := p.ctx.Cluster.Pods[k]; live {
			continue // back under the same name
		}
		if i, found := p.find(k); found {
			p.keys = append(p.keys[:i], p.keys[i+1:]...)
		}
	}
	p.scroll.SetN(len(p.keys))
}

// find is where key k is, or would be, in the sorted p.keys.
func (p *Workload) find(k string) (int, bool) {
	i := sort.SearchStrings(p.keys, k)
	return i, i < len(p.keys) && p.keys[i] == k
}
