package chaostoolkit

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gamedaylab/gameday/actions"
)

// terminatePods picks pods as chaosk8s's terminate_pods does and kills each through the catalog.
func (x *SessionExecutor) terminatePods(ctx context.Context, fn string, args map[string]any) (any, string, error) {
	ns := str(args, "ns")
	pattern := str(args, "name_pattern")
	if fn == "delete_pods" {
		pattern = str(args, "name")
	}
	qty, err := integer(args, "qty")
	if err != nil {
		return nil, "", err
	}
	if fn == "delete_pods" {
		qty = 0
		args["all"] = true
	}
	mode, order := firstOf(str(args, "mode"), "fixed"), firstOf(str(args, "order"), "alphabetic")
	switch {
	case qty < 0:
		return nil, "", fmt.Errorf("Cannot terminate pods. Quantity '%d' is negative.", qty) //nolint:staticcheck // chaosk8s's words
	case mode != "fixed" && mode != "percentage":
		return nil, "", fmt.Errorf("Unknown mode '%s' (fixed or percentage)", mode) //nolint:staticcheck // chaosk8s's words
	case order != "alphabetic" && order != "oldest":
		return nil, "", fmt.Errorf("Unknown order '%s' (alphabetic or oldest)", order) //nolint:staticcheck // chaosk8s's words
	}
	list, err := x.S.Env.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: str(args, "label_selector")})
	if err != nil {
		return nil, "", fmt.Errorf("listing pods in %s: %w", ns, err)
	}
	pods := list.Items
	if pattern != "" {
		rx, err := regexp.Compile(pattern)
		if err != nil {
			return nil, "", fmt.Errorf("name_pattern %q: %w", pattern, err)
		}
		pods = filterPods(pods, func(p corev1.Pod) bool { return rx.MatchString(p.Name) })
	}
	if order == "oldest" {
		sort.SliceStable(pods, func(i, j int) bool { return pods[i].CreationTimestamp.Before(&pods[j].CreationTimestamp) })
	}
	if !truthy(args, "all") {
		if mode == "percentage" {
			qty = int64(math.Ceil(float64(qty) * float64(len(pods)) / 100))
		}
		qty = min(qty, int64(len(pods)))
		if truthy(args, "rand") {
			r := x.Rand
			if r == nil {
				r = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
			}
			r.Shuffle(len(pods), func(i, j int) { pods[i], pods[j] = pods[j], pods[i] })
		}
		pods = pods[:qty]
	}
	names := make([]any, 0, len(pods))
	var did []string
	for _, p := range pods {
		var grace *int64
		if g, err := integer(args, "grace_period"); err == nil && g >= 0 && args["grace_period"] != nil {
			grace = &g
		}
		d, err := x.bridge().KillPod(ctx, p, grace)
		did = append(did, d)
		if err != nil {
			return names, strings.Join(did, ", "), err
		}
		names = append(names, p.Name)
	}
	return names, strings.Join(did, ", "), nil
}

func filterPods(pods []corev1.Pod, keep func(corev1.Pod) bool) []corev1.Pod {
	out := pods[:0]
	for _, p := range pods {
		if keep(p) {
			out = append(out, p)
		}
	}
	return out
}

// nodes runs drain_nodes, cordon_node and uncordon_node on the nodes they name or select.
func (x *SessionExecutor) nodes(ctx context.Context, fn string, args map[string]any) (any, string, error) {
	var names []string
	if n := str(args, "name"); n != "" {
		names = []string{n}
	} else {
		list, err := x.S.Env.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: str(args, "label_selector")})
		if err != nil {
			return nil, "", fmt.Errorf("listing nodes: %w", err)
		}
		for _, n := range list.Items {
			names = append(names, n.Name)
		}
	}
	if len(names) == 0 {
		return nil, "", fmt.Errorf("failed to find a node that matches selector %s", str(args, "label_selector"))
	}
	action := map[string]actions.Name{"drain_nodes": actions.Drain, "cordon_node": actions.Cordon, "uncordon_node": actions.Uncordon}[fn]
	var did []string
	out := make([]any, 0, len(names))
	for _, n := range names {
		_, d, err := x.act(ctx, action, n)
		did = append(did, d)
		if err != nil {
			return out, strings.Join(did, ", "), err
		}
		out = append(out, n)
	}
	if fn == "drain_nodes" {
		return out, strings.Join(did, ", "), nil
	}
	return nil, strings.Join(did, ", "), nil
}
