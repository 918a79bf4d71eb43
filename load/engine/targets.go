package engine

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gamedaylab/gameday/load"
	"github.com/gamedaylab/gameday/model"
)

// Target is one configured request. Load goes only to configured targets.
type Target struct {
	Name   string
	Method string
	URL    string
	Header http.Header
	Body   []byte
	// Check is what every response must pass beyond a 2xx/3xx status (nil: the status only).
	Check *Check
	// Session, when set, sends each request as one of the target's logged-in virtual users.
	Session *Session

	hdrs  [][2]string // Header flattened once: every request copies these
	users *sessions
	// ownTrace: the target's headers carry a trace context of their own (sent as configured).
	ownTrace bool
}

// Allow refuses a URL that is not a configured target.
func (e *Engine) Allow(raw string) error {
	for _, t := range e.opts.Targets {
		if load.SameURL(t.URL, raw) {
			return nil
		}
	}
	names := make([]string, len(e.opts.Targets))
	for i, t := range e.opts.Targets {
		names[i] = t.URL
	}
	return fmt.Errorf("%w: %s is not a configured load target (allowed: %s)", model.ErrRefused, raw, strings.Join(names, ", "))
}
