package chaostoolkit

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Journal is a run as the Chaos Toolkit writes it (journal.json), so tools that read Chaos Toolkit
// journals (reports, dashboards, `chaos report`) read gameday's.
type Journal struct {
	ChaoslibVersion string          `json:"chaoslib-version"`
	Platform        string          `json:"platform"`
	Node            string          `json:"node"`
	Experiment      json.RawMessage `json:"experiment"`
	Start           string          `json:"start"`
	Status          string          `json:"status"`
	Deviated        bool            `json:"deviated"`
	SteadyStates    SteadyStates    `json:"steady_states"`
	Run             []*RunEntry     `json:"run"`
	Rollbacks       []*RunEntry     `json:"rollbacks"`
	End             string          `json:"end"`
	Duration        float64         `json:"duration"`
}

// SteadyStates are the hypothesis's checks: before and after the method, and during it.
type SteadyStates struct {
	Before *SteadyState  `json:"before"`
	After  *SteadyState  `json:"after"`
	During []SteadyState `json:"during"`
}

// SteadyState is one check of the hypothesis.
type SteadyState struct {
	Met    *bool       `json:"steady_state_met"`
	Probes []*RunEntry `json:"probes"`
}

// RunEntry is one activity run.
type RunEntry struct {
	Activity  map[string]any `json:"activity"`
	Output    any            `json:"output"`
	Start     string         `json:"start"`
	Status    string         `json:"status,omitempty"` // succeeded or failed; none when interrupted
	End       string         `json:"end"`
	Duration  float64        `json:"duration"`
	Exception []string       `json:"exception,omitempty"`
	// ToleranceMet is set on the hypothesis's probes.
	ToleranceMet *bool `json:"tolerance_met,omitempty"`
	// Gameday is what gameday did for the activity (the journaled action), beside the CTK fields.
	Gameday string `json:"gameday,omitempty"`
}

// The statuses of a run, as chaoslib names them.
const (
	StatusCompleted   = "completed"
	StatusFailed      = "failed"
	StatusAborted     = "aborted"
	StatusInterrupted = "interrupted"
)

// ExitCode is what `chaos run` exits with: 0 when the run completed without deviating, else 1.
func (j *Journal) ExitCode() int {
	if j.Status == StatusCompleted && !j.Deviated {
		return 0
	}
	return 1
}

// Outcome names the run in a word: deviated, or its status.
func (j *Journal) Outcome() string {
	if j.Deviated {
		return "deviated"
	}
	return j.Status
}

// isoTime is how Python's datetime.isoformat writes a UTC time.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000+00:00") }

// Write writes the journal as dir/journal.json.
func (j *Journal) Write(dir string) (string, error) {
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return "", fmt.Errorf("chaos toolkit journal: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("chaos toolkit journal: %w", err)
	}
	p := filepath.Join(dir, "journal.json")
	if err := os.WriteFile(p, append(b, '\n'), 0o644); err != nil {
		return "", fmt.Errorf("chaos toolkit journal: %w", err)
	}
	return p, nil
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}
