// Package kube is the cluster source: typed shared informers (resync 0, trimmed objects) whose handlers
// only mark keys dirty; a flusher turns dirty keys into one model.ClusterDelta at most every 100 ms.
// The same code watches a real apiserver and, in demo mode, the simulation's fake clientset.
package kube

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/sources"
)

type kind int

const (
	kPod kind = iota
	kDeploy
	kRS
	kHPA
	kNode
	kEvent
	kPDB
	kVS
	kVPA
	kCA // the cluster-autoscaler's status ConfigMap
	// The cluster-autoscaler's events outside the watched namespace: on its status ConfigMap (in its
	// namespace) and on nodes (in default, where events of cluster-scoped objects go).
	kCAEvents
	kCANodeEvents
	nKinds
)

var kindNames = [nKinds]string{"pods", "deployments", "replicasets", "horizontalpodautoscalers", "nodes", "events", "poddisruptionbudgets", "virtualservices",
	"verticalpodautoscalers", "configmaps (cluster-autoscaler status)", "events (cluster-autoscaler)", "events (cluster-autoscaler, nodes)"}

// Options configure the source.
type Options struct {
	// Namespace to watch; "" (metav1.NamespaceAll) watches all namespaces.
	Namespace string
	// FlushInterval bounds how often deltas reach the UI (default 100 ms: at most 10 Hz).
	FlushInterval time.Duration
	// Now is the clock used to stamp batches (the simulation's clock in demo mode).
	Now func() time.Time
	// OnSynced, if set, is called once the first full batch has been sent (it starts the Pacer).
	OnSynced func()
	// Dynamic watches custom resources (Istio's VirtualServices and VerticalPodAutoscalers, when the
	// cluster serves them); nil watches none.
	Dynamic dynamic.Interface
	// AutoscalerNamespace is where the cluster-autoscaler writes its status ConfigMap (its
	// --namespace); "" is kube-system.
	AutoscalerNamespace string
}

// Source watches one cluster.
type Source struct {
	client kubernetes.Interface
	opts   Options
	send   func(context.Context, any) bool

	informers [nKinds]cache.SharedIndexInformer

	mu          sync.Mutex
	dirty       [nKinds]map[string]struct{}
	down        map[kind]error // kinds whose watch currently fails
	denied      map[kind]bool  // kinds the identity may not list (RBAC): not an outage
	unreachable bool           // the last probe failed
}

// New creates the source; call Run to start it.
func New(client kubernetes.Interface, send func(context.Context, any) bool, opts Options) *Source {
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = 100 * time.Millisecond
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Source{client: client, opts: opts, send: send, down: map[kind]error{}, denied: map[kind]bool{}}
	for i := range s.dirty {
		s.dirty[i] = map[string]struct{}{}
	}
	return s
}

