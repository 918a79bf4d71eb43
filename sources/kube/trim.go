package kube

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"unsafe"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	appsv1client "k8s.io/client-go/kubernetes/typed/apps/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
)

// Watching 5,000 pods under churn, decoding the protobuf stream was the largest share of gameday's CPU
// (~28 % of it, most in PodSpec and in Deployment/ReplicaSet pod templates, which no pane shows). The
// trimming client cuts those fields out of the wire bytes before the generated Unmarshal runs: walking
// protobuf tags is far cheaper than building the Go objects and their garbage. What is kept is a
// superset of what the informer Transform keeps (a test checks this on randomly filled objects), so the
// panes see exactly what they saw before.

// msgRule says which fields of one protobuf message survive: keep[n] copies field n as it is, sub[n]
// filters it as a nested message (each element, when repeated). Anything else is dropped.
type msgRule struct {
	keep uint64
	sub  map[int]*msgRule
	// entries[n] keeps only the entries of map field n whose key is one of these.
	entries map[int][]string
}

func fields(nums ...int) uint64 {
	var m uint64
	for _, n := range nums {
		m |= 1 << n
	}
	return m
}

// Field numbers from k8s.io/api and k8s.io/apimachinery generated.proto.
var (
	// ObjectMeta without generateName, selfLink, finalizers and managedFields, and of the annotations
	// only the one that ends a watch list's initial events: a reflector that streams its list waits
	// for it to sync (the informers list plainly today, see IsWatchListSemanticsUnSupported).
	objectMetaRule = &msgRule{keep: fields(1, 3, 5, 6, 7, 8, 9, 10, 11, 13),
		entries: map[int][]string{12: {metav1.InitialEventsAnnotationKey}}}

	podRule = &msgRule{sub: map[int]*msgRule{
		1: objectMetaRule,
		// PodSpec: containers (names only: their count makes the READY column) and nodeName.
		2: {keep: fields(10), sub: map[int]*msgRule{2: {keep: fields(1)}}},
		// PodStatus: phase, conditions, reason; containerStatuses' name, state, ready, restartCount.
		3: {keep: fields(1, 2, 4), sub: map[int]*msgRule{8: {keep: fields(1, 2, 4, 5)}}},
	}}
	// Deployment and ReplicaSet: spec.replicas and spec.selector (the template is a whole PodSpec),
	// status as it is.
	workloadRule = &msgRule{keep: fields(3), sub: map[int]*msgRule{
		1: objectMetaRule,
		2: {keep: fields(1, 2)},
	}}

	// A Deployment also keeps its template's containers' names and requests (spec.template.spec.
	// containers[].resources.requests), which the VPA line compares with the recommendation.
	deploymentRule = &msgRule{keep: fields(3), sub: map[int]*msgRule{
		1: objectMetaRule,
		2: {keep: fields(1, 2), sub: map[int]*msgRule{
			3: {sub: map[int]*msgRule{2: {sub: map[int]*msgRule{
				2: {keep: fields(1), sub: map[int]*msgRule{8: {keep: fields(2)}}},
			}}}},
		}},
	}}

	trimRules = map[typeMeta]*msgRule{
		{"v1", "Pod"}: podRule, {"v1", "PodList"}: listRule(podRule),
		{"apps/v1", "Deployment"}: deploymentRule, {"apps/v1", "DeploymentList"}: listRule(deploymentRule),
		{"apps/v1", "ReplicaSet"}: workloadRule, {"apps/v1", "ReplicaSetList"}: listRule(workloadRule),
	}
)

type typeMeta struct{ apiVersion, kind string }

// listRule: ListMeta (1) as it is, every item (2) filtered.
func listRule(item *msgRule) *msgRule {
	return &msgRule{keep: fields(1), sub: map[int]*msgRule{2: item}}
}

const (
	wireVarint = 0
	wire64     = 1
	wireBytes  = 2
	wire32     = 5
)

func readVarint(b []byte, i int) (uint64, int, error) {
	var v uint64
	for shift := uint(0); shift < 64; shift += 7 {
		if i >= len(b) {
			return 0, 0, errTruncated
		}
		c := b[i]
		i++
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v, i, nil
		}
	}
	return 0, 0, fmt.Errorf("protobuf: varint overflows 64 bits")
}

var errTruncated = fmt.Errorf("protobuf: message truncated")

func varintLen(v int) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// putPadded writes v as a varint of exactly n bytes (protobuf decoders accept non-minimal varints),
// which lets a nested message's length be reserved before the filtered message is known.
func putPadded(b []byte, v, n int) {
	for i := 0; i < n-1; i++ {
		b[i] = byte(v&0x7f) | 0x80
		v >>= 7
	}
	b[n-1] = byte(v)
}

