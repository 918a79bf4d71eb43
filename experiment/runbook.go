package experiment

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/gamedaylab/gameday/scenario"
)

// Runbook is a run the cockpit's runbook presents: a scenario's (Live) or another tool's
// experiment's (a Board its runner keeps up to date).
type Runbook interface {
	Snapshot() Snapshot
}

// Plan is what a runbook lists, whichever tool's file it came from: the hypothesis's probes and
// the method's steps in order (a step's N in the run record is its index + 1).
type Plan struct {
	// Tool names the file's format when it is not a gameday scenario ("Chaos Toolkit").
	Tool      string
	Probes    []PlannedProbe
	Steps     []PlannedStep
	Rollbacks int
}

// PlannedProbe is a probe of the hypothesis and what it expects.
type PlannedProbe struct{ Name, Want string }

// PlannedStep is a method step as the facilitator reads it.
type PlannedStep struct {
	Text   string
	Manual bool
}

// planOf lists a scenario's hypothesis and method.
func planOf(e *scenario.Experiment) Plan {
	p := Plan{Rollbacks: len(e.Rollbacks)}
	for _, pr := range e.Hypothesis.Probes {
		want := pr.Expect
		switch {
		case pr.Kubernetes != nil:
			want = pr.Kubernetes.Expr
		case pr.HTTP != nil:
			want = "its checks pass"
		}
		p.Probes = append(p.Probes, PlannedProbe{Name: pr.Name, Want: want})
	}
	for _, s := range e.Method {
		p.Steps = append(p.Steps, PlannedStep{Text: stepText(s), Manual: s.Manual})
	}
	return p
}

func stepText(s scenario.Step) string {
	switch {
	case s.Action != "":
		t := strings.TrimSpace(s.Action + " " + s.Args)
		if s.Background {
			t += " (background)"
		}
		return t
	case s.Wait.Duration > 0:
		return "wait " + s.Wait.Duration.String()
	case s.Probe != "":
		w := s.Within.Duration
		if w <= 0 {
			w = time.Minute
		}
		return fmt.Sprintf("probe %s within %s", s.Probe, w)
	}
	return "note: " + s.Note
}

// Board is the runbook of a run gameday does not drive step by step itself (another tool's
// experiment file): its runner writes what happens, the cockpit reads snapshots.
type Board struct {
	mu sync.Mutex
	sn Snapshot
}

// NewBoard starts a board for a run of the named experiment that has not started.
func NewBoard(title string, p Plan) *Board {
	return &Board{sn: Snapshot{Plan: p, Current: -1, Latest: map[string]Check{}, Record: RunRecord{Version: RunRecordVersion, Experiment: title}}}
}

// Update changes the board under its lock.
func (b *Board) Update(f func(sn *Snapshot)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	f(&b.sn)
}

// Await holds the run until the facilitator starts it (gate receives), showing it waits; false
// when ctx ended first. A nil board only waits.
func (b *Board) Await(ctx context.Context, gate <-chan struct{}) bool {
	if b != nil {
		b.Update(func(sn *Snapshot) { sn.Waiting = true })
		defer b.Update(func(sn *Snapshot) { sn.Waiting = false })
	}
	select {
	case <-gate:
		return true
	case <-ctx.Done():
		return false
	}
}

// Say adds a line of the run's output.
func (b *Board) Say(line string) {
	b.Update(func(sn *Snapshot) { sn.Record.Lines = append(sn.Record.Lines, line) })
}

// Lines is a writer whose lines, each as it is completed, are the run's output on the board.
func (b *Board) Lines() io.Writer { return &boardLines{b: b} }

type boardLines struct {
	b       *Board
	partial []byte
}

func (w *boardLines) Write(p []byte) (int, error) {
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.b.Say(strings.TrimSpace(string(w.partial[:i])))
		w.partial = w.partial[i+1:]
	}
}

// Snapshot copies the board: safe to keep.
func (b *Board) Snapshot() Snapshot {
	b.mu.Lock()
	defer b.mu.Unlock()
	sn := b.sn
	sn.Record.Verdicts = append([]Verdict(nil), sn.Record.Verdicts...)
	sn.Record.Steps = append([]StepRecord(nil), sn.Record.Steps...)
	sn.Record.Lines = append([]string(nil), sn.Record.Lines...)
	sn.Latest = maps.Clone(sn.Latest)
	if sn.Steady != nil {
		v := *sn.Steady
		sn.Steady = &v
	}
	return sn
}
