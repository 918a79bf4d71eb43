package actions

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Entry is one line of the journal (JSON lines): what was done, to what, by whom, and how it ended.
type Entry struct {
	Time    time.Time `json:"time"`
	Context string    `json:"context"`
	User    string    `json:"user,omitempty"`
	// Actor is who acted when it was not the person: "monkey" for the chaos monkey.
	Actor   string   `json:"actor,omitempty"`
	Action  Name     `json:"action"`
	Targets []string `json:"targets,omitempty"`
	DryRun  bool     `json:"dryRun"`
	Result  string   `json:"result"` // ok, dry-run, refused, error
	Error   string   `json:"error,omitempty"`
	Detail  string   `json:"detail,omitempty"`
	// Recovery is filled when the recovery stopwatch ends (kill -> ready replicas back to desired).
	Recovery string `json:"recovery,omitempty"`
	// Patch is exactly what was written into the object (an Istio fault's routes), as JSON.
	Patch string `json:"patch,omitempty"`
}

// Results of an entry.
const (
	ResultOK      = "ok"
	ResultDryRun  = "dry-run"
	ResultRefused = "refused"
	ResultError   = "error"
)

// Journal appends entries to a JSONL file and syncs each one, so an entry is on disk before the
// cockpit shows its result (and survives a crash right after).
type Journal struct {
	mu   sync.Mutex
	f    *os.File
	path string
}

// OpenJournal opens (creating it and its directory) the journal at path, appending.
func OpenJournal(path string) (*Journal, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	return &Journal{f: f, path: path}, nil
}

// Path is the journal's file.
func (j *Journal) Path() string { return j.path }

// Append writes and syncs one entry.
func (j *Journal) Append(e Entry) error {
	if j == nil {
		return nil
	}
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	return nil
}

// Close closes the file.
func (j *Journal) Close() error {
	if j == nil {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.f.Close()
}
