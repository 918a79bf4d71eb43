// Package model holds the domain types every layer shares: the trimmed Kubernetes objects (Pod,
// Deployment, ReplicaSet, HPA, Node, PDB, Event), the deltas the cluster source sends, and the cluster
// store built from them. It imports nothing of gameday's and no UI.
package model

import "time"

// Pod is the trimmed view of a pod the UI needs; informers keep only this much per pod.
type Pod struct {
	Namespace string
	Name      string
	UID       string
	Phase     string // Pending, Running, Succeeded, Failed, Unknown
	Reason    string // why it is not running (e.g. Unschedulable, ContainerCreating)
	Ready     bool
	// Containers and ReadyContainers make kubectl's READY column (1/2).
	Containers      int32
	ReadyContainers int32
	Restarts        int32
	Node            string
	Owner           string // the ReplicaSet (or other controller) name
	Labels          map[string]string
	Created         time.Time
	Deleting        time.Time // zero unless terminating
	ReadyAt         time.Time // when the Ready condition last became true
	Scheduled       time.Time // when PodScheduled became true
}

// Key is namespace/name.
func (p Pod) Key() string { return p.Namespace + "/" + p.Name }

// Terminating reports whether deletion has started.
func (p Pod) Terminating() bool { return !p.Deleting.IsZero() }

// Deployment is the trimmed Deployment.
type Deployment struct {
	Namespace  string
	Name       string
	Desired    int32
	Ready      int32
	Available  int32
	Updated    int32
	Current    int32 // status.replicas
	Selector   map[string]string
	Generation int64
	Observed   int64
	// Requests are the pod template's containers' requests (the VPA line compares them with its
	// recommendation).
	Requests []ContainerRequests
}

// Key is namespace/name.
func (d Deployment) Key() string { return d.Namespace + "/" + d.Name }

// ReplicaSet is the trimmed ReplicaSet: it links pods to their Deployment.
type ReplicaSet struct {
	Namespace  string
	Name       string
	Deployment string
	Desired    int32
	Ready      int32
	Created    time.Time
}

// Key is namespace/name.
func (r ReplicaSet) Key() string { return r.Namespace + "/" + r.Name }

// HPA is the trimmed autoscaling/v2 HorizontalPodAutoscaler.
type HPA struct {
	Namespace  string
	Name       string
	TargetKind string
	TargetName string
	Min        int32
	Max        int32
	Current    int32
	Desired    int32
	// Metric is the first metric: e.g. "cpu", with current and target utilisation (percent) or values.
	Metric        string
	MetricCurrent float64
	MetricTarget  float64
	MetricUnit    string // "%" for utilisation
	HasCurrent    bool
	Conditions    []Condition
	LastScale     time.Time
	// ScaleDownWindow is spec.behavior.scaleDown.stabilizationWindowSeconds (the API's default 5m):
	// the HPA keeps the highest recommendation of that long.
	ScaleDownWindow time.Duration
}

// Key is namespace/name.
func (h HPA) Key() string { return h.Namespace + "/" + h.Name }

// Condition is a status condition.
type Condition struct {
	Type    string
	Status  string
	Reason  string
	Message string
}

// Node is the trimmed Node.
type Node struct {
	Name          string
	Zone          string
	Ready         bool
	Unschedulable bool
	Created       time.Time // when the node object was made: a node added by an autoscaler
}

// Event is a Kubernetes event (events.k8s.io/v1), trimmed.
type Event struct {
	Namespace string
	Name      string
	Time      time.Time
	Type      string // Normal, Warning
	Reason    string
	Object    string // Kind/name
	Note      string
	Count     int32
	// Controller is the reporting controller (cluster-autoscaler's are shown from its namespaces too).
	Controller string `json:",omitempty"`
}

// Key is namespace/name.
func (e Event) Key() string { return e.Namespace + "/" + e.Name }

// PDB is the trimmed PodDisruptionBudget.
type PDB struct {
	Namespace          string
	Name               string
	Selector           map[string]string
	DisruptionsAllowed int32
	CurrentHealthy     int32
	DesiredHealthy     int32
}

// Key is namespace/name.
func (p PDB) Key() string { return p.Namespace + "/" + p.Name }

// ClusterDelta is one batch of changes from the cluster source. Upserts carry the whole trimmed object;
// Gone lists keys that were deleted. Reset means "replace everything you had" (first sync, relist).
type ClusterDelta struct {
	Reset       bool
	Pods        []Pod
	PodsGone    []string
	Deployments []Deployment
	DeploysGone []string
	ReplicaSets []ReplicaSet
	RSGone      []string
	HPAs        []HPA
	HPAsGone    []string
	Nodes       []Node
	NodesGone   []string
	Events      []Event
	PDBs        []PDB
	PDBsGone    []string
	VSs         []VirtualService
	VSsGone     []string
	VPAs        []VPA
	VPAsGone    []string
	// Autoscaler is the cluster-autoscaler's status when its ConfigMap changed; AutoscalerGone says
	// the ConfigMap was deleted.
	Autoscaler     *Autoscaler
	AutoscalerGone bool
	// At is when the batch was flushed: event-to-screen latency is measured from here and from API times.
	At time.Time
}

// Empty reports whether the delta carries nothing.
func (d *ClusterDelta) Empty() bool {
	return !d.Reset && len(d.Pods)+len(d.PodsGone)+len(d.Deployments)+len(d.DeploysGone)+len(d.ReplicaSets)+
		len(d.RSGone)+len(d.HPAs)+len(d.HPAsGone)+len(d.Nodes)+len(d.NodesGone)+len(d.Events)+
		len(d.PDBs)+len(d.PDBsGone)+len(d.VSs)+len(d.VSsGone)+len(d.VPAs)+len(d.VPAsGone) == 0 &&
		d.Autoscaler == nil && !d.AutoscalerGone
}

// VirtualService is the trimmed Istio VirtualService (networking.istio.io): what a fault patches and
// what the fault picker previews.
type VirtualService struct {
	Namespace string
	Name      string
	Hosts     []string
	// Gateways are the gateways it is bound to; none (or "mesh") means the sidecars.
	Gateways []string
	Routes   []VSRoute
	// Reverts is the revert-record annotation as written (gameday's own faults, any session).
	Reverts string
}

// Key is namespace/name.
func (v VirtualService) Key() string { return v.Namespace + "/" + v.Name }

// Mesh reports whether sidecars apply the VirtualService (no gateways, or "mesh" among them).
func (v VirtualService) Mesh() bool {
	if len(v.Gateways) == 0 {
		return true
	}
	for _, g := range v.Gateways {
		if g == "mesh" {
			return true
		}
	}
	return false
}

// VSRoute is one HTTP route of a VirtualService.
type VSRoute struct {
	Name string
	// Match is the route's match as a person reads it ("" matches everything).
	Match        string
	Destinations []string
	Retries      bool
	Timeout      bool
	// Fault describes a fault already on the route ("" for none).
	Fault string
}