// Run starts the informers and flushes batches until ctx ends.
func (s *Source) Run(ctx context.Context) {
	nsf := informers.NewSharedInformerFactoryWithOptions(s.client, 0,
		informers.WithNamespace(s.opts.Namespace), informers.WithTransform(Transform))
	clf := informers.NewSharedInformerFactoryWithOptions(s.client, 0, informers.WithTransform(Transform))
	s.informers[kPod] = nsf.Core().V1().Pods().Informer()
	s.informers[kDeploy] = nsf.Apps().V1().Deployments().Informer()
	s.informers[kRS] = nsf.Apps().V1().ReplicaSets().Informer()
	s.informers[kHPA] = nsf.Autoscaling().V2().HorizontalPodAutoscalers().Informer()
	s.informers[kPDB] = nsf.Policy().V1().PodDisruptionBudgets().Informer()
	s.informers[kNode] = clf.Core().V1().Nodes().Informer()
	var dyn dynamicinformer.DynamicSharedInformerFactory
	if s.opts.Dynamic != nil {
		dyn = dynamicinformer.NewFilteredDynamicSharedInformerFactory(s.opts.Dynamic, 0, s.opts.Namespace, nil)
		if gvr, ok := VirtualServiceResource(s.client.Discovery()); ok {
			s.informers[kVS] = dyn.ForResource(gvr).Informer()
		}
		if gvr, ok := VPAResource(s.client.Discovery()); ok {
			s.informers[kVPA] = dyn.ForResource(gvr).Informer()
		}
	}
	// One ConfigMap, by name, in the autoscaler's namespace: a watch of every ConfigMap would carry
	// the cluster's configuration for nothing.
	caf := informers.NewSharedInformerFactoryWithOptions(s.client, 0, informers.WithNamespace(s.autoscalerNamespace()),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.FieldSelector = "metadata.name=" + AutoscalerConfigMap }))
	s.informers[kCA] = caf.Core().V1().ConfigMaps().Informer()
	for k := kind(0); k < nKinds; k++ {
		if s.informers[k] != nil {
			s.handle(ctx, k)
		}
	}
	nsf.Start(ctx.Done())
	clf.Start(ctx.Done())
	caf.Start(ctx.Done())
	defer nsf.Shutdown()
	defer clf.Shutdown()
	defer caf.Shutdown()
	if dyn != nil {
		dyn.Start(ctx.Done())
		defer dyn.Shutdown()
	}

	s.send(ctx, sources.ConnState{Source: "cluster", OK: true, Detail: "syncing"})
	s.waitSynced(ctx)
	s.flush(ctx, true)
	if s.opts.OnSynced != nil {
		s.opts.OnSynced()
	}
	// Events start once the first frame has its pods. A namespace where 5,000 pods were just created
	// holds thousands of events; listed alongside the pods, they took the apiserver's and gameday's CPU
	// from the pods list and delayed the first frame (measured on the bench testbed).
	// They reach the events pane in the next batches.
	s.informers[kEvent] = nsf.Events().V1().Events().Informer()
	s.handle(ctx, kEvent)
	nsf.Start(ctx.Done())
	if s.opts.Namespace != "" { // all namespaces: the events informer has them already
		for k, ns := range map[kind]string{kCAEvents: s.autoscalerNamespace(), kCANodeEvents: metav1.NamespaceDefault} {
			if ns == s.opts.Namespace {
				continue
			}
			f := informers.NewSharedInformerFactoryWithOptions(s.client, 0, informers.WithNamespace(ns), informers.WithTransform(Transform),
				informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.FieldSelector = "reportingController=" + model.AutoscalerController }))
			s.informers[k] = f.Events().V1().Events().Informer()
			s.handle(ctx, k)
			f.Start(ctx.Done())
			defer f.Shutdown()
		}
	}

	tick := time.NewTicker(s.opts.FlushInterval)
	defer tick.Stop()
	probe := time.NewTicker(2 * time.Second)
	defer probe.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			s.flush(ctx, false)
		case <-probe.C:
			s.probe(ctx)
		}
	}
}

func (s *Source) autoscalerNamespace() string {
	if s.opts.AutoscalerNamespace != "" {
		return s.opts.AutoscalerNamespace
	}
	return metav1.NamespaceSystem
}

// handle makes kind k's informer mark keys dirty and report watch failures.
func (s *Source) handle(ctx context.Context, k kind) {
	inf := s.informers[k]
	_ = inf.SetWatchErrorHandler(func(_ *cache.Reflector, err error) { s.watchFailed(ctx, k, err) })
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { s.mark(k, obj) },
		UpdateFunc: func(_, obj any) { s.mark(k, obj) },
		DeleteFunc: func(obj any) { s.mark(k, obj) },
	})
}

// waitSynced waits for the informers the UI cannot do without (events start after it); kinds the
// identity may not list (RBAC) would never sync, so they are not waited for beyond a short grace.
// An apiserver that has answered no list at all is not a listed cluster, however long it takes:
// while it does not answer, the apiserver is asked for its version every 2 s and the header says
// it is unreachable (the reflectors retry refused connections without a word).
func (s *Source) waitSynced(ctx context.Context) {
	deadline := time.Now().Add(10 * time.Second)
	ping := time.Now().Add(2 * time.Second)
	for ctx.Err() == nil {
		all, some := true, false
		s.mu.Lock()
		for k, inf := range s.informers {
			if inf == nil {
				continue
			}
			switch {
			case inf.HasSynced():
				some = true
			case !s.denied[kind(k)]:
				all = false
			}
		}
		s.mu.Unlock()
		if all || some && time.Now().After(deadline) {
			return
		}
		if time.Now().After(ping) {
			s.probe(ctx)
			ping = time.Now().Add(2 * time.Second)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *Source) mark(k kind, obj any) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		return
	}
	s.mu.Lock()
	s.dirty[k][key] = struct{}{}
	s.mu.Unlock()
}

func (s *Source) watchFailed(ctx context.Context, k kind, err error) {
	s.mu.Lock()
	if apierrors.IsForbidden(err) {
		first := !s.denied[k]
		s.denied[k] = true
		s.mu.Unlock()
		// An identity that may not read kube-system has no autoscaler line; that is not worth a warning.
		if first && k != kCA && k != kCAEvents && k != kCANodeEvents {
			s.send(ctx, sources.ErrorMsg{Source: "cluster", Err: fmt.Sprintf("no access to %s: %v", kindNames[k], err)})
		}
		return
	}
	wasUp := len(s.down) == 0
	s.down[k] = err
	s.mu.Unlock()
	if wasUp {
		s.send(ctx, sources.ConnState{Source: "cluster", OK: false, Err: model.ErrText(err), Detail: "apiserver unreachable, reconnecting"})
	}
}

