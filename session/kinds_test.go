package session

import (
	"encoding/json"
	"math/rand"
	"reflect"
	"testing"
	"time"

	zmodel "github.com/openzipkin/zipkin-go/model"

	"github.com/gamedaylab/gameday/bus"
	"github.com/gamedaylab/gameday/sources"
)

// TestEveryKindRoundTripsThroughJSON fills every field of every kind's payload with random values,
// publishes it, encodes the envelope as JSON and decodes it by kind: what comes back must equal what
// was sent. A kind added without a payload that survives JSON (an error value, an interface, an
// unexported field) fails here.
func TestEveryKindRoundTripsThroughJSON(t *testing.T) {
	ks := Kinds()
	b := bus.New(ks, func() time.Time { return time.Date(2026, 12, 2, 10, 0, 0, 123456789, time.UTC) })
	rng := rand.New(rand.NewSource(7))
	for _, name := range ks.Names() {
		k := ks[name]
		for i := 0; i < 20; i++ {
			p := reflect.ValueOf(k.New()).Elem() // the payload's type, as published
			fill(p, rng, 0)
			if tm, ok := p.Addr().Interface().(*sources.TraceMsg); ok {
				tm.Spans = sampleSpans()
			}
			payload := p.Interface()
			if got, ok := b.KindOf(payload); !ok || got != name {
				t.Fatalf("KindOf(%T) = %q, %v; want %q", payload, got, ok, name)
			}
			e := b.Publish(name, payload)
			data, err := json.Marshal(e)
			if err != nil {
				t.Fatalf("%s: marshal: %v", name, err)
			}
			back, err := ks.Decode(data)
			if err != nil {
				t.Fatalf("%s: decode: %v\n%s", name, err, data)
			}
			if tm, ok := back.Payload.(sources.TraceMsg); ok {
				for i := range tm.Spans {
					tm.Spans[i].Timestamp = tm.Spans[i].Timestamp.UTC() // zipkin-go decodes into time.Local
				}
			}
			if !reflect.DeepEqual(back, e) {
				t.Fatalf("%s does not round-trip:\nsent %#v\ngot  %#v\njson %s", name, e.Payload, back.Payload, data)
			}
		}
	}
}

// fill sets every exported field reachable from v to a random non-zero value.
func fill(v reflect.Value, rng *rand.Rand, depth int) {
	if depth > 6 {
		return
	}
	if v.Type() == reflect.TypeOf(time.Time{}) {
		v.Set(reflect.ValueOf(time.Unix(rng.Int63n(4e9), rng.Int63n(1e9)).UTC()))
		return
	}
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(rng.Int63n(1000) + 1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(rng.Int63n(1000) + 1))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(rng.Float64() * 1000)
	case reflect.String:
		v.SetString(randString(rng))
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := 0; i < 2; i++ {
			fill(s.Index(i), rng, depth+1)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for i := 0; i < 2; i++ {
			k := reflect.New(v.Type().Key()).Elem()
			fill(k, rng, depth+1)
			e := reflect.New(v.Type().Elem()).Elem()
			fill(e, rng, depth+1)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), rng, depth+1)
		v.Set(p)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), rng, depth+1)
			}
		}
	}
}

func randString(rng *rand.Rand) string {
	const letters = "abcdefghijklmnopqrstuvwxyz-/: é"
	r := []rune(letters)
	out := make([]rune, 1+rng.Intn(12))
	for i := range out {
		out[i] = r[rng.Intn(len(r))]
	}
	return string(out)
}

// sampleSpans are Zipkin spans at the resolution the Zipkin v2 JSON keeps (microseconds).
func sampleSpans() []zmodel.SpanModel {
	parent := zmodel.ID(1)
	return []zmodel.SpanModel{{
		SpanContext: zmodel.SpanContext{TraceID: zmodel.TraceID{Low: 42}, ID: 2, ParentID: &parent},
		Name:        "get /api/items", Kind: zmodel.Server,
		Timestamp:      time.Date(2026, 12, 2, 10, 0, 0, 1000, time.UTC),
		Duration:       15 * time.Millisecond,
		LocalEndpoint:  &zmodel.Endpoint{ServiceName: "web"},
		Tags:           map[string]string{"http.status_code": "200"},
		RemoteEndpoint: &zmodel.Endpoint{ServiceName: "gateway"},
	}}
}

// TestEveryKindHasItsOwnPayloadType: a value is published as the one kind declared with its type,
// so no two kinds may share a payload type.
func TestEveryKindHasItsOwnPayloadType(t *testing.T) {
	seen := map[reflect.Type]string{}
	for name, k := range Kinds() {
		if k.Type == nil {
			t.Fatalf("%s: no payload type (declare it with bus.KindOf)", name)
		}
		if other, dup := seen[k.Type]; dup {
			t.Fatalf("%s and %s both carry %s", name, other, k.Type)
		}
		seen[k.Type] = name
	}
}
