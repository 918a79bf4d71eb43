// Package sim is the embedded simulated cluster behind `gameday --demo`: a seeded, deterministic model of
// a small cluster (a gateway in front of an autoscaled web Deployment and a db) that plays the parts of
// the scheduler, the kubelet and the ReplicaSet, Deployment and HPA controllers against a client-go fake
// clientset. The real Kubernetes source and the real kill / scale actions run unchanged on top of it; the
// simulation implements the metrics, traces and logs backends and the load driver directly.
package sim

import (
	"context"
	"fmt"
	"math/rand"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gamedaylab/gameday/load"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// Namespace is where the simulated workloads live.
const Namespace = "demo"

// Target is the workload the demo points the cockpit at.
const Target = "web"

// backfill is how much history is simulated before the cockpit opens.
const backfill = 15 * time.Minute

// Options tune the simulation.
type Options struct {
	Seed int64
	// Speed scales simulated time: 2 runs the cluster twice as fast as the wall clock.
	Speed float64
	// Start is the simulated time at start (zero: the wall clock now).
	Start time.Time
	// MaxLoadRate caps the simulated load generator like the real one (config load.maxRate).
	MaxLoadRate float64
	// Tick is the real-time step of Run (default 100 ms).
	Tick time.Duration
	// Sessions is where the simulated app keeps its users' sessions: memory (default) or redis.
	Sessions string
	// MaxLatency is the load targets' latency check (the tightest maxLatency configured): a
	// simulated load request slower than it fails its check. The simulated app's bodies are always
	// right, so that is the only check it can fail.
	MaxLatency time.Duration
}

// Sim is the simulated cluster. All model state is guarded by mu; the clock is atomic so that
// reactors and backends never wait on a step.
type Sim struct {
	opts   Options
	client *fake.Clientset
	nowNs  atomic.Int64

	mu      sync.Mutex
	rng     *rand.Rand
	pods    map[string]*podPlan // lifecycle plans by pod name
	specs   map[string]*workload
	nodes   []nodeSpec
	evSeq   int
	traffic traffic
	load    loadGen
	hpa     hpaState
	store   *store
	nextHPA time.Time
	// backfilling is true while New simulates the history before Start.
	backfilling bool
	// scope is where the metrics are asked for (namespace, workload), as a Prometheus query would be
	// scoped: the simulation measures only its target, so elsewhere there is no data.
	scopeNS, scopeTarget string
}

// SetMetricsScope scopes the metrics to a namespace and workload ("" for any workload).
func (s *Sim) SetMetricsScope(ns, target string) {
	s.mu.Lock()
	s.scopeNS, s.scopeTarget = ns, target
	s.mu.Unlock()
}

// workload is the simulation's knowledge of one Deployment: how its pods behave.
type workload struct {
	name   string
	rsName string // the current ReplicaSet (the newest revision)
	// revision is the template's restartedAt of rsName; oldRS are earlier ReplicaSets, oldest first.
	revision   string
	oldRS      []string
	warmup     time.Duration // container start -> Ready
	grace      time.Duration // how long a terminating pod takes to drain
	cpuRequest float64       // millicores
	cpuLimit   float64
	idleCPU    float64
	perReqCPU  float64 // millicores per request/s
	labels     map[string]string
}

type nodeSpec struct {
	name, zone string
}

// podPlan is the timeline the simulated kubelet follows for one pod.
type podPlan struct {
	name      string
	workload  string
	rs        string // its ReplicaSet
	node      string
	created   time.Time
	scheduled time.Time
	started   time.Time
	ready     time.Time
	deleting  time.Time // zero until deleted
	goneAt    time.Time // when the terminating pod disappears
	hardKill  bool
	phaseSeen int // the last lifecycle stage written to the API (0 pending .. 3 ready)
	cpu       float64
	// lastFailedSched rate-limits FailedScheduling events of a pod that cannot be placed.
	lastFailedSched time.Time
}

// New builds the simulated cluster with its initial objects and a few minutes of history, so the
// cockpit is full from the first frame.
func New(opts Options) *Sim {
	if opts.Speed <= 0 {
		opts.Speed = 1
	}
	if opts.Start.IsZero() {
		opts.Start = time.Now().Truncate(time.Second)
	}
	if opts.MaxLoadRate <= 0 {
		opts.MaxLoadRate = 5000
	}
	if opts.Tick <= 0 {
		opts.Tick = 100 * time.Millisecond
	}
	s := &Sim{
		opts:   opts,
		client: fake.NewClientset(),
		rng:    rand.New(rand.NewSource(opts.Seed)),
		pods:   map[string]*podPlan{},
		specs:  map[string]*workload{},
		store:  newStore(),
	}
	// Start in the past and run the model up to Start, so graphs, traces and logs have history.
	s.nowNs.Store(opts.Start.Add(-backfill).UnixNano())
	s.installReactors()
	s.bootstrap()
	s.backfilling = true
	for s.Now().Before(opts.Start.Add(-hpaSyncPeriod)) {
		s.Step(time.Second)
	}
	s.backfilling = false
	for s.Now().Before(opts.Start) {
		s.Step(time.Second)
	}
	return s
}

// Client is the fake clientset the kube source watches and actions act on.
func (s *Sim) Client() *fake.Clientset { return s.client }

// Now is the simulated time.
func (s *Sim) Now() time.Time { return time.Unix(0, s.nowNs.Load()) }

// Load is the simulated load generator (the cockpit's `b`, `+`, `-` and HALT drive it).
func (s *Sim) Load() load.Driver { return (*simLoad)(s) }

// Run advances the simulation in real time until ctx ends.
func (s *Sim) Run(ctx context.Context) {
	t := time.NewTicker(s.opts.Tick)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			dt := now.Sub(last)
			last = now
			if dt > time.Second { // a suspended process must not replay minutes at once
				dt = time.Second
			}
			s.Step(time.Duration(float64(dt) * s.opts.Speed))
		}
	}
}

