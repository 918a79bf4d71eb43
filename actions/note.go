package actions

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// MaxNote bounds a note: it is one line of the journal, the Events pane and the report.
const MaxNote = 500

func init() {
	register(Spec{Name: Note, Order: 75, Command: "note", Usage: "TEXT",
		Help: "a marker on every graph, a line in the report", Marker: "note",
		Plan: planNote, Run: runNote, ParseArgs: worldless(planNote)})
}

// planNote takes the text as typed. A note changes nothing, so no safety rule refuses it: read-only
// and dry-run sessions keep their notes too.
func planNote(_ *Env, _ World, args string) (Step, error) {
	text := strings.Join(strings.Fields(args), " ")
	switch {
	case text == "":
		return Step{}, errors.New("a note needs text: :note the primary failed over at 10:42")
	case len(text) > MaxNote:
		return Step{}, fmt.Errorf("a note is one line of at most %d characters: write it shorter", MaxNote)
	}
	return Step{Action: Note, Summary: "note: " + text, Detail: text}, nil
}

func runNote(_ context.Context, x Exec, st Step) (Result, error) {
	e := x.Env
	return e.record(Entry{Time: e.now(), Context: e.Context, User: e.User, Action: Note, Detail: st.Detail}, nil)
}
