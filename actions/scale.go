package actions

import (
	"context"
	"fmt"
	"strings"

	authv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/gamedaylab/gameday/bounds"
	"github.com/gamedaylab/gameday/model"
)

func init() {
	register(
		Spec{Name: Scale, Order: 20, Key: "scaleUp", Keys: []string{"s"}, Args: "+1", Command: "scale", Usage: "+N|-N|N",
			CommandHelp: "scale by N, or to N replicas", Help: "scale +1", Perm: "scale",
			Access: []authv1.ResourceAttributes{{Verb: "patch", Group: "apps", Resource: "deployments", Subresource: "scale"}},
			Verb:   "Scale", Marker: "scale", Plan: planScaleStep, Run: runWith((*Env).scale),
			ParseArgs: func(args string) error { _, err := ParseScale(args, 0); return err }},
		Spec{Name: Scale, Order: 21, Key: "scaleDown", Keys: []string{"S"}, Args: "-1", Help: "scale -1", Perm: "scale",
			Destructive: true, Verb: "Scale", Marker: "scale", Plan: planScaleStep, Run: runWith((*Env).scale)},
	)
}

// planScaleStep reads +N, -N or a replica count; fewer replicas are confirmed, more are not (adding a
// replica destroys nothing).
func planScaleStep(e *Env, w World, args string) (Step, error) {
	d, err := needTarget(w)
	if err != nil {
		return Step{}, err
	}
	delta, err := ParseScale(args, d.Desired)
	if err != nil {
		return Step{}, err
	}
	p := e.PlanScale(w.Namespace, *d, delta, w.Cluster.HPAFor(w.Namespace, w.Target))
	head := fmt.Sprintf("deploy/%s replicas: %d → %d\n", p.Workload, p.From, p.Replicas)
	// Fewer replicas take capacity away; more are asked too when an HPA will fight them (its warning).
	return e.planStep(p, head, p.Replicas < p.From || len(p.Warnings) > 0), nil
}

// ParseScale reads a scale argument: +N or -N changes the replicas by N, N sets them; the result is
// the change from desired.
func ParseScale(arg string, desired int32) (int32, error) {
	arg = strings.TrimSpace(arg)
	if arg == "" {
		return 0, fmt.Errorf("%q: want +N, -N or a replica count", arg)
	}
	replicas := bounds.Count(0, MaxReplicas, "replicas")
	signed := arg[0] == '+' || arg[0] == '-'
	num := arg
	if signed {
		num = arg[1:]
	}
	n, err := replicas.ParseInt(num)
	if err != nil {
		return 0, fmt.Errorf("%q: want +N, -N or a replica count, N a whole number %s", arg, replicas)
	}
	switch {
	case !signed:
		return int32(n) - desired, nil
	case arg[0] == '-':
		return -int32(n), nil
	case int64(desired)+n > MaxReplicas:
		return 0, fmt.Errorf("%q: %d replicas would be more than %d", arg, int64(desired)+n, MaxReplicas)
	}
	return int32(n), nil
}

// MaxReplicas is the most replicas a scale may ask for: past it a typo is likelier than an intent.
const MaxReplicas = 100000

// PlanScale plans a change of replicas by delta. An HPA on the target will fight a manual scale:
// the plan says so.
func (e *Env) PlanScale(namespace string, d model.Deployment, delta int32, hpa *model.HPA) Plan {
	p := Plan{Action: Scale, Namespace: namespace, Workload: d.Name, From: d.Desired, Replicas: d.Desired + delta,
		ReadyBefore: int(d.Ready), Desired: d.Desired}
	if e.Guard != nil {
		p.DryRun = e.Guard.DryRun
	}
	if p.Replicas < 0 {
		p.Replicas = 0
	}
	p.ReadyAfter = int(d.Ready)
	if int(p.Replicas) < p.ReadyAfter {
		p.ReadyAfter = int(p.Replicas)
	}
	if hpa != nil {
		p.Warnings = append(p.Warnings, fmt.Sprintf("HPA %s manages this Deployment (min %d, max %d): it will move replicas back at its next sync",
			hpa.Name, hpa.Min, hpa.Max))
	}
	switch {
	case p.Replicas == p.From:
		p.Refusal = fmt.Errorf("%w: deploy/%s already has %d replicas", model.ErrRefused, d.Name, p.From)
	default:
		if err := e.Guard.Check(namespace); err != nil {
			p.Refusal = err
		} else if err := e.Guard.CheckRemaining(p.ReadyAfter, p.ReadyBefore, false); err != nil {
			p.Refusal = err
		}
	}
	return p
}

func (e *Env) scale(ctx context.Context, p Plan) error {
	patch := []byte(fmt.Sprintf(`{"spec":{"replicas":%d}}`, p.Replicas))
	_, err := e.Client.AppsV1().Deployments(p.Namespace).Patch(ctx, p.Workload, types.MergePatchType, patch,
		metav1.PatchOptions{DryRun: e.dryRun(p)}, "scale")
	if err != nil {
		return fmt.Errorf("scale deploy/%s in %s: %w", p.Workload, p.Namespace, err)
	}
	return nil
}
