package experiment

import (
	"context"
	"time"

	"github.com/gamedaylab/gameday/model"
)

// watchScaling times the target's HPA reacting to a load step, until the method ends: desired
// replicas changed, then ready replicas up to the new desired.
func (r *runner) watchScaling(ctx context.Context, n int) {
	ns, target := r.s.Namespace(), r.s.Target()
	var hpa string
	var from int32
	r.s.Store(func(c *model.Cluster) {
		if h := c.HPAFor(ns, target); h != nil {
			hpa, from = h.Name, h.Desired
		}
	})
	if hpa == "" {
		return
	}
	sc := Scaling{Step: n, HPA: hpa, Start: r.s.Now(), From: from}
	r.bg.Add(1)
	go func() {
		defer r.bg.Done()
		defer r.record(func(j *RunRecord) { j.Scaling = append(j.Scaling, sc) })
		for ctx.Err() == nil && (sc.DesiredChanged == 0 || sc.Ready == 0) {
			var desired, ready int32
			found := false
			r.s.Store(func(c *model.Cluster) {
				h, d := c.HPAFor(ns, target), c.Deployment(ns, target)
				if h != nil && d != nil {
					desired, ready, found = h.Desired, d.Ready, true
				}
			})
			now := r.s.Now()
			if found && desired != from && sc.DesiredChanged == 0 {
				sc.DesiredChanged = now.Sub(sc.Start)
				r.say("HPA %s: desired %d -> %d after %s", hpa, from, desired, sc.DesiredChanged.Round(100*time.Millisecond))
			}
			sc.To = max(sc.To, desired)
			if sc.DesiredChanged > 0 && sc.Ready == 0 && ready >= desired && desired > from {
				sc.Ready = now.Sub(sc.Start)
				r.say("HPA %s: %d pods ready after %s", hpa, ready, sc.Ready.Round(100*time.Millisecond))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
}
