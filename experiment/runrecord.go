package experiment

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// RunRecordVersion is the version of the run record's format; a reader refuses one it does not know.
const RunRecordVersion = 1

// RunRecord is everything a run did and saw, written as JSON when it ends: the report and the JUnit
// file are rendered from it (`gameday report` renders the report again from the file).
type RunRecord struct {
	Version     int       `json:"version"`
	Experiment  string    `json:"experiment"`
	Description string    `json:"description,omitempty"`
	File        string    `json:"file,omitempty"`
	Digest      string    `json:"digest,omitempty"` // sha256 of the scenario file
	Gameday     string    `json:"gameday,omitempty"`
	Kubernetes  string    `json:"kubernetes,omitempty"` // the apiserver's version ("simulated" on the demo)
	Context     string    `json:"context"`
	Namespace   string    `json:"namespace"`
	Target      string    `json:"target,omitempty"`
	Clock       string    `json:"clock"` // "wall", or "simulated" on the demo (times are the simulation's)
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	Outcome     string    `json:"outcome"`
	Reason      string    `json:"reason,omitempty"` // the first thing that made the outcome worse than held
	// DryRun is set when the session's actions were server-side dry runs: nothing was changed, so
	// the verdict judges a system nothing happened to.
	DryRun bool `json:"dryRun,omitempty"`
	// Recording says what the session's recording lacks, when it does ("recording incomplete from
	// 14:02:11: ..."): the run's own files are complete, its replay is not.
	Recording string `json:"recording,omitempty"`

	Probes   []ProbeDef   `json:"probes"`
	Verdicts []Verdict    `json:"verdicts"` // one per probe per phase, and per probe step
	Checks   []Check      `json:"checks"`   // every single check, in time order (the charts)
	Steps    []StepRecord `json:"steps"`
	Reverts  []StepRecord `json:"reverts"`
	// RevertsSkipped is set when a second interrupt skipped the reverts: a person must look.
	RevertsSkipped bool       `json:"revertsSkipped,omitempty"`
	Recoveries     []Recovery `json:"recoveries,omitempty"`
	// Restores are the times from a probe's first breach to its next held check (the SLO green again).
	Restores []Restore `json:"restores,omitempty"`
	// Scaling is the HPA's reaction to each load step: desired replicas changed, then pods ready.
	Scaling []Scaling `json:"scaling,omitempty"`
	// Budget is the error budget burned by the load during the run (hypothesis.errorBudget).
	Budget *Budget `json:"budget,omitempty"`
	// Signals are the target's rate, errors, p99 and ready replicas over the run, sampled whether or
	// not a probe read them.
	Signals []SignalSeries `json:"signals,omitempty"`
	Load    *Load          `json:"load,omitempty"`
	Lines   []string       `json:"lines"`
}

// ProbeDef is a probe as the file declares it.
type ProbeDef struct {
	Name   string   `json:"name"`
	Kind   string   `json:"kind"` // kubernetes, prometheus, http, zipkin, elasticsearch
	What   string   `json:"what"` // the query, expression or URL
	Expect string   `json:"expect,omitempty"`
	Phases []string `json:"phases"`
	For    string   `json:"for,omitempty"`
	Abort  bool     `json:"abort,omitempty"`
	Weight float64  `json:"weight,omitempty"`
}

// Verdict statuses.
const (
	StatusHeld         = "held"
	StatusFailed       = "failed"
	StatusInconclusive = "inconclusive"
	StatusAborted      = "aborted" // a sustained breach of an abort probe stopped the run
)

