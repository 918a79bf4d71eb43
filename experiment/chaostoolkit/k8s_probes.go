package chaostoolkit

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// podProbe answers chaosk8s's pod probes from the API, as they do.
func (x *SessionExecutor) podProbe(ctx context.Context, fn string, args map[string]any) (any, string, error) {
	ns := str(args, "ns")
	list, err := x.S.Env.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: str(args, "label_selector")})
	if err != nil {
		return nil, "", fmt.Errorf("listing pods in %s: %w", ns, err)
	}
	pods := list.Items
	phase := str(args, "phase")
	switch fn {
	case "pods_in_phase":
		if len(pods) == 0 {
			return nil, "", fmt.Errorf("no pods '%s' were found", str(args, "label_selector"))
		}
		for _, p := range pods {
			if string(p.Status.Phase) != phase {
				if truthy(args, "raise_on_invalid_phase") {
					return nil, "", fmt.Errorf("pod '%s' is in phase '%s' but should be '%s'", p.Name, p.Status.Phase, phase)
				}
				return false, "", nil
			}
		}
		return true, "", nil
	case "pods_not_in_phase":
		if len(pods) == 0 {
			return nil, "", fmt.Errorf("no pods '%s' were found", str(args, "label_selector"))
		}
		for _, p := range pods {
			if string(p.Status.Phase) == phase {
				if truthy(args, "raise_on_in_phase") {
					return nil, "", fmt.Errorf("pod '%s' should not be in phase '%s'", p.Name, phase)
				}
				return false, "", nil
			}
		}
		return true, "", nil
	case "count_pods":
		n := int64(0)
		for _, p := range pods {
			if phase == "" || string(p.Status.Phase) == phase {
				n++
			}
		}
		return n, "", nil
	case "count_min_pods":
		minCount, err := integer(args, "min_count")
		if err != nil {
			return nil, "", err
		}
		n := int64(0)
		for _, p := range pods {
			if phase == "" || string(p.Status.Phase) == phase {
				n++
			}
		}
		return n >= minCount, "", nil
	default: // all_pods_healthy, all_microservices_healthy
		for _, p := range pods {
			switch p.Status.Phase {
			case corev1.PodFailed:
				return nil, "", fmt.Errorf("the system is unhealthy")
			case corev1.PodRunning, corev1.PodSucceeded:
			default:
				return nil, "", fmt.Errorf("the system is unhealthy")
			}
		}
		if fn == "all_pods_healthy" && !truthy(args, "raise_on_any_unhealthy") {
			return true, "", nil
		}
		return true, "", nil
	}
}

// podConditions answers pods_in_conditions: every pod has every {type, status} given.
func (x *SessionExecutor) podConditions(ctx context.Context, args map[string]any) (any, string, error) {
	ns, selector := str(args, "ns"), str(args, "label_selector")
	list, err := x.S.Env.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, "", fmt.Errorf("listing pods in %s: %w", ns, err)
	}
	raise := truthy(args, "raise_on_invalid_conditions")
	if len(list.Items) == 0 {
		if !raise {
			return false, "", nil
		}
		return nil, "", fmt.Errorf("no pods '%s' were found", selector)
	}
	want, _ := args["conditions"].([]any)
	for _, p := range list.Items {
		for _, c := range want {
			cm, _ := c.(map[string]any)
			found := false
			for _, pc := range p.Status.Conditions {
				found = found || (pyStr(cm["type"]) == string(pc.Type) && pyStr(cm["status"]) == string(pc.Status) && len(cm) == 2)
			}
			if !found {
				if !raise {
					return false, "", nil
				}
				return nil, "", fmt.Errorf("pod %s does not match the following given condition: %s", p.Name, pyStr(c))
			}
		}
	}
	return true, "", nil
}

// deploymentReadiness waits, as chaosk8s's watch does, until the Deployment's ready replicas are
// (fully) or are not (not fully) its replicas, within the timeout.
func (x *SessionExecutor) deploymentReadiness(ctx context.Context, fn string, args map[string]any) (any, string, error) {
	ns, name := str(args, "ns"), str(args, "name")
	secs, err := integer(args, "timeout")
	if err != nil {
		return nil, "", err
	}
	want := fn == "deployment_fully_available"
	deadline := time.Now().Add(time.Duration(secs) * time.Second)
	for {
		d, err := x.S.Env.Client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			replicas := int32(1)
			if d.Spec.Replicas != nil {
				replicas = *d.Spec.Replicas
			}
			if (d.Status.ReadyReplicas == replicas) == want {
				return true, "", nil
			}
		}
		if time.Now().After(deadline) {
			raise := "raise_on_not_fully_available"
			m := fmt.Sprintf("deployment '%s' failed to recover within %ds", name, secs)
			if !want {
				raise, m = "raise_on_fully_available", fmt.Sprintf("deployment '%s' failed to stop running within %ds", name, secs)
			}
			if !truthy(args, raise) {
				return false, "", nil
			}
			return nil, "", errors.New(m)
		}
		select {
		case <-ctx.Done():
			return nil, "", ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// deploymentProbe answers deployment_available_and_healthy (and the old name, which returns
// nothing whatever it finds: a `true` tolerance on it never holds, as with chaosk8s).
func (x *SessionExecutor) deploymentProbe(ctx context.Context, fn string, args map[string]any) (any, string, error) {
	ns, name := str(args, "ns"), str(args, "name")
	selector := str(args, "label_selector")
	if fn == "microservice_available_and_healthy" && selector == "" {
		selector = "name in (" + name + ")"
	}
	opts := metav1.ListOptions{FieldSelector: "metadata.name=" + name}
	if selector != "" {
		opts = metav1.ListOptions{LabelSelector: selector}
	}
	list, err := x.S.Env.Client.AppsV1().Deployments(ns).List(ctx, opts)
	if err != nil {
		return nil, "", fmt.Errorf("reading deployment %s: %w", name, err)
	}
	if len(list.Items) == 0 {
		return nil, "", fmt.Errorf("Deployment '%s' was not found", name) //nolint:staticcheck // chaosk8s's words
	}
	for _, d := range list.Items {
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		if d.Status.AvailableReplicas != want {
			if fn == "deployment_available_and_healthy" && !truthy(args, "raise_on_unavailable") {
				return false, "", nil
			}
			return nil, "", fmt.Errorf("Deployment '%s' is not healthy", d.Name) //nolint:staticcheck // chaosk8s's words
		}
	}
	if fn == "microservice_available_and_healthy" {
		return nil, "", nil
	}
	return true, "", nil
}
