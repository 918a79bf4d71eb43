package experiment

import (
	"context"
	"errors"
	"testing"
	"time"

	zmodel "github.com/openzipkin/zipkin-go/model"

	"github.com/gamedaylab/gameday/scenario"
	"github.com/gamedaylab/gameday/sources"
)

// TestErrorsAreNotNoData (issue 29): a check is held, breached, no data or an error, and each counts
// as the probe says: no data fails unless onNoData: inconclusive; an error is inconclusive unless
// onError: fail. Before, every error was taken for no data.
func TestErrorsAreNotNoData(t *testing.T) {
	check := func(result string) Check {
		c := Check{Probe: "p", Result: result, Held: result == CheckHeld}
		if result == CheckNoData || result == CheckError {
			c.Err = result
		}
		return c
	}
	for _, c := range []struct {
		onNoData, onError, result string
		want                      string
	}{
		{"", "", CheckHeld, StatusHeld},
		{"", "", CheckBreached, StatusFailed},
		{"", "", CheckNoData, StatusFailed},
		{"inconclusive", "", CheckNoData, StatusInconclusive},
		{"", "", CheckError, StatusInconclusive},
		{"", "inconclusive", CheckError, StatusInconclusive},
		{"", "fail", CheckError, StatusFailed},
		{"inconclusive", "fail", CheckError, StatusFailed},
		{"", "fail", CheckNoData, StatusFailed},
	} {
		p := scenario.Probe{Name: "p", OnNoData: c.onNoData, OnError: c.onError}
		v := verdict(p, "after", time.Time{}, time.Time{}, []Check{check(c.result)})
		if v.Status != c.want {
			t.Errorf("onNoData %q onError %q, a check %s: verdict %s, want %s", c.onNoData, c.onError, c.result, v.Status, c.want)
		}
	}
}

type traces struct {
	list []sources.TraceSummary
	err  error
}

func (f traces) Name() string { return "test" }
func (f traces) Recent(context.Context, sources.TraceQuery) ([]sources.TraceSummary, error) {
	return f.list, f.err
}
func (f traces) Trace(context.Context, string) ([]zmodel.SpanModel, error) { return nil, nil }

// TestZipkinErrorsOverNoTraces (issue 29): "errors < 1" over no traces at all passed; a service that
// answered nothing is no data. A count over no traces is 0, and a backend that fails is an error.
func TestZipkinErrorsOverNoTraces(t *testing.T) {
	x, _ := scenario.ParseExpect("< 1")
	probe := func(b sources.TraceBackend, measure string) (observation, error) {
		return numeric{x: x, measure: zipkinMeasure(b, scenario.ZipkinProbe{Service: "web", Measure: measure})}.observe(context.Background(), time.Now())
	}
	if _, err := probe(traces{}, "errors"); !errors.Is(err, errNoData) {
		t.Fatalf("errors over no traces: %v, want no data", err)
	}
	if o, err := probe(traces{}, "count"); err != nil || !o.held || o.value != 0 {
		t.Fatalf("count over no traces: %+v %v, want 0", o, err)
	}
	if _, err := probe(traces{err: errors.New("connection refused")}, "errors"); err == nil || errors.Is(err, errNoData) {
		t.Fatalf("an unreachable Zipkin: %v, want an error that is not no data", err)
	}
	o, err := probe(traces{list: []sources.TraceSummary{{Error: true}, {}}}, "errors")
	if err != nil || o.held || o.value != 1 {
		t.Fatalf("one error of two traces: %+v %v", o, err)
	}
}
