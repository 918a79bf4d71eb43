package kube

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"os"
	"reflect"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/apitesting/fuzzer"
	"k8s.io/apimachinery/pkg/api/resource"
	metafuzzer "k8s.io/apimachinery/pkg/apis/meta/fuzzer"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	runtimeserializer "k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/randfill"
)

// filler fills API objects at random, every optional field present about half the time.
func filler(seed int64) *randfill.Filler {
	funcs := fuzzer.MergeFuzzerFuncs(metafuzzer.Funcs, func(runtimeserializer.CodecFactory) []any {
		return []any{func(q *resource.Quantity, c randfill.Continue) {
			*q = *resource.NewQuantity(c.Int63n(1000), resource.DecimalSI)
		}}
	})
	return fuzzer.FuzzerFor(funcs, rand.NewSource(seed), scheme.Codecs).NumElements(1, 3)
}

type codecs struct{ plain, trim runtime.Serializer }

func newCodecs(t testing.TB) codecs {
	base := rest.CodecFactoryForGeneratedClient(scheme.Scheme, scheme.Codecs).WithoutConversion()
	find := func(infos []runtime.SerializerInfo) runtime.Serializer {
		for _, i := range infos {
			if i.MediaType == runtime.ContentTypeProtobuf {
				return i.Serializer
			}
		}
		t.Fatal("no protobuf serializer")
		return nil
	}
	return codecs{plain: find(base.SupportedMediaTypes()), trim: find(newTrimSerializer(base).SupportedMediaTypes())}
}

func (c codecs) encode(t testing.TB, obj runtime.Object) []byte {
	var buf bytes.Buffer
	if err := c.plain.Encode(obj, &buf); err != nil {
		t.Fatalf("encode %T: %v", obj, err)
	}
	return buf.Bytes()
}

// decodeBoth decodes data with and without trimming (decode, not the original, is the reference: the
// wire format normalises some values the filler makes, such as times below a second).
func (c codecs) decodeBoth(t testing.TB, data []byte) (plain, trimmed runtime.Object) {
	plain, _, err := c.plain.Decode(data, nil, nil)
	if err != nil {
		t.Fatalf("plain decode: %v", err)
	}
	trimmed, _, err = c.trim.Decode(data, nil, nil)
	if err != nil {
		t.Fatalf("trimmed decode: %v", err)
	}
	return plain, trimmed
}

