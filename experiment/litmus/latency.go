package litmus

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/experiment/bridge"
	"github.com/gamedaylab/gameday/model"
)

// delay carries a latency fault out as gameday's Istio delay, where Litmus would run tc or a proxy
// in the pods from a helper pod: the affected pods (TARGET_PODS or PODS_AFFECTED_PERC, as
// pod-delete picks them) are behind a Service, and a VirtualService routes to it; the fault delays
// the affected pods' share of its requests (times TOXICITY) by the latency for TOTAL_CHAOS_DURATION,
// then is reverted (HALT and the session's exit revert it too). Without such a VirtualService the
// app is not in the mesh, and the fault is refused saying so.
func (r *runner) delay(ctx context.Context) ([]string, error) {
	pods, err := r.targets(ctx)
	if err != nil {
		return nil, err
	}
	vs, err := r.routeTo(ctx, pods)
	if err != nil {
		return nil, err
	}
	share := float64(len(pods)) / float64(max(r.alive, len(pods))) * float64(r.f.Toxicity)
	what := fmt.Sprintf("vs/%s delay %dms %s%% for %s", vs, r.f.Latency.Milliseconds(), strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", share), "0"), "."),
		(r.f.Duration + 30*time.Second).Round(time.Second))
	b := bridge.Bridge{S: r.s}
	res, did, err := b.Act(ctx, actions.InjectFault, what)
	if err != nil {
		return nil, err
	}
	r.say("  %s/%s: %s (%d of %d pods, toxicity %d%%)", r.e.Name, r.f.Name, did, len(pods), r.alive, r.f.Toxicity)
	var id string
	for _, t := range res.Entry.Targets {
		if v, ok := strings.CutPrefix(t, "fault/"); ok {
			id = v
		}
	}
	sleep(ctx, r.f.Duration)
	if id != "" {
		// the run's context may be done (HALT), which reverts the fault itself
		if _, did, err := b.Act(context.WithoutCancel(ctx), actions.Unfault, id); err == nil {
			r.say("  %s/%s: %s", r.e.Name, r.f.Name, did)
		}
	}
	var names []string
	for _, p := range pods {
		names = append(names, p.Name)
	}
	return names, ctx.Err()
}

// routeTo finds the VirtualService that routes to the Services of pods (in the session's view):
// exactly one, routing to nothing else (gameday's fault covers every route of it).
func (r *runner) routeTo(ctx context.Context, pods []corev1.Pod) (string, error) {
	svcs, err := r.s.Env.Client.CoreV1().Services(r.ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", fmt.Errorf("services in %s: %w", r.ns, err)
	}
	hosts := map[string]bool{}
	var names []string
	for _, s := range svcs.Items {
		if len(s.Spec.Selector) == 0 || !labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(pods[0].Labels)) {
			continue
		}
		names = append(names, s.Name)
		for _, h := range []string{s.Name, s.Name + "." + r.ns, s.Name + "." + r.ns + ".svc", s.Name + "." + r.ns + ".svc.cluster.local"} {
			hosts[h] = true
		}
	}
	if len(names) == 0 {
		return "", fmt.Errorf("no Service in %s selects pod/%s: gameday delays an app's requests through Istio, which routes to a Service", r.ns, pods[0].Name)
	}
	var found []string
	var others string
	b := bridge.Bridge{S: r.s}
	err = b.WaitSeen(ctx, "a VirtualService routing to "+strings.Join(names, ", "), r.ns, func(c *model.Cluster) bool {
		found, others = nil, ""
		for _, v := range c.VirtualServices {
			if v.Namespace != r.ns {
				continue
			}
			ours, rest := false, []string{}
			for _, rt := range v.Routes {
				for _, d := range rt.Destinations {
					if hosts[d] {
						ours = true
					} else {
						rest = append(rest, d)
					}
				}
			}
			if ours {
				found = append(found, v.Name)
				if len(rest) > 0 {
					others = fmt.Sprintf("virtualservice/%s also routes to %s: gameday's fault covers every route of it", v.Name, strings.Join(rest, ", "))
				}
			}
		}
		return len(found) > 0
	})
	switch {
	case err != nil:
		return "", fmt.Errorf("the app is not in the mesh: no VirtualService in %s routes to service %s (Litmus would delay it from a helper pod, which gameday does not run)", r.ns, strings.Join(names, ", "))
	case len(found) > 1:
		slices.Sort(found)
		return "", fmt.Errorf("virtualservices %s all route to service %s: gameday faults one VirtualService; keep one", strings.Join(found, ", "), strings.Join(names, ", "))
	case others != "":
		return "", fmt.Errorf("%s", others)
	}
	return found[0], nil
}

func (r *runner) say(format string, a ...any) {
	r.mu.Lock() // the probes' goroutines write too
	defer r.mu.Unlock()
	fmt.Fprintf(r.o.Out, format+"\n", a...)
}