// Step advances simulated time by dt and runs every controller once. Tests call it directly.
func (s *Sim) Step(dt time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now().Add(dt)
	s.nowNs.Store(now.UnixNano())
	s.runKubelet(now)
	s.reconcileReplicaSets(now)
	s.traffic.step(s, now, dt)
	if !now.Before(s.nextHPA) {
		s.runHPA(now)
		s.nextHPA = now.Add(hpaSyncPeriod)
	}
	s.updateStatuses()
	// The fake clientset records every action forever; drop them so a long demo does not grow.
	s.client.ClearActions()
}

// StepFor runs Step in increments of tick until d has passed (tests).
func (s *Sim) StepFor(d, tick time.Duration) {
	for el := time.Duration(0); el < d; el += tick {
		s.Step(tick)
	}
}

func (s *Sim) bootstrap() {
	// The namespaces a cluster has, so a :ns to one that does not exist is noticed as on a cluster.
	for _, ns := range []string{Namespace, "default", "kube-system", "kube-public", "kube-node-lease"} {
		s.mustCreate(namespacesGVR, "", &corev1.Namespace{ObjectMeta: meta("", ns, s.Now().Add(-48*time.Hour), nil)})
	}
	zones := []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}
	for i := 0; i < 6; i++ {
		z := zones[i%3]
		s.nodes = append(s.nodes, nodeSpec{name: fmt.Sprintf("node-%s-%d", z[len(z)-1:], i/3+1), zone: z})
	}
	for _, n := range s.nodes {
		s.mustCreate(nodesGVR, "", &corev1.Node{
			ObjectMeta: meta("", n.name, s.Now().Add(-48*time.Hour), map[string]string{
				"topology.kubernetes.io/zone": n.zone, "kubernetes.io/hostname": n.name,
			}),
			Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}},
		})
	}
	s.addWorkload(&workload{name: "gateway", warmup: 2 * time.Second, grace: 2 * time.Second,
		cpuRequest: 100, cpuLimit: 500, idleCPU: 5, perReqCPU: 0.2}, 2, s.Now().Add(-26*time.Hour))
	s.addWorkload(&workload{name: Target, warmup: 4 * time.Second, grace: 3 * time.Second,
		cpuRequest: 250, cpuLimit: 500, idleCPU: 8, perReqCPU: 2.5}, 3, s.Now().Add(-3*time.Hour))
	s.addWorkload(&workload{name: "db", warmup: 6 * time.Second, grace: 5 * time.Second,
		cpuRequest: 500, cpuLimit: 1000, idleCPU: 20, perReqCPU: 0.5}, 1, s.Now().Add(-72*time.Hour))
	s.createHPA()
	s.createPDB()
	s.traffic.init(s)
	s.updateStatuses()
	s.nextHPA = s.Now().Add(hpaSyncPeriod)
}

func (s *Sim) addWorkload(w *workload, replicas int32, created time.Time) {
	w.labels = map[string]string{"app": w.name}
	w.rsName = w.name + "-" + s.randString(10)
	s.specs[w.name] = w
	dep := &appsv1.Deployment{
		ObjectMeta: meta(Namespace, w.name, created, w.labels),
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: selector(w.labels),
			Template: podTemplate(w),
		},
	}
	dep.Generation = 1
	s.mustCreate(deploymentsGVR, Namespace, dep)
	rs := &appsv1.ReplicaSet{
		ObjectMeta: meta(Namespace, w.rsName, created, w.labels),
		Spec:       appsv1.ReplicaSetSpec{Replicas: &replicas, Selector: selector(w.labels), Template: podTemplate(w)},
	}
	rs.OwnerReferences = ownerRef("apps/v1", "Deployment", w.name)
	s.mustCreate(replicasetsGVR, Namespace, rs)
	// Initial pods: already running for a while, like a cluster one walks up to.
	for i := int32(0); i < replicas; i++ {
		age := time.Duration(20+s.rng.Intn(90)) * time.Minute
		s.createPod(w, s.Now().Add(-age), true)
	}
}

// randString returns n characters from the alphabet Kubernetes uses for generated names.
func (s *Sim) randString(n int) string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[s.rng.Intn(len(alphabet))]
	}
	return string(b)
}