// probe asks the apiserver for /version. Reflectors retry refused connections internally without
// reporting them, so without this an outage would be invisible: the header would stay green.
func (s *Source) probe(ctx context.Context) {
	err := s.ping(ctx)
	s.mu.Lock()
	wasDown := s.unreachable
	s.unreachable = err != nil
	if err == nil {
		s.down = map[kind]error{}
	}
	s.mu.Unlock()
	switch {
	case err != nil && !wasDown:
		s.send(ctx, sources.ConnState{Source: "cluster", OK: false, Err: model.ErrText(err), Detail: "apiserver unreachable, reconnecting"})
	case err == nil && wasDown:
		s.send(ctx, sources.ConnState{Source: "cluster", OK: true, Detail: "reconnected"})
	}
}

func (s *Source) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if rc := s.client.Discovery().RESTClient(); rc != nil && !isNilInterface(rc) {
		return rc.Get().AbsPath("/version").Do(ctx).Error()
	}
	_, err := s.client.Discovery().ServerVersion() // the fake clientset has no REST client
	return err
}

func isNilInterface(v any) bool {
	defer func() { _ = recover() }()
	return reflect.ValueOf(v).IsNil()
}

// flush turns dirty keys into one delta. With reset, it sends every object in the caches.
func (s *Source) flush(ctx context.Context, reset bool) {
	var keys [nKinds][]string
	s.mu.Lock()
	for k := range s.dirty {
		if reset {
			s.dirty[k] = map[string]struct{}{}
			continue
		}
		if len(s.dirty[k]) == 0 {
			continue
		}
		keys[k] = make([]string, 0, len(s.dirty[k]))
		for key := range s.dirty[k] {
			keys[k] = append(keys[k], key)
		}
		s.dirty[k] = map[string]struct{}{}
	}
	s.mu.Unlock()
	d := &model.ClusterDelta{Reset: reset, At: s.opts.Now()}
	for k := kind(0); k < nKinds; k++ {
		if s.informers[k] == nil {
			continue // events, before the first batch
		}
		idx := s.informers[k].GetIndexer()
		if reset {
			for _, obj := range idx.List() {
				s.add(d, k, obj)
			}
			continue
		}
		for _, key := range keys[k] {
			obj, ok, err := idx.GetByKey(key)
			if err != nil {
				continue
			}
			if ok {
				s.add(d, k, obj)
			} else {
				s.gone(d, k, key)
			}
		}
	}
	if d.Empty() {
		return
	}
	s.send(ctx, d)
}

func (s *Source) add(d *model.ClusterDelta, k kind, obj any) {
	switch o := obj.(type) {
	case *corev1.Pod:
		d.Pods = append(d.Pods, toPod(o))
	case *appsv1.Deployment:
		d.Deployments = append(d.Deployments, toDeployment(o))
	case *appsv1.ReplicaSet:
		d.ReplicaSets = append(d.ReplicaSets, toReplicaSet(o))
	case *autoscalingv2.HorizontalPodAutoscaler:
		d.HPAs = append(d.HPAs, toHPA(o))
	case *corev1.Node:
		d.Nodes = append(d.Nodes, toNode(o))
	case *eventsv1.Event:
		d.Events = append(d.Events, toEvent(o))
	case *policyv1.PodDisruptionBudget:
		d.PDBs = append(d.PDBs, toPDB(o))
	case *unstructured.Unstructured:
		switch k {
		case kVS:
			d.VSs = append(d.VSs, ToVirtualService(o))
		case kVPA:
			d.VPAs = append(d.VPAs, ToVPA(o))
		}
	case *corev1.ConfigMap:
		if o.Name != AutoscalerConfigMap {
			return // a client that ignores the field selector (the fake clientset of --demo)
		}
		a := ParseAutoscaler(o.Namespace, o.Data["status"])
		d.Autoscaler = &a
	}
}

func (s *Source) gone(d *model.ClusterDelta, k kind, key string) {
	switch k {
	case kPod:
		d.PodsGone = append(d.PodsGone, key)
	case kDeploy:
		d.DeploysGone = append(d.DeploysGone, key)
	case kRS:
		d.RSGone = append(d.RSGone, key)
	case kHPA:
		d.HPAsGone = append(d.HPAsGone, key)
	case kNode:
		d.NodesGone = append(d.NodesGone, key)
	case kPDB:
		d.PDBsGone = append(d.PDBsGone, key)
	case kVS:
		d.VSsGone = append(d.VSsGone, key)
	case kVPA:
		d.VPAsGone = append(d.VPAsGone, key)
	case kCA:
		d.AutoscalerGone = true
	}
}
