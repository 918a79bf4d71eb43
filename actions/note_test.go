package actions

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoteIsJournaledInReadOnly: a note changes nothing, so a read-only, dry-run session journals it
// as ok with its text (spaces folded); empty and over-long notes say what is wanted.
func TestNoteIsJournaledInReadOnly(t *testing.T) {
	j, err := OpenJournal(filepath.Join(t.TempDir(), "j.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	e := &Env{Journal: j, Context: "c", User: "u", Guard: &Guard{ReadOnly: true, DryRun: true}}
	spec, ok := ByCommand("note")
	if !ok || spec.Marker != "note" || spec.Destructive {
		t.Fatalf("note spec: %+v", spec)
	}
	for _, bad := range []string{"", "   ", strings.Repeat("x", MaxNote+1)} {
		if _, err := e.Prepare(spec, World{}, bad); err == nil {
			t.Errorf("note %q planned", bad)
		}
	}
	st, err := e.Prepare(spec, World{}, "  primary   failed over ")
	if err != nil || st.Confirm || st.Refusal != nil {
		t.Fatalf("plan: %+v %v", st, err)
	}
	r, err := Exec{Env: e}.Do(context.Background(), st)
	if err != nil || r.Entry.Action != "note" || r.Entry.Result != ResultOK || r.Entry.Detail != "primary failed over" {
		t.Fatalf("%+v %v", r, err)
	}
}
