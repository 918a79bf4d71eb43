package kube

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/gamedaylab/gameday/model"
)

// AutoscalerConfigMap is the name the cluster-autoscaler writes its status under (key "status"), in
// the namespace it runs in (its --namespace, kube-system by default).
const AutoscalerConfigMap = "cluster-autoscaler-status"

// ParseAutoscaler reads the status ConfigMap's text: the YAML document cluster-autoscaler writes since
// 1.30, the human text before it, and otherwise keeps the text verbatim (Format raw) so a format we do
// not know is still shown rather than hidden.
func ParseAutoscaler(ns, text string) model.Autoscaler {
	if a, ok := parseAutoscalerYAML(text); ok {
		a.Namespace = ns
		return a
	}
	if a, ok := parseAutoscalerText(text); ok {
		a.Namespace = ns
		return a
	}
	return model.Autoscaler{Namespace: ns, Format: "raw", Raw: strings.TrimSpace(text)}
}

// The fields of cluster-autoscaler/clusterstate/api (1.30+) that the cockpit shows.
type caDoc struct {
	Time             string `json:"time"`
	AutoscalerStatus string `json:"autoscalerStatus"`
	Message          string `json:"message"`
	ClusterWide      struct {
		Health    caHealth    `json:"health"`
		ScaleUp   caCondition `json:"scaleUp"`
		ScaleDown caCondition `json:"scaleDown"`
	} `json:"clusterWide"`
	NodeGroups []struct {
		Name      string      `json:"name"`
		Health    caHealth    `json:"health"`
		ScaleUp   caCondition `json:"scaleUp"`
		ScaleDown caCondition `json:"scaleDown"`
	} `json:"nodeGroups"`
}

type caHealth struct {
	Status     string `json:"status"`
	NodeCounts struct {
		Registered struct {
			Total int `json:"total"`
			Ready int `json:"ready"`
		} `json:"registered"`
	} `json:"nodeCounts"`
	CloudProviderTarget int `json:"cloudProviderTarget"`
	MinSize             int `json:"minSize"`
	MaxSize             int `json:"maxSize"`
}

type caCondition struct {
	Status      string `json:"status"`
	BackoffInfo struct {
		ErrorCode    string `json:"errorCode"`
		ErrorMessage string `json:"errorMessage"`
	} `json:"backoffInfo"`
}

func parseAutoscalerYAML(text string) (model.Autoscaler, bool) {
	var d caDoc
	if err := yaml.Unmarshal([]byte(text), &d); err != nil || d.AutoscalerStatus == "" {
		return model.Autoscaler{}, false
	}
	a := model.Autoscaler{Format: "yaml", Time: caTime(d.Time), Status: d.AutoscalerStatus, Message: d.Message,
		Health: d.ClusterWide.Health.Status, Ready: d.ClusterWide.Health.NodeCounts.Registered.Ready,
		Total: d.ClusterWide.Health.NodeCounts.Registered.Total, ScaleUp: d.ClusterWide.ScaleUp.Status,
		ScaleDown: d.ClusterWide.ScaleDown.Status}
	for _, g := range d.NodeGroups {
		a.Groups = append(a.Groups, model.NodeGroup{Name: g.Name, Health: g.Health.Status,
			Ready: g.Health.NodeCounts.Registered.Ready, Total: g.Health.NodeCounts.Registered.Total,
			Target: g.Health.CloudProviderTarget, Min: g.Health.MinSize, Max: g.Health.MaxSize,
			ScaleUp: g.ScaleUp.Status, BackoffCode: g.ScaleUp.BackoffInfo.ErrorCode,
			BackoffMessage: g.ScaleUp.BackoffInfo.ErrorMessage, ScaleDown: g.ScaleDown.Status})
	}
	return a, true
}

// caTime reads the document's time: Go's default time format (what the autoscaler writes), or RFC 3339.
func caTime(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02 15:04:05.999999999 -0700 MST", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

var (
	textHeader = regexp.MustCompile(`^Cluster-autoscaler status at (.+?):?\s*$`)
	// "  Health:      Healthy (ready=3 unready=0 ... cloudProviderTarget=3 (minSize=1, maxSize=5))"
	textCondition = regexp.MustCompile(`^\s*(Health|ScaleUp|ScaleDown):\s+(\S+)(?:\s+\((.*)\))?\s*$`)
	textName      = regexp.MustCompile(`^\s*Name:\s+(\S.*?)\s*$`)
	textCount     = regexp.MustCompile(`(\w+)=(\d+)`)
)

// parseAutoscalerText reads the human text the autoscaler wrote before 1.30: a header with the time,
// a Cluster-wide section and a NodeGroups section of "Name:" blocks, each condition as
// "Kind: Status (key=value ...)".
func parseAutoscalerText(text string) (model.Autoscaler, bool) {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	var a model.Autoscaler
	seen := false
	for _, l := range lines {
		if m := textHeader.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			a.Time, seen = caTime(m[1]), true
			break
		}
	}
	if !seen {
		return model.Autoscaler{}, false
	}
	a.Format, a.Status = "text", "Running"
	if body := strings.TrimSpace(text[strings.Index(text, "\n")+1:]); body == "Initializing" {
		a.Status = body // what it writes before its first loop
	}
	var g *model.NodeGroup // nil while in the cluster-wide section
	for _, l := range lines {
		switch {
		case strings.TrimSpace(l) == "NodeGroups:":
			g = nil
		case textName.MatchString(l):
			a.Groups = append(a.Groups, model.NodeGroup{Name: textName.FindStringSubmatch(l)[1]})
			g = &a.Groups[len(a.Groups)-1]
		case textCondition.MatchString(l):
			m := textCondition.FindStringSubmatch(l)
			counts := map[string]int{}
			for _, c := range textCount.FindAllStringSubmatch(m[3], -1) {
				counts[c[1]], _ = strconv.Atoi(c[2])
			}
			switch {
			case g == nil && m[1] == "Health":
				a.Health, a.Ready, a.Total = m[2], counts["ready"], counts["registered"]
			case g == nil && m[1] == "ScaleUp":
				a.ScaleUp = m[2]
			case g == nil:
				a.ScaleDown = m[2]
			case m[1] == "Health":
				g.Health, g.Ready, g.Total, g.Target, g.Min, g.Max = m[2], counts["ready"], counts["registered"],
					counts["cloudProviderTarget"], counts["minSize"], counts["maxSize"]
			case m[1] == "ScaleUp":
				g.ScaleUp = m[2]
			default:
				g.ScaleDown = m[2]
			}
		}
	}
	return a, true
}
