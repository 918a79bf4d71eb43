package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gamedaylab/gameday/config"
	"github.com/gamedaylab/gameday/experiment"
	"github.com/gamedaylab/gameday/experiment/chaosmesh"
	"github.com/gamedaylab/gameday/experiment/chaostoolkit"
	"github.com/gamedaylab/gameday/experiment/litmus"
	"github.com/gamedaylab/gameday/scenario"
)

// runbookFile is the cockpit's --scenario: a gameday scenario, a Chaos Toolkit experiment, a
// Chaos Mesh file or Litmus ChaosEngines.
type runbookFile struct {
	scen   *scenario.Experiment
	ctk    *chaostoolkit.Experiment
	vars   chaostoolkit.Vars
	mesh   *chaosmesh.File
	litmus []litmus.Engine
}

// readRunbook reads --scenario by its shape; a Chaos Toolkit experiment also sets the namespace
// (-n) from its activities, as gameday run does.
func readRunbook(o *options, cfg *config.Config) (*runbookFile, error) {
	if o.scenario == "" {
		return nil, nil
	}
	data, err := os.ReadFile(o.scenario)
	if err != nil {
		return nil, usageError{fmt.Errorf("--scenario: %w", err)}
	}
	switch {
	case chaosmesh.Detect(data):
		f, err := chaosmesh.Parse(o.scenario, data)
		if err != nil {
			return nil, usageError{fmt.Errorf("--scenario: %w", err)}
		}
		return &runbookFile{mesh: f}, nil
	case litmus.Detect(data):
		engines, err := litmus.Parse(o.scenario, data)
		if err != nil {
			return nil, usageError{fmt.Errorf("--scenario: %w", err)}
		}
		return &runbookFile{litmus: engines}, nil
	case !chaostoolkit.Detect(data):
		scen, err := scenario.Read(o.scenario)
		if err != nil {
			return nil, usageError{fmt.Errorf("--scenario: %w", err)}
		}
		useScenarioLoad(cfg, scen)
		return &runbookFile{scen: scen}, nil
	}
	e, err := chaostoolkit.ParseAllowing(o.scenario, data, o.allowProcess)
	if err != nil {
		return nil, usageError{fmt.Errorf("--scenario: %w", err)}
	}
	vars, err := e.Resolve(nil, nil)
	if err != nil {
		return nil, usageError{fmt.Errorf("--scenario: %w", err)}
	}
	if err := ctkNamespace(o, e.Namespaces(vars)); err != nil {
		return nil, usageError{fmt.Errorf("--scenario %s: %w", o.scenario, err)}
	}
	return &runbookFile{ctk: e, vars: vars}, nil
}

// startRunbook starts the --scenario run, held until the facilitator starts it (N); HALT stops it
// and the cockpit's exit waits for its reverts and rollbacks, within runBound.
func (c *cockpit) startRunbook(o *options, cfg *config.Config, rf *runbookFile) {
	sess := c.sess
	gate := make(chan struct{})
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	started := time.Now()
	switch {
	case rf.mesh != nil:
		board := experiment.NewBoard(filepath.Base(o.scenario), rf.mesh.Plan())
		go func() { defer close(done); chaosmesh.RunOnBoard(runCtx, sess, rf.mesh, board, gate) }()
		c.deps.Runbook = board
	case rf.litmus != nil:
		board := experiment.NewBoard(filepath.Base(o.scenario), litmus.Plan(rf.litmus))
		go func() {
			defer close(done)
			litmus.RunOnBoard(runCtx, sess, rf.litmus, litmus.Options{Target: o.target}, board, gate)
		}()
		c.deps.Runbook = board
	case rf.scen != nil:
		live := experiment.Start(runCtx, sess, rf.scen, io.Discard, experiment.Options{File: o.scenario, Version: version(), Gate: gate,
			Write: func(j *experiment.RunRecord) ([]string, error) { return writeRun(o.out, started, j) }})
		go func() { live.Wait(); close(done) }()
		c.deps.Runbook = live
	default:
		board := experiment.NewBoard(fmt.Sprint(rf.vars.Substitute(rf.ctk.Title)), rf.ctk.Plan(rf.vars))
		go func() {
			defer close(done)
			j := chaostoolkit.Run(runCtx, rf.ctk, &chaostoolkit.SessionExecutor{S: sess, AllowProcess: o.allowProcess}, chaostoolkit.Options{Vars: rf.vars,
				Version: version(), Board: board, Gate: gate})
			ctkWritten(board, j, o.out)
		}()
		c.deps.Runbook = board
	}
	c.deps.Gate, c.deps.Stop = gate, stop
	// Before the session closes: the run's reverts go through it, within the stop's bound (its
	// rollbacks may wait; what they leave, the session's HALT reverts).
	c.runBound = cfg.Safety.RevertTimeout.Duration + 5*time.Second
	c.stopRun = func(ctx context.Context) {
		stop()
		ctx, cancel := context.WithTimeout(ctx, c.runBound)
		defer cancel()
		select {
		case <-done:
		case <-ctx.Done():
		}
	}
}

// ctkWritten writes a Chaos Toolkit run's journal.json to --out, and says where on the runbook.
func ctkWritten(board *experiment.Board, j *chaostoolkit.Journal, dir string) {
	if dir == "" {
		return
	}
	p, err := j.Write(dir)
	if err != nil {
		board.Say("journal.json: " + err.Error())
		return
	}
	board.Say("journal " + p)
}
