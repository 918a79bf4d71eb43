package experiment

import (
	"fmt"

	"github.com/gamedaylab/gameday/actions"
)

// revert runs the rollbacks and HALT, unless a second interrupt cancels o.Reverts.
func (r *runner) revert() {
	r.bg.Wait()
	ctx := r.o.Reverts
	skipped := func() bool {
		if ctx.Err() == nil {
			return false
		}
		r.record(func(j *RunRecord) { j.RevertsSkipped = true })
		r.say("reverts SKIPPED by a second interrupt: load, cordons and faults may be left behind; run gameday revert")
		r.set(RevertFailed, "the reverts were skipped by a second interrupt")
		return true
	}
	for i, st := range r.e.Rollbacks {
		if skipped() {
			return
		}
		rec := StepRecord{N: i + 1, Kind: kindOf(st), Action: st.Action, Args: st.Args, Start: r.s.Now()}
		if st.Wait.Duration > 0 { // e.g. let the cluster settle between two rollback actions
			r.say("rollback %d: wait %s", i+1, st.Wait.Duration)
			r.sleep(ctx, st.Wait.Duration)
			rec.Args, rec.End, rec.Status = st.Wait.Duration.String(), r.s.Now(), statusOf(ctx)
			r.record(func(j *RunRecord) { j.Reverts = append(j.Reverts, rec) })
			continue
		}
		if st.Action == "" {
			continue
		}
		res, err := r.s.Act(ctx, st.Action, st.Args)
		rec.End, rec.Status, rec.Detail = r.s.Now(), res.Entry.Result, res.Entry.Detail
		if err != nil {
			r.say("rollback %d: %s %s: %s", i+1, st.Action, st.Args, err)
			r.set(RevertFailed, fmt.Sprintf("rollback %d: %v", i+1, err))
			rec.Status, rec.Detail = actions.ResultError, err.Error()
		} else {
			r.say("rollback %d: %s: %s %s", i+1, st.Action, res.Entry.Result, res.Entry.Detail)
		}
		r.record(func(j *RunRecord) { j.Reverts = append(j.Reverts, rec) })
	}
	if skipped() {
		return
	}
	rec := StepRecord{N: len(r.e.Rollbacks) + 1, Kind: "halt", Action: "halt", Start: r.s.Now()}
	res, err := r.s.Halt(ctx)
	rec.End, rec.Status, rec.Detail = r.s.Now(), res.Entry.Result, res.Entry.Detail
	if err != nil {
		r.say("HALT: %s: a person must look", err)
		r.set(RevertFailed, fmt.Sprintf("HALT: %v", err))
		rec.Status, rec.Detail = actions.ResultError, err.Error()
	} else {
		r.say("HALT: %s", res.Entry.Detail)
	}
	r.record(func(j *RunRecord) { j.Reverts = append(j.Reverts, rec) })
}