// filterMsg appends to dst the fields of src that rule keeps.
func filterMsg(dst, src []byte, rule *msgRule) ([]byte, error) {
	for i := 0; i < len(src); {
		start := i
		tag, next, err := readVarint(src, i)
		if err != nil {
			return nil, err
		}
		i = next
		tagEnd := next
		num, wt := int(tag>>3), int(tag&7)
		var payload int // start of a length-delimited payload
		switch wt {
		case wireVarint:
			if _, i, err = readVarint(src, i); err != nil {
				return nil, err
			}
		case wire64:
			i += 8
		case wire32:
			i += 4
		case wireBytes:
			var n uint64
			if n, i, err = readVarint(src, i); err != nil {
				return nil, err
			}
			if n > uint64(len(src)-i) {
				return nil, errTruncated
			}
			payload = i
			i += int(n)
		default:
			return nil, fmt.Errorf("protobuf: unsupported wire type %d (field %d)", wt, num)
		}
		if i > len(src) {
			return nil, errTruncated
		}
		if num < 64 && rule.keep&(1<<num) != 0 {
			dst = append(dst, src[start:i]...)
			continue
		}
		if wt != wireBytes {
			continue
		}
		if keys, ok := rule.entries[num]; ok {
			if k, err := mapKey(src[payload:i]); err != nil {
				return nil, err
			} else if slices.Contains(keys, k) {
				dst = append(dst, src[start:i]...)
			}
			continue
		}
		sub := rule.sub[num]
		if sub == nil {
			continue
		}
		dst = append(dst, src[start:tagEnd]...)
		lenAt, lenN := len(dst), varintLen(i-payload)
		dst = append(dst, make([]byte, lenN)...)
		if dst, err = filterMsg(dst, src[payload:i], sub); err != nil {
			return nil, err
		}
		putPadded(dst[lenAt:], len(dst)-lenAt-lenN, lenN)
	}
	return dst, nil
}

// mapKey reads the key (field 1) of a map entry. The key is compared right away, so it is not copied.
func mapKey(b []byte) (string, error) {
	for i := 0; i < len(b); {
		tag, next, err := readVarint(b, i)
		if err != nil {
			return "", err
		}
		if tag&7 != wireBytes {
			return "", fmt.Errorf("protobuf: map entry field %d has wire type %d", tag>>3, tag&7)
		}
		n, p, err := readVarint(b, next)
		if err != nil || n > uint64(len(b)-p) {
			return "", errTruncated
		}
		if tag>>3 == 1 {
			return unsafe.String(unsafe.SliceData(b[p:]), int(n)), nil
		}
		i = p + int(n)
	}
	return "", nil
}

// protobufPrefix starts every Kubernetes protobuf object: "k8s\0", then a runtime.Unknown.
var protobufPrefix = []byte{0x6b, 0x38, 0x73, 0x00}

// trimEnvelope returns data with its object trimmed when its kind has a rule, or nil when it has none.
// The envelope is runtime.Unknown{typeMeta 1 {apiVersion 1, kind 2}, raw 2, contentEncoding 3,
// contentType 4}.
func trimEnvelope(dst, data []byte) ([]byte, error) {
	if !bytes.HasPrefix(data, protobufPrefix) {
		return nil, nil
	}
	unk := data[len(protobufPrefix):]
	var tm typeMeta
	rawTagEnd, rawStart, rawEnd := -1, -1, -1
	for i := 0; i < len(unk); {
		tag, next, err := readVarint(unk, i)
		if err != nil {
			return nil, err
		}
		if tag&7 != wireBytes {
			return nil, nil // not the envelope we know: leave it to the real decoder
		}
		n, p, err := readVarint(unk, next)
		if err != nil || n > uint64(len(unk)-p) {
			return nil, errTruncated
		}
		switch tag >> 3 {
		case 1:
			tm = readTypeMeta(unk[p : p+int(n)])
		case 2:
			rawTagEnd, rawStart, rawEnd = next, p, p+int(n)
		case 3:
			if n > 0 {
				return nil, nil // raw is encoded (compressed): only the real decoder can read it
			}
		}
		i = p + int(n)
	}
	rule := trimRules[tm]
	if rule == nil || rawStart < 0 {
		return nil, nil
	}
	// Rebuild: prefix, every field before raw as it was, the trimmed raw, every field after it.
	dst = append(dst, data[:len(protobufPrefix)+rawTagEnd]...)
	lenAt, lenN := len(dst), varintLen(rawEnd-rawStart)
	dst = append(dst, make([]byte, lenN)...)
	dst, err := filterMsg(dst, unk[rawStart:rawEnd], rule)
	if err != nil {
		return nil, fmt.Errorf("trimming %s %s: %w", tm.apiVersion, tm.kind, err)
	}
	putPadded(dst[lenAt:], len(dst)-lenAt-lenN, lenN)
	return append(dst, unk[rawEnd:]...), nil
}

// readTypeMeta reads a runtime.TypeMeta {apiVersion 1, kind 2}. Its strings point into b: they are
// only compared.
func readTypeMeta(b []byte) (tm typeMeta) {
	for i := 0; i < len(b); {
		tag, next, err := readVarint(b, i)
		if err != nil || tag&7 != wireBytes {
			return typeMeta{}
		}
		n, p, err := readVarint(b, next)
		if err != nil || n > uint64(len(b)-p) {
			return typeMeta{}
		}
		v := unsafe.String(unsafe.SliceData(b[p:]), int(n))
		switch tag >> 3 {
		case 1:
			tm.apiVersion = v
		case 2:
			tm.kind = v
		}
		i = p + int(n)
	}
	return tm
}