// Verdict is one probe in one phase (before, during, after, or "step N" for a probe step).
type Verdict struct {
	Probe     string    `json:"probe"`
	Phase     string    `json:"phase"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Status    string    `json:"status"`
	Observed  string    `json:"observed"`        // what was seen (the failing check's, else the last)
	Value     *float64  `json:"value,omitempty"` // the number behind it, when there is one
	Tolerance string    `json:"tolerance"`       // the expectation
	Met       bool      `json:"toleranceMet"`
	Checks    int       `json:"checks"`
	Breaches  int       `json:"breaches,omitempty"`
}

// Check is one observation of a probe.
type Check struct {
	Probe string    `json:"probe"`
	Phase string    `json:"phase"`
	Time  time.Time `json:"time"`
	Held  bool      `json:"held"`
	// Result is held, breached, no data (the backend answered with nothing to compare) or error (it
	// could not be asked: unreachable, a bad query); Err says why for the last two.
	Result string   `json:"result"`
	Value  *float64 `json:"value,omitempty"`
	Seen   string   `json:"seen"`
	Err    string   `json:"err,omitempty"`
}

// Results of one check.
const (
	CheckHeld     = "held"
	CheckBreached = "breached"
	CheckNoData   = "no data"
	CheckError    = "error"
)

// Step statuses beside the session's ok / dry-run / refused / error.
const (
	StepDeviated    = "deviated" // a probe step did not hold in time
	StepInterrupted = "interrupted"
	StepSkipped     = "skipped"
)

// StepRecord is one step of the method, a rollback, or the final HALT.
type StepRecord struct {
	N          int       `json:"n"`
	Kind       string    `json:"kind"` // action, wait, probe, note, halt
	Action     string    `json:"action,omitempty"`
	Args       string    `json:"args,omitempty"`
	Probe      string    `json:"probe,omitempty"` // a probe step's probe
	Background bool      `json:"background,omitempty"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	Status     string    `json:"status"`
	Detail     string    `json:"detail,omitempty"`
}

// Recovery is a kill's recovery as the session's stopwatch measured it.
type Recovery struct {
	Kill         string        `json:"kill"`
	Time         time.Time     `json:"time"`
	Killed       int           `json:"killed"`
	Replacements int           `json:"replacements"`
	FirstReady   time.Duration `json:"firstReady"` // kill -> first replacement Ready
	AllReady     time.Duration `json:"allReady"`   // kill -> every replacement Ready
	Recovered    time.Duration `json:"recovered"`  // kill -> ready replicas back to desired (0: not within the run)
	TimedOut     bool          `json:"timedOut,omitempty"`
}

// Restore is one breach of a probe and how long until it held again (0 and Open: not within the run).
type Restore struct {
	Probe  string        `json:"probe"`
	Breach time.Time     `json:"breach"`
	Green  time.Time     `json:"green,omitempty"`
	Took   time.Duration `json:"took,omitempty"`
	Open   bool          `json:"open,omitempty"`
	Checks int           `json:"checks"` // breaching checks in a row
}

// Scaling is an HPA's reaction to a load step (zero times: it did not happen within the run).
type Scaling struct {
	Step           int           `json:"step"`
	HPA            string        `json:"hpa"`
	Start          time.Time     `json:"start"`
	From           int32         `json:"from"`
	To             int32         `json:"to,omitempty"` // the highest desired replicas seen
	DesiredChanged time.Duration `json:"desiredChanged,omitempty"`
	Ready          time.Duration `json:"ready,omitempty"` // until ready replicas reached the new desired
}

// Budget is the error budget of the run's load: failed requests (and failed checks) against what
// the SLO allows.
type Budget struct {
	Allowed  float64 `json:"allowed"` // the share of requests that may fail
	Requests int64   `json:"requests"`
	Failed   int64   `json:"failed"`
	Burned   float64 `json:"burned"` // failed / (allowed x requests): above 1, the budget is spent
}

// Load is the load's summary at the end of the method.
type Load struct {
	Profile   string `json:"profile"`
	Sent      int64  `json:"sent"`
	Completed int64  `json:"completed"`
	Errors    int64  `json:"errors"`
	// Checks are answers that failed a load target's check (counted in Errors too).
	Checks  int64         `json:"checks,omitempty"`
	Success float64       `json:"success"`
	P50     time.Duration `json:"p50"`
	P99     time.Duration `json:"p99"`
	Max     time.Duration `json:"max"`
	// ServiceP50 and ServiceP99 count from the actual send (as vegeta and k6 do); P50, P99 and Max
	// from the intended send.
	ServiceP50 time.Duration `json:"serviceP50"`
	ServiceP99 time.Duration `json:"serviceP99"`
	Elapsed    time.Duration `json:"elapsed"`
}

// WriteRunRecord writes j as indented JSON.
func WriteRunRecord(path string, j *RunRecord) error {
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadRunRecord reads a run record written by WriteRunRecord.
func ReadRunRecord(path string) (*RunRecord, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var j RunRecord
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("%s: not a gameday run record: %w", path, err)
	}
	if j.Version != RunRecordVersion {
		return nil, fmt.Errorf("%s: run record format version %d, this gameday reads version %d", path, j.Version, RunRecordVersion)
	}
	return &j, nil
}
