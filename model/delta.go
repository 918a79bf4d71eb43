package model

// Merge returns one delta with the effect of d followed by n, for a subscriber that fell behind: its
// pending cluster deltas are folded into one instead of being dropped. Neither input is changed (both
// may be held by other subscribers). At stays the older one, so latency is measured from the first
// change that waited.
func Merge(d, n *ClusterDelta) *ClusterDelta {
	if n.Reset {
		out := *n
		if !d.At.IsZero() && d.At.Before(n.At) {
			out.At = d.At
		}
		return &out
	}
	out := &ClusterDelta{Reset: d.Reset, At: d.At}
	if out.At.IsZero() {
		out.At = n.At
	}
	out.Pods, out.PodsGone = mergeKind(d.Pods, d.PodsGone, n.Pods, n.PodsGone, Pod.Key)
	out.Deployments, out.DeploysGone = mergeKind(d.Deployments, d.DeploysGone, n.Deployments, n.DeploysGone, Deployment.Key)
	out.ReplicaSets, out.RSGone = mergeKind(d.ReplicaSets, d.RSGone, n.ReplicaSets, n.RSGone, ReplicaSet.Key)
	out.HPAs, out.HPAsGone = mergeKind(d.HPAs, d.HPAsGone, n.HPAs, n.HPAsGone, HPA.Key)
	out.Nodes, out.NodesGone = mergeKind(d.Nodes, d.NodesGone, n.Nodes, n.NodesGone, func(x Node) string { return x.Name })
	out.PDBs, out.PDBsGone = mergeKind(d.PDBs, d.PDBsGone, n.PDBs, n.PDBsGone, PDB.Key)
	out.VSs, out.VSsGone = mergeKind(d.VSs, d.VSsGone, n.VSs, n.VSsGone, VirtualService.Key)
	out.VPAs, out.VPAsGone = mergeKind(d.VPAs, d.VPAsGone, n.VPAs, n.VPAsGone, VPA.Key)
	out.Events, _ = mergeKind(d.Events, nil, n.Events, nil, Event.Key)
	// Apply clears the autoscaler's status on Gone, then sets the one given.
	out.Autoscaler, out.AutoscalerGone = d.Autoscaler, d.AutoscalerGone
	if n.AutoscalerGone {
		out.Autoscaler, out.AutoscalerGone = nil, true
	}
	if n.Autoscaler != nil {
		out.Autoscaler = n.Autoscaler
	}
	return out
}

// mergeKind folds the upserts and deletions of one kind the way Apply reads them (a delta's upserts,
// then its deletions): a later upsert replaces an earlier one and cancels an earlier deletion, a later
// deletion removes an earlier upsert. Order of first appearance is kept.
func mergeKind[T any](up []T, gone []string, nUp []T, nGone []string, key func(T) string) ([]T, []string) {
	if len(nUp)+len(nGone) == 0 {
		return up, gone
	}
	if len(up)+len(gone) == 0 {
		return nUp, nGone
	}
	idx := make(map[string]int, len(up)+len(nUp))
	outUp := make([]T, 0, len(up)+len(nUp))
	for _, x := range up {
		k := key(x)
		if i, ok := idx[k]; ok {
			outUp[i] = x
			continue
		}
		idx[k] = len(outUp)
		outUp = append(outUp, x)
	}
	deleted := map[string]bool{}
	for _, k := range gone {
		deleted[k] = true
	}
	for _, x := range nUp {
		k := key(x)
		delete(deleted, k)
		if i, ok := idx[k]; ok {
			outUp[i] = x
			continue
		}
		idx[k] = len(outUp)
		outUp = append(outUp, x)
	}
	for _, k := range nGone {
		deleted[k] = true
		if i, ok := idx[k]; ok {
			delete(idx, k)
			var zero T
			outUp[i] = zero // removed below
		}
	}
	kept := make([]T, 0, len(idx))
	for j, x := range outUp {
		if i, ok := idx[key(x)]; ok && i == j {
			kept = append(kept, x)
		}
	}
	var outGone []string
	for _, k := range append(append([]string(nil), gone...), nGone...) {
		if deleted[k] {
			outGone = append(outGone, k)
			delete(deleted, k)
		}
	}
	return kept, outGone
}
