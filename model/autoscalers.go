package model

import "time"

// AutoscalerController is the cluster-autoscaler's reporting controller on its events.
const AutoscalerController = "cluster-autoscaler"

// Resources is a CPU and a memory quantity as the API writes them ("250m", "128Mi"); "" is unset.
type Resources struct {
	CPU    string
	Memory string
}

// ContainerRequests is what one container of a pod template asks for.
type ContainerRequests struct {
	Container string
	Requests  Resources
}

// VPA is the trimmed VerticalPodAutoscaler (autoscaling.k8s.io/v1): what it recommends for its target
// and whether it will evict pods to apply it.
type VPA struct {
	Namespace  string
	Name       string
	TargetKind string
	TargetName string
	// Mode is spec.updatePolicy.updateMode as written; "" is the API's default, Auto.
	Mode       string
	Containers []VPARecommendation
	Conditions []Condition
}

// Key is namespace/name.
func (v VPA) Key() string { return v.Namespace + "/" + v.Name }

// EffectiveMode is the update mode the updater acts on.
func (v VPA) EffectiveMode() string {
	if v.Mode == "" {
		return "Auto"
	}
	return v.Mode
}

// Evicts reports whether the mode lets the VPA updater evict running pods to apply a recommendation
// (Auto and Recreate do; InPlaceOrRecreate does when an in-place resize is not possible).
func (v VPA) Evicts() bool {
	switch v.EffectiveMode() {
	case "Auto", "Recreate", "InPlaceOrRecreate":
		return true
	}
	return false
}

// VPARecommendation is status.recommendation.containerRecommendations[i].
type VPARecommendation struct {
	Container string
	Target    Resources
	Lower     Resources
	Upper     Resources
	Uncapped  Resources
}

// Autoscaler is the cluster-autoscaler's status ConfigMap, parsed (YAML since 1.30, the human text
// before), or shown verbatim when neither parser understood it (Format "raw").
type Autoscaler struct {
	Namespace string
	Format    string // yaml, text, raw
	Time      time.Time
	Status    string // autoscalerStatus: Running, Initializing
	Message   string
	Health    string // cluster-wide: Healthy, Unhealthy
	Ready     int
	Total     int
	ScaleUp   string // cluster-wide: Needed, NotNeeded, InProgress, NoActivity, Backoff
	ScaleDown string // CandidatesPresent, NoCandidates
	Groups    []NodeGroup
	Raw       string // the ConfigMap's status key, for Format raw
}

// NodeGroup is one node group's health and scale-up state.
type NodeGroup struct {
	Name           string
	Health         string
	Ready, Total   int
	Target         int // cloudProviderTarget
	Min, Max       int
	ScaleUp        string
	BackoffCode    string
	BackoffMessage string
	ScaleDown      string
}
