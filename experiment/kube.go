package experiment

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/cel-go/cel"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"

	"github.com/gamedaylab/gameday/scenario"
)

// kubeProbe is a CEL expression over one object as the API serves it (object.spec, object.status),
// the language Kubernetes' own validation rules use.
type kubeProbe struct {
	spec scenario.KubernetesProbe
	prog cel.Program
}

func compileKube(p scenario.KubernetesProbe) (*kubeProbe, error) {
	prog, err := p.Compile()
	if err != nil {
		return nil, err
	}
	return &kubeProbe{spec: p, prog: prog}, nil
}

// eval reads the object and evaluates the expression; observed says what was read.
func (k *kubeProbe) eval(ctx context.Context, cs kubernetes.Interface, ns string) (ok bool, observed string, err error) {
	obj, err := getObject(ctx, cs, ns, k.spec.Kind, k.spec.Name)
	if apierrors.IsNotFound(err) {
		return false, "", fmt.Errorf("%w: %v", errNoData, err) // nothing to evaluate: no data, a failure by default
	}
	if err != nil {
		return false, "", err
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return false, "", err
	}
	out, _, err := k.prog.Eval(map[string]any{"object": m})
	if err != nil {
		hint := ""
		if strings.Contains(err.Error(), "no such key") {
			hint = " (the API leaves out a field that is 0 or unset: write object.status.?readyReplicas.orValue(0), or has(...))"
		}
		return false, "", fmt.Errorf("%s: %w%s", k.spec.Expr, err, hint)
	}
	b, isBool := out.Value().(bool)
	if !isBool {
		return false, fmt.Sprint(out.Value()), fmt.Errorf("%s gave %v, not true or false", k.spec.Expr, out.Value())
	}
	return b, fmt.Sprintf("%s %s/%s: %v", k.spec.Expr, k.spec.Kind, k.spec.Name, b), nil
}

func getObject(ctx context.Context, cs kubernetes.Interface, ns, kind, name string) (runtime.Object, error) {
	g := metav1.GetOptions{}
	switch kind {
	case "Deployment":
		return cs.AppsV1().Deployments(ns).Get(ctx, name, g)
	case "ReplicaSet":
		return cs.AppsV1().ReplicaSets(ns).Get(ctx, name, g)
	case "HorizontalPodAutoscaler":
		return cs.AutoscalingV2().HorizontalPodAutoscalers(ns).Get(ctx, name, g)
	case "Pod":
		return cs.CoreV1().Pods(ns).Get(ctx, name, g)
	case "Node":
		return cs.CoreV1().Nodes().Get(ctx, name, g)
	case "PodDisruptionBudget":
		return cs.PolicyV1().PodDisruptionBudgets(ns).Get(ctx, name, g)
	}
	return nil, fmt.Errorf("kind %q: want Deployment, ReplicaSet, HorizontalPodAutoscaler, Pod, Node or PodDisruptionBudget", kind)
}
