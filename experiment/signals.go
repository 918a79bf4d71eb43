package experiment

import (
	"context"
	"math"
	"time"

	"github.com/gamedaylab/gameday/signals"
)

// SignalSeries is one signal of the target sampled over the run, whether or not a probe read it:
// the report charts it with the steps marked.
type SignalSeries struct {
	Name       string        `json:"name"`
	Convention string        `json:"convention,omitempty"`
	Unit       string        `json:"unit"`
	Points     []SignalPoint `json:"points"`
}

// SignalPoint is one sample.
type SignalPoint struct {
	T time.Time `json:"t"`
	V float64   `json:"v"`
}

// charted are the signals every run's report charts.
func charted() []signals.Name {
	return []signals.Name{signals.Rate, signals.Errors, signals.P99, signals.Ready}
}

// sampleSignals reads the charted signals every every (session time) until stop, into the journal.
func (r *runner) sampleSignals(ctx context.Context, every time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			r.sampleOnce(ctx)
			next := r.s.Now().Add(every)
			for r.s.Now().Before(next) {
				select {
				case <-ctx.Done():
					return
				case <-time.After(50 * time.Millisecond):
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}

func (r *runner) sampleOnce(ctx context.Context) {
	sig := r.s.LastSignals()
	if sig.Target != r.s.Target() || len(sig.Resolutions) == 0 {
		var err error
		if sig, err = r.s.DetectSignals(ctx); err != nil {
			return
		}
	}
	now := r.s.Now()
	for _, n := range charted() {
		res := sig.Of(n)
		if !res.Found() {
			continue
		}
		vctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		v, ok, err := r.s.Value(vctx, res)
		cancel()
		if err != nil || !ok || math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		r.record(func(j *RunRecord) {
			for i := range j.Signals {
				if j.Signals[i].Name == string(n) {
					j.Signals[i].Points = append(j.Signals[i].Points, SignalPoint{T: now, V: v})
					return
				}
			}
			j.Signals = append(j.Signals, SignalSeries{Name: string(n), Convention: res.Convention, Unit: res.Unit, Points: []SignalPoint{{T: now, V: v}}})
		})
	}
}