// The panes see the same thing through the trimming decoder as through the plain one: for random
// Pods, Deployments, ReplicaSets and their lists, what Transform and the converters keep is equal.
// A wrong field number in a rule fails this (the filler sets every field).
func TestTrimKeepsWhatThePanesUse(t *testing.T) {
	c := newCodecs(t)
	f := filler(1)
	var saved, total int
	for i := 0; i < 300; i++ {
		var pod corev1.Pod
		f.Fill(&pod)
		pod.Kind, pod.APIVersion = "Pod", "v1"
		data := c.encode(t, &pod)
		p, tr := c.decodeBoth(t, data)
		want, _ := Transform(p.(*corev1.Pod))
		got, _ := Transform(tr.(*corev1.Pod))
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("pod %d: trimmed decode differs after Transform\nwant %+v\ngot  %+v", i, want, got)
		}
		if !reflect.DeepEqual(toPod(want.(*corev1.Pod)), toPod(got.(*corev1.Pod))) {
			t.Fatalf("pod %d: toPod differs", i)
		}

		for _, w := range []struct {
			obj  runtime.Object
			kind string
			conv func(runtime.Object) any
		}{
			{&appsv1.Deployment{}, "Deployment", func(o runtime.Object) any { return toDeployment(o.(*appsv1.Deployment)) }},
			{&appsv1.ReplicaSet{}, "ReplicaSet", func(o runtime.Object) any { return toReplicaSet(o.(*appsv1.ReplicaSet)) }},
		} {
			f.Fill(w.obj)
			w.obj.GetObjectKind().SetGroupVersionKind(appsv1.SchemeGroupVersion.WithKind(w.kind))
			wp, wt := c.decodeBoth(t, c.encode(t, w.obj))
			if a, b := w.conv(wp), w.conv(wt); !reflect.DeepEqual(a, b) {
				t.Fatalf("%s %d: want %+v\ngot  %+v", w.kind, i, a, b)
			}
			if rs, ok := wt.(*appsv1.ReplicaSet); ok && rs.Spec.Template.Spec.Containers != nil {
				t.Fatalf("replicaset %d: the pod template was not dropped", i)
			}
		}
		total += len(data)
		trimmed, err := trimEnvelope(nil, data)
		if err != nil || trimmed == nil {
			t.Fatalf("pod %d: trimEnvelope = %v, %v", i, trimmed, err)
		}
		saved += len(data) - len(trimmed)
	}
	if saved < total/2 {
		t.Errorf("trimming kept %d of %d bytes of random pods; expected most of a pod to go", total-saved, total)
	}

	// Lists: every item trimmed, list metadata kept.
	var list corev1.PodList
	f.Fill(&list)
	list.Items = make([]corev1.Pod, 5)
	for i := range list.Items {
		f.Fill(&list.Items[i])
	}
	list.Kind, list.APIVersion = "PodList", "v1"
	lp, lt := c.decodeBoth(t, c.encode(t, &list))
	pl, tl := lp.(*corev1.PodList), lt.(*corev1.PodList)
	if !reflect.DeepEqual(pl.ListMeta, tl.ListMeta) || len(pl.Items) != len(tl.Items) || len(pl.Items) == 0 {
		t.Fatalf("list: meta %+v vs %+v, %d vs %d items", pl.ListMeta, tl.ListMeta, len(pl.Items), len(tl.Items))
	}
	for i := range pl.Items {
		a, _ := Transform(&pl.Items[i])
		b, _ := Transform(&tl.Items[i])
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("list item %d differs", i)
		}
	}
}

// Kinds without a rule, and bytes that are not a protobuf envelope, pass through untouched.
func TestTrimLeavesOtherKindsAlone(t *testing.T) {
	c := newCodecs(t)
	f := filler(2)
	var node corev1.Node
	f.Fill(&node)
	node.Kind, node.APIVersion = "Node", "v1"
	data := c.encode(t, &node)
	if got, err := trimEnvelope(nil, data); got != nil || err != nil {
		t.Fatalf("trimEnvelope(Node) = %d bytes, %v; want untouched", len(got), err)
	}
	p, tr := c.decodeBoth(t, data)
	if !reflect.DeepEqual(p, tr) {
		t.Fatal("a Node decoded through the trimming decoder differs")
	}
	if got, err := trimEnvelope(nil, []byte(`{"kind":"Pod"}`)); got != nil || err != nil {
		t.Fatalf("JSON: %v, %v", got, err)
	}
	// A kind named Pod in another group, and an encoded (compressed) raw, are not ours to cut.
	var pod corev1.Pod
	f.Fill(&pod)
	raw, err := pod.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []runtime.Unknown{
		{TypeMeta: runtime.TypeMeta{APIVersion: "example.com/v1", Kind: "Pod"}, Raw: raw},
		{TypeMeta: runtime.TypeMeta{APIVersion: "v1", Kind: "Pod"}, Raw: raw, ContentEncoding: "gzip"},
	} {
		b, err := u.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if got, err := trimEnvelope(nil, append(append([]byte{}, protobufPrefix...), b...)); got != nil || err != nil {
			t.Errorf("%s %s (encoding %q): trimmed to %d bytes, %v; want untouched", u.APIVersion, u.Kind, u.ContentEncoding, len(got), err)
		}
	}
	// And the same envelope as v1 Pod is trimmed (the cases above fail for the right reason).
	b, _ := (&runtime.Unknown{TypeMeta: runtime.TypeMeta{APIVersion: "v1", Kind: "Pod"}, Raw: raw}).Marshal()
	if got, err := trimEnvelope(nil, append(append([]byte{}, protobufPrefix...), b...)); got == nil || err != nil {
		t.Errorf("v1 Pod: %d bytes, %v; want trimmed", len(got), err)
	}
}

