package actions

import (
	"context"
	"fmt"
	"time"

	authv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/gamedaylab/gameday/model"
)

func init() {
	register(Spec{Name: Restart, Order: 30, Key: "restart", Keys: []string{"R"}, Command: "restart", Help: "rollout restart", Perm: "restart",
		Access: []authv1.ResourceAttributes{{Verb: "patch", Group: "apps", Resource: "deployments"}}, Destructive: true, Verb: "Restart",
		Marker: "restart", Plan: planRestartStep, Run: runWith((*Env).restart)})
}

func planRestartStep(e *Env, w World, args string) (Step, error) {
	if args != "" {
		return Step{}, fmt.Errorf("%q: restart takes no arguments (it restarts the target)", args)
	}
	d, err := needTarget(w)
	if err != nil {
		return Step{}, err
	}
	return e.planStep(e.PlanRestart(w.Namespace, *d), "", true), nil
}

// PlanRestart plans a rollout restart of the target (the kubectl way: a template annotation).
func (e *Env) PlanRestart(namespace string, d model.Deployment) Plan {
	p := Plan{Action: Restart, Namespace: namespace, Workload: d.Name, From: d.Desired, Replicas: d.Desired,
		ReadyBefore: int(d.Ready), ReadyAfter: int(d.Ready)}
	if e.Guard != nil {
		p.DryRun = e.Guard.DryRun
	}
	p.Warnings = append(p.Warnings, "pods are replaced one by one following the Deployment's rollout strategy")
	if err := e.Guard.Check(namespace); err != nil {
		p.Refusal = err
	}
	return p
}

func (e *Env) restart(ctx context.Context, p Plan) error {
	patch := fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":%q}}}}}`,
		e.now().UTC().Format(time.RFC3339))
	_, err := e.Client.AppsV1().Deployments(p.Namespace).Patch(ctx, p.Workload, types.StrategicMergePatchType, []byte(patch),
		metav1.PatchOptions{DryRun: e.dryRun(p)})
	if err != nil {
		return fmt.Errorf("rollout restart deploy/%s in %s: %w", p.Workload, p.Namespace, err)
	}
	return nil
}
