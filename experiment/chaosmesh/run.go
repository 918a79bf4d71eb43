package chaosmesh

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/client-go/kubernetes"

	"github.com/gamedaylab/gameday/experiment/bridge"
	"github.com/gamedaylab/gameday/session"
)

// Outcome is what one resource did.
type Outcome struct {
	Resource string   // PodChaos NAME
	Killed   []string // pod names
	Err      error
}

// Run carries the file's pod-kills out on the session in order: each resource's pods picked as
// Chaos Mesh picks them, each killed through the catalog with the resource's grace period (0 when
// unset, as Chaos Mesh). rnd picks (nil: a random source).
func Run(ctx context.Context, s *session.Session, f *File, out io.Writer, rnd *rand.Rand) []Outcome {
	if rnd == nil {
		rnd = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	b := bridge.Bridge{S: s}
	var res []Outcome
	for _, r := range f.Resources {
		o := Outcome{Resource: r.Kind + " " + r.Name}
		ns := r.Namespace
		if ns == "" {
			ns = s.Namespace()
		}
		pods, err := Select(ctx, s.Env.Client, r.Selector, ns)
		if err == nil {
			pods, err = ByMode(pods, r.Mode, r.Value, rnd)
		}
		if err != nil {
			o.Err = err
			fmt.Fprintf(out, "%s: %v\n", o.Resource, err)
			res = append(res, o)
			continue
		}
		grace := r.GracePeriod
		for _, p := range pods {
			did, err := b.KillPod(ctx, p, &grace)
			if err != nil {
				o.Err = fmt.Errorf("pod/%s: %w", p.Name, err)
				fmt.Fprintf(out, "%s: %v\n", o.Resource, o.Err)
				break
			}
			o.Killed = append(o.Killed, p.Name)
			fmt.Fprintf(out, "%s: %s\n", o.Resource, did)
		}
		res = append(res, o)
	}
	return res
}

// Select lists the pods a PodSelectorSpec selects, as Chaos Mesh's selector does: pods named
// (skipping those not found), or those of the namespaces (the resource's own when none) matching
// every label, expression, annotation, field, node and phase selector.
func Select(ctx context.Context, cs kubernetes.Interface, sel Selector, own string) ([]corev1.Pod, error) {
	var pods []corev1.Pod
	if len(sel.Pods) > 0 {
		for _, ns := range sortedKeys(sel.Pods) {
			for _, name := range sel.Pods[ns] {
				p, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
				if apierrors.IsNotFound(err) {
					continue
				}
				if err != nil {
					return nil, fmt.Errorf("pod %s/%s: %w", ns, name, err)
				}
				pods = append(pods, *p)
			}
		}
		return nonEmpty(pods)
	}
	ls, err := labelSelector(sel)
	if err != nil {
		return nil, err
	}
	var fields []string
	for _, k := range sortedKeys(sel.Fields) {
		fields = append(fields, k+"="+sel.Fields[k])
	}
	nodes := map[string]bool{}
	for _, n := range sel.Nodes {
		nodes[n] = true
	}
	if len(sel.NodeLabels) > 0 {
		list, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(sel.NodeLabels).String()})
		if err != nil {
			return nil, fmt.Errorf("nodes: %w", err)
		}
		for _, n := range list.Items {
			nodes[n.Name] = true
		}
	}
	byNode := len(sel.Nodes) > 0 || len(sel.NodeLabels) > 0
	namespaces := sel.Namespaces
	if len(namespaces) == 0 {
		namespaces = []string{own}
	}
	for _, ns := range namespaces {
		list, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: ls, FieldSelector: strings.Join(fields, ",")})
		if err != nil {
			return nil, fmt.Errorf("pods in %s: %w", ns, err)
		}
		for _, p := range list.Items {
			if byNode && !nodes[p.Spec.NodeName] {
				continue
			}
			if len(sel.Phases) > 0 && !slices.Contains(sel.Phases, string(p.Status.Phase)) {
				continue
			}
			if !annotated(p, sel.Annotations) {
				continue
			}
			pods = append(pods, p)
		}
	}
	return nonEmpty(pods)
}

func nonEmpty(pods []corev1.Pod) ([]corev1.Pod, error) {
	if len(pods) == 0 {
		return nil, fmt.Errorf("no pod is selected")
	}
	return pods, nil
}

func annotated(p corev1.Pod, want map[string]string) bool {
	for k, v := range want {
		if p.Annotations[k] != v {
			return false
		}
	}
	return true
}

// labelSelector joins labelSelectors and expressionSelectors (In, NotIn, Exists, DoesNotExist).
func labelSelector(sel Selector) (string, error) {
	s := labels.SelectorFromSet(sel.Labels)
	for _, e := range sel.Expressions {
		key := scalar(e["key"])
		op := map[string]selection.Operator{"In": selection.In, "NotIn": selection.NotIn, "Exists": selection.Exists,
			"DoesNotExist": selection.DoesNotExist}[scalar(e["operator"])]
		if op == "" {
			return "", fmt.Errorf("expressionSelectors: operator %q: one of In, NotIn, Exists, DoesNotExist", scalar(e["operator"]))
		}
		req, err := labels.NewRequirement(key, op, stringList(e["values"]))
		if err != nil {
			return "", fmt.Errorf("expressionSelectors: %w", err)
		}
		s = s.Add(*req)
	}
	return s.String(), nil
}

// ByMode picks among pods as Chaos Mesh's mode does: one at random, all, fixed N (at most all),
// fixed-percent (at least one: ceil), random-max-percent (a random percentage from 0 to the value,
// ceil, so possibly none).
func ByMode(pods []corev1.Pod, mode, value string, rnd *rand.Rand) ([]corev1.Pod, error) {
	n := len(pods)
	if n == 0 {
		return nil, fmt.Errorf("cannot generate objects from empty list")
	}
	num := 0
	switch mode {
	case "one":
		num = 1
	case "all":
		num = n
	case "fixed", "fixed-percent", "random-max-percent":
		v, err := strconv.Atoi(value)
		if err != nil {
			return nil, fmt.Errorf("value %q: %w", value, err)
		}
		if v <= 0 {
			return nil, fmt.Errorf("cannot select any object as value below or equal 0")
		}
		switch mode {
		case "fixed":
			num = min(v, n)
		case "fixed-percent":
			num = int(math.Ceil(float64(n) * float64(v) / 100))
		default:
			pct := rnd.IntN(v + 1)
			num = int(math.Ceil(float64(n) * float64(pct) / 100))
		}
	default:
		return nil, fmt.Errorf("mode %s not supported", mode)
	}
	idx := rnd.Perm(n)[:min(num, n)]
	out := make([]corev1.Pod, 0, len(idx))
	for _, i := range idx {
		out = append(out, pods[i])
	}
	return out, nil
}