// Broken input is an error, never a panic or an endless loop: every truncation of a pod's bytes.
func TestTrimTruncatedInput(t *testing.T) {
	c := newCodecs(t)
	var pod corev1.Pod
	filler(3).Fill(&pod)
	pod.Kind, pod.APIVersion = "Pod", "v1"
	data := c.encode(t, &pod)
	errs := 0
	for n := len(protobufPrefix); n < len(data); n++ {
		if _, err := trimEnvelope(nil, data[:n]); err != nil {
			errs++
		}
	}
	if errs == 0 {
		t.Fatal("no truncation was reported as an error")
	}
}

// putPadded's varints are what the generated decoders read.
func TestPaddedVarint(t *testing.T) {
	for _, v := range []int{0, 1, 127, 128, 300, 16383, 16384, 1 << 20} {
		for n := varintLen(v); n <= varintLen(v)+2; n++ {
			b := make([]byte, n)
			putPadded(b, v, n)
			got, end, err := readVarint(b, 0)
			if err != nil || int(got) != v || end != n {
				t.Fatalf("putPadded(%d, %d bytes) reads back %d, %d, %v", v, n, got, end, err)
			}
		}
	}
	// And through a generated Unmarshal: a Pod whose metadata length is padded.
	md := metav1.ObjectMeta{Name: "web-1"}
	raw, _ := md.Marshal()
	b := []byte{0x0a}
	pad := make([]byte, 3)
	putPadded(pad, len(raw), 3)
	b = append(append(b, pad...), raw...)
	var pod corev1.Pod
	if err := pod.Unmarshal(b); err != nil || pod.Name != "web-1" {
		t.Fatalf("padded length: %v, name %q", err, pod.Name)
	}
}

// BenchmarkDecodePod decodes (and transforms, as the informer does) one pod of the testbed's bench
// Deployment, as the apiserver sent it (testdata/pod-kwok.json, with its managed fields).
func BenchmarkDecodePod(b *testing.B) {
	c := newCodecs(b)
	js, err := os.ReadFile("testdata/pod-kwok.json")
	if err != nil {
		b.Fatal(err)
	}
	var pod corev1.Pod
	if err := json.Unmarshal(js, &pod); err != nil {
		b.Fatal(err)
	}
	data := c.encode(b, &pod)
	trimmed, _ := trimEnvelope(nil, data)
	b.Logf("pod: %d protobuf bytes, %d trimmed", len(data), len(trimmed))
	for _, bc := range []struct {
		name string
		s    runtime.Serializer
	}{{"plain", c.plain}, {"trimmed", c.trim}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				obj, _, err := bc.s.Decode(data, nil, nil)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = Transform(obj)
			}
		})
	}
}

// A watch list ends its initial events with a bookmark annotated k8s.io/initial-events-end; the
// reflector does not sync without it, so that annotation survives while the others go.
func TestTrimKeepsTheInitialEventsBookmark(t *testing.T) {
	c := newCodecs(t)
	for _, obj := range []runtime.Object{
		&corev1.Pod{TypeMeta: metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"}},
		&appsv1.Deployment{TypeMeta: metav1.TypeMeta{Kind: "Deployment", APIVersion: "apps/v1"}},
		&appsv1.ReplicaSet{TypeMeta: metav1.TypeMeta{Kind: "ReplicaSet", APIVersion: "apps/v1"}},
	} {
		m := obj.(metav1.Object)
		m.SetResourceVersion("42")
		m.SetAnnotations(map[string]string{metav1.InitialEventsAnnotationKey: "true",
			"kubectl.kubernetes.io/last-applied-configuration": `{"big":"object"}`, "k8s.io/other": "x"})
		_, tr := c.decodeBoth(t, c.encode(t, obj))
		got := tr.(metav1.Object)
		if want := map[string]string{metav1.InitialEventsAnnotationKey: "true"}; !reflect.DeepEqual(got.GetAnnotations(), want) {
			t.Errorf("%T: annotations %v, want %v", obj, got.GetAnnotations(), want)
		}
		if got.GetResourceVersion() != "42" {
			t.Errorf("%T: resourceVersion %q", obj, got.GetResourceVersion())
		}
	}
}
