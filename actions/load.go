package actions

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gamedaylab/gameday/bounds"
	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/model"
)

func init() {
	register(
		Spec{Name: LoadStart, Order: 60, Key: "burst", Keys: []string{"b"}, Command: "load", Usage: "[RATE|ramp:A-B|step:A-B/N|sine:A-B/P|spike:A-B] [DURATION]",
			CommandHelp: "a burst, or a load profile", Help: "load burst", Marker: "burst", Plan: planLoadStep, Run: runLoad,
			ParseArgs: worldless(planLoadStep)},
		Spec{Name: LoadStart, Order: 61, Key: "profile", Keys: []string{"B"}, Help: "pick a load profile", Marker: "burst",
			Plan: planLoadStep, Run: runLoad,
			Ask: &Ask{
				Title: func(World) string { return "Start which load profile?" },
				Help: func(World) string {
					return "Shapes from load.burst in the config; + and - steer a running load, x stops it."
				},
				Options: func(w World) []string {
					var out []string
					for _, p := range Profiles(w) {
						out = append(out, p.String())
					}
					return out
				},
				Args: func(s string) string { return s },
			}},
		Spec{Name: LoadRate, Order: 62, Key: "rateUp", Keys: []string{"+", "="}, Args: "+", Command: "rate", Usage: "+N|-N",
			CommandHelp: "steer the running load by N req/s", Help: "load rate +", Marker: "rate",
			Plan: planRateStep, Run: runRate, ParseArgs: worldless(planRateStep)},
		Spec{Name: LoadRate, Order: 63, Key: "rateDown", Keys: []string{"-"}, Args: "-", Help: "load rate -", Marker: "rate",
			Plan: planRateStep, Run: runRate},
		Spec{Name: LoadStop, Order: 64, Command: "unload", Help: "stop the load", CommandHelp: "stop the load (only the load: faults, cordons and the monkey stay)",
			Marker: "burst end", Plan: planStopStep, Run: func(_ context.Context, x Exec, _ Step) (Result, error) { return x.Env.StopLoad() },
			ParseArgs: worldless(planStopStep)},
		Spec{Name: LoadFinished, Order: 65, Help: "a timed load run ended by itself", Marker: "burst end", Event: true},
	)
}

// Profiles are the shapes B offers, built from the configured burst (rate R, duration D); none that
// the rate cap would refuse.
func Profiles(w World) []load.Profile {
	r, d := w.Burst.Rate, w.Burst.Duration
	list := []load.Profile{
		{Name: "burst", Kind: load.Constant, Rate: r, To: r, Duration: d},
		{Name: "ramp", Kind: "ramp", Rate: 0, To: 2 * r, Duration: d},
		{Name: "step", Kind: "step", Rate: r, To: 3 * r, Duration: d, Steps: 4},
		{Name: "spike", Kind: "spike", Rate: r, To: 5 * r, Duration: d},
		{Name: "sine", Kind: "sine", Rate: r, To: 3 * r, Duration: d, Period: d / 2},
	}
	out := list[:0]
	for _, p := range list {
		if w.MaxRate > 0 && p.To > w.MaxRate {
			continue
		}
		out = append(out, p)
	}
	return out
}

// planLoadStep reads nothing (the burst), a name or label of Profiles, or a profile spec (ramp:0-400).
func planLoadStep(e *Env, w World, args string) (Step, error) {
	p := load.Profile{Name: "burst", Kind: load.Constant, Rate: w.Burst.Rate, To: w.Burst.Rate, Duration: w.Burst.Duration}
	// "PROFILE DURATION" or "RATE DURATION": a scenario step says how long, and a constant rate.
	if f := strings.Fields(args); len(f) == 2 {
		d, err := loadDurations().Parse(f[1])
		if err != nil {
			return Step{}, fmt.Errorf("load %s: duration: %w", args, err)
		}
		w.Burst.Duration, args = d, f[0]
		p.Duration = d
	}
	if looksNumeric(args) {
		r, err := load.Rates().Parse(args)
		if err != nil {
			return Step{}, fmt.Errorf("load %s: rate: %w", args, err)
		}
		p = load.Profile{Name: "constant", Kind: load.Constant, Rate: r, To: r, Duration: p.Duration}
		args = ""
	}
	if args != "" {
		found := false
		for _, q := range Profiles(w) {
			if args == q.Name || args == q.String() {
				p, found = q, true
				break
			}
		}
		if !found {
			var err error
			if p, err = load.ParseProfile(args, w.Burst.Rate, w.Burst.Duration); err != nil {
				return Step{}, err
			}
		}
	}
	st := Step{Action: LoadStart, Summary: "load " + p.String(), DryRun: e.Guard != nil && e.Guard.DryRun, Profile: &p}
	st.Refusal = e.Guard.checkLoad()
	if st.Refusal == nil && w.Target != "" && w.Cluster != nil && w.Cluster.Synced && w.Cluster.Deployment(w.Namespace, w.Target) == nil {
		// The graphs would plot someone else's traffic (or nothing) and the run would judge nothing.
		st.Refusal = fmt.Errorf("%w: the target deploy/%s does not exist in namespace %q: pick one with :target deploy/NAME (or :target - for none) before sending load",
			model.ErrRefused, w.Target, w.Namespace)
	}
	return st, nil
}

