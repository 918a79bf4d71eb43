package revert

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// State is the local copy of a session's records: written (and synced) before each change, so the
// machine that made a change knows of it even when the change's own write never returned.
type State struct {
	mu   sync.Mutex
	path string
	recs []Record
}

// OpenState makes the state file of session under dir (created if needed).
func OpenState(dir, session string) (*State, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("revert state %s: %w", dir, err)
	}
	return &State{path: filepath.Join(dir, session+".json")}, nil
}

// Path is the state file.
func (s *State) Path() string {
	if s == nil {
		return ""
	}
	return s.path
}

// Put records r (replacing one of the same ID) and syncs the file.
func (s *State) Put(r Record) error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.recs[:0:0]
	for _, x := range s.recs {
		if x.ID != r.ID {
			out = append(out, x)
		}
	}
	s.recs = append(out, r)
	return s.write()
}

// Drop forgets the record id (reverted); the file goes with the last record.
func (s *State) Drop(id string) error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.recs[:0:0]
	for _, x := range s.recs {
		if x.ID != id {
			out = append(out, x)
		}
	}
	s.recs = out
	if len(out) == 0 {
		if err := os.Remove(s.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("revert state: %w", err)
		}
		return nil
	}
	return s.write()
}

func (s *State) write() error {
	b, err := json.MarshalIndent(s.recs, "", "  ")
	if err != nil {
		return fmt.Errorf("revert state: %w", err)
	}
	tmp := s.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("revert state: %w", err)
	}
	if _, err = f.Write(b); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, s.path)
	}
	if err != nil {
		return fmt.Errorf("revert state %s: %w", s.path, err)
	}
	return nil
}

// States opens every state file under dir (this machine's sessions, live or not), with its records.
func States(dir string) ([]*State, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var out []*State
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("revert state: %w", err)
		}
		s := &State{path: f}
		if err := json.Unmarshal(b, &s.recs); err != nil {
			return nil, fmt.Errorf("revert state %s: %w", f, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// Records are the file's records.
func (s *State) Records() []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Record(nil), s.recs...)
}

// ReadStates lists the records of every state file under dir (what this machine's sessions left).
func ReadStates(dir string) ([]Record, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var out []Record
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("revert state: %w", err)
		}
		var rs []Record
		if err := json.Unmarshal(b, &rs); err != nil {
			return nil, fmt.Errorf("revert state %s: %w", f, err)
		}
		out = append(out, rs...)
	}
	return out, nil
}