// trimDecoder decodes trimmed bytes with the real protobuf serializer. The serializer copies what it
// keeps (strings and byte slices), so the scratch buffer goes back to the pool after Decode.
type trimDecoder struct {
	runtime.Serializer
	pool *sync.Pool
}

func (d trimDecoder) Decode(data []byte, gvk *schema.GroupVersionKind, into runtime.Object) (runtime.Object, *schema.GroupVersionKind, error) {
	bp := d.pool.Get().(*[]byte)
	defer d.pool.Put(bp)
	trimmed, err := trimEnvelope((*bp)[:0], data)
	if err != nil {
		return nil, nil, err
	}
	if trimmed == nil {
		return d.Serializer.Decode(data, gvk, into)
	}
	if cap(trimmed) <= 1<<20 { // keep the grown buffer, unless a huge list made it
		*bp = trimmed
	}
	return d.Serializer.Decode(trimmed, gvk, into)
}

// trimSerializer is the client's codec factory with the protobuf decoder replaced by trimDecoder.
type trimSerializer struct {
	runtime.NegotiatedSerializer
	infos []runtime.SerializerInfo
}

func newTrimSerializer(base runtime.NegotiatedSerializer) trimSerializer {
	pool := &sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}
	infos := append([]runtime.SerializerInfo(nil), base.SupportedMediaTypes()...)
	for i := range infos {
		if infos[i].MediaType == runtime.ContentTypeProtobuf {
			infos[i].Serializer = trimDecoder{Serializer: infos[i].Serializer, pool: pool}
		}
	}
	return trimSerializer{NegotiatedSerializer: base, infos: infos}
}

func (t trimSerializer) SupportedMediaTypes() []runtime.SerializerInfo { return t.infos }

// trimmingClientset is a clientset whose core/v1 and apps/v1 clients trim Pods, Deployments and
// ReplicaSets as they are decoded; every other group is the base clientset's.
type trimmingClientset struct {
	kubernetes.Interface
	core corev1client.CoreV1Interface
	apps appsv1client.AppsV1Interface
}

// IsWatchListSemanticsUnSupported makes the informers start with a plain LIST at resourceVersion 0,
// served from the apiserver's watch cache as it is, instead of a streaming watch list, which is a
// consistent read: it waits for the cache to catch up with etcd. Under churn that wait delayed the
// first frame (5,000 pods, same testbed, alternating: 1.1-1.8 s streaming vs 0.63-0.80 s listed).
// The list is decoded trimmed, so its memory cost is small.
func (c trimmingClientset) IsWatchListSemanticsUnSupported() bool { return true }

func (c trimmingClientset) CoreV1() corev1client.CoreV1Interface { return c.core }
func (c trimmingClientset) AppsV1() appsv1client.AppsV1Interface { return c.apps }

// WatchClient returns the clientset for the cluster source's informers: its own connection, paced
// by p, decoding Pods, Deployments and ReplicaSets without the fields no pane shows. Objects read
// through it are not fit to be written back: actions use a clientset of their own.
func WatchClient(cfg *rest.Config, p *Pacer) (kubernetes.Interface, error) {
	wc := rest.CopyConfig(cfg)
	wc.Dial = p.Dial(cfg.Dial)
	hc, err := rest.HTTPClientFor(wc)
	if err != nil {
		return nil, fmt.Errorf("watch client: %w", err)
	}
	base, err := kubernetes.NewForConfigAndClient(wc, hc)
	if err != nil {
		return nil, fmt.Errorf("watch client: %w", err)
	}
	return trimmingClient(base, wc, hc)
}

// trimmingClient wraps base: its core/v1 and apps/v1 clients (on cfg and hc) trim as they decode.
func trimmingClient(base kubernetes.Interface, cfg *rest.Config, hc *http.Client) (kubernetes.Interface, error) {
	ns := newTrimSerializer(rest.CodecFactoryForGeneratedClient(scheme.Scheme, scheme.Codecs).WithoutConversion())
	restFor := func(gv schema.GroupVersion, apiPath string) (*rest.RESTClient, error) {
		c := rest.CopyConfig(cfg)
		c.GroupVersion, c.APIPath, c.NegotiatedSerializer = &gv, apiPath, ns
		if c.UserAgent == "" {
			c.UserAgent = rest.DefaultKubernetesUserAgent()
		}
		return rest.RESTClientForConfigAndClient(c, hc)
	}
	core, err := restFor(schema.GroupVersion{Version: "v1"}, "/api")
	if err != nil {
		return nil, fmt.Errorf("watch client: core/v1: %w", err)
	}
	apps, err := restFor(schema.GroupVersion{Group: "apps", Version: "v1"}, "/apis")
	if err != nil {
		return nil, fmt.Errorf("watch client: apps/v1: %w", err)
	}
	return trimmingClientset{Interface: base, core: corev1client.New(core), apps: appsv1client.New(apps)}, nil
}