func runLoad(_ context.Context, x Exec, st Step) (Result, error) {
	if st.Profile == nil {
		return x.Env.record(Entry{Time: x.Env.now(), Action: st.Action}, errors.New("internal error: load step without a profile"))
	}
	if st.Refusal != nil {
		e := x.Env
		return e.record(Entry{Time: e.now(), Context: e.Context, User: e.User, Action: LoadStart, Targets: []string{st.Profile.Name},
			Detail: st.Profile.String(), DryRun: st.DryRun}, st.Refusal)
	}
	return x.Env.StartLoad(*st.Profile)
}

// planRateStep reads +N or -N requests/s, or + or - alone for the configured step.
func planRateStep(_ *Env, w World, args string) (Step, error) {
	var v float64
	switch args {
	case "+":
		v = w.RateStep
	case "-":
		v = -w.RateStep
	default:
		var err error
		if v, err = ParseRateStep(args); err != nil {
			return Step{}, err
		}
	}
	return Step{Action: LoadRate, Summary: fmt.Sprintf("load rate %+.0f req/s", v), Rate: v}, nil
}

func runRate(_ context.Context, x Exec, st Step) (Result, error) { return x.Env.SetLoadRate(st.Rate) }

func planStopStep(_ *Env, _ World, args string) (Step, error) {
	if strings.TrimSpace(args) != "" {
		return Step{}, fmt.Errorf("unload takes no arguments, got %q", args)
	}
	return Step{Action: LoadStop, Summary: "stop the load"}, nil
}

// StopLoad stops the running load, and only it (HALT stops everything).
func (e *Env) StopLoad() (Result, error) {
	entry := Entry{Time: e.now(), Context: e.Context, User: e.User, Action: LoadStop}
	var err error
	if e.Load == nil {
		err = errors.New("no load generator")
	} else if st := e.Load.Status(); !st.Active {
		err = fmt.Errorf("%w: no load is running", model.ErrRefused)
	} else {
		e.Load.Stop()
		entry.Detail = fmt.Sprintf("stopped load after %d requests (%s)", st.Sent, st.Profile)
	}
	return e.record(entry, err)
}

// ParseRateStep reads a change of the running load's rate: +N or -N requests/s.
func ParseRateStep(arg string) (float64, error) {
	arg = strings.TrimSpace(arg)
	if arg == "" || (arg[0] != '+' && arg[0] != '-') {
		return 0, fmt.Errorf("%q: want +N or -N requests/s", arg)
	}
	v, err := bounds.Between(0, load.MaxRate, "requests/s").Parse(arg[1:])
	if err != nil || v == 0 {
		return 0, fmt.Errorf("%q: want +N or -N requests/s, N %s", arg, load.Rates())
	}
	if arg[0] == '-' {
		v = -v
	}
	return v, nil
}

// looksNumeric says whether a load argument is meant as a rate (a number, or what Go would read as
// one: NaN, Inf), rather than a profile's name.
func looksNumeric(s string) bool {
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return true
	}
	return s != "" && (s[0] >= '0' && s[0] <= '9' || s[0] == '.' || s[0] == '-' || s[0] == '+')
}

// loadDurations is the range of a load step's duration.
func loadDurations() bounds.Span { return bounds.Span{MinOpen: true, Max: 24 * time.Hour} }

// checkLoad: load changes how the system behaves, so read-only and unarmed production contexts refuse it.
func (g *Guard) checkLoad() error {
	if g == nil {
		return nil
	}
	if g.ReadOnly {
		return refuse("read-only mode (--read-only): no load is sent")
	}
	if g.IsProduction() && !g.Armed {
		return refuse("context %q matches a production pattern: start with --arm to send load", g.Context)
	}
	return nil
}

// StartLoad starts a load profile. In dry-run mode it is journaled but nothing is sent.
func (e *Env) StartLoad(p load.Profile) (Result, error) {
	entry := Entry{Time: e.now(), Context: e.Context, User: e.User, Action: LoadStart, Targets: []string{p.Name},
		Detail: p.String(), DryRun: e.Guard != nil && e.Guard.DryRun}
	err := e.Guard.checkLoad()
	switch {
	case err != nil:
	case e.Load == nil:
		err = errors.New("no load target is configured (load.targets in the config)")
	case entry.DryRun:
	default:
		if err = p.Validate(); err != nil {
			break
		}
		if st := e.Load.Status(); st.Active {
			// The new profile replaces the running one: its end is journaled like any other stop.
			e.Load.Stop()
			_, _ = e.record(Entry{Time: e.now(), Context: e.Context, User: e.User, Action: LoadStop,
				Detail: fmt.Sprintf("stopped load after %d requests (%s): replaced by %s", st.Sent, st.Profile, p)}, nil)
		}
		err = e.Load.Start(p)
	}
	return e.record(entry, err)
}

// SetLoadRate changes the running load's rate by delta requests/s.
func (e *Env) SetLoadRate(delta float64) (Result, error) {
	entry := Entry{Time: e.now(), Context: e.Context, User: e.User, Action: LoadRate}
	var err error
	if e.Load == nil {
		err = errors.New("no load generator")
	} else if st := e.Load.Status(); !st.Active {
		err = fmt.Errorf("%w: no load is running: press b to start a burst", model.ErrRefused)
	} else {
		var got float64
		got, err = e.Load.SetRate(st.Requested + delta)
		entry.Detail = fmt.Sprintf("rate %.0f -> %.0f req/s", st.Requested, got)
	}
	return e.record(entry, err)
}
