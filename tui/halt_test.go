package tui

import (
	"strings"
	"testing"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/tui/core"
)

// TestHaltFromEveryOverlay opens each kind of overlay, picker, prompt and zoomed pane with a burst
// running and presses HALT there: the x key where keys are commands, the ctrl+x chord where a text
// input has them (where x must stay a letter). HALT must stop the load, close what was open and
// journal, every time.
func TestHaltFromEveryOverlay(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		open   func(t *testing.T, m *Model)
		halt   string
		typing bool // x is a letter here: it must not halt
	}{
		{name: "main screen", open: func(*testing.T, *Model) {}, halt: "x"},
		{name: "help", open: func(t *testing.T, m *Model) { typeKeys(t, m, "?") }, halt: "x"},
		{name: "kill confirm", open: func(t *testing.T, m *Model) { typeKeys(t, m, "ctrl+k") }, halt: "x"},
		{name: "kill-many prompt", open: func(t *testing.T, m *Model) { typeKeys(t, m, "K") }, halt: "ctrl+x", typing: true},
		{name: "kill-many confirm", open: func(t *testing.T, m *Model) { typeKeys(t, m, "K", "2", "enter") }, halt: "x"},
		{name: "scale-down confirm", open: func(t *testing.T, m *Model) { typeKeys(t, m, "S") }, halt: "x"},
		{name: "restart confirm", open: func(t *testing.T, m *Model) { typeKeys(t, m, "R") }, halt: "x"},
		{name: "drain zone prompt", open: func(t *testing.T, m *Model) { typeKeys(t, m, "D") }, halt: "ctrl+x", typing: true},
		{name: "drain confirm (forced)", open: func(t *testing.T, m *Model) {
			typeKeys(t, m, ":")
			typeText(t, m, "drain zone eu-west-1a!")
			typeKeys(t, m, "enter")
		}, halt: "x"},
		{name: "load profile picker", open: func(t *testing.T, m *Model) { typeKeys(t, m, "B") }, halt: "x"},
		{name: "target picker", open: func(t *testing.T, m *Model) { typeKeys(t, m, ":", "t", "a", "r", "g", "e", "t", "enter") }, halt: "x"},
		{name: "command line", open: func(t *testing.T, m *Model) { typeKeys(t, m, ":") }, halt: "ctrl+x", typing: true},
		{name: "zoomed pane", open: func(t *testing.T, m *Model) { typeKeys(t, m, "z") }, halt: "x"},
		{name: "logs filter", open: func(t *testing.T, m *Model) {
			m.setFocus(core.PaneLogs)
			typeKeys(t, m, "/")
		}, halt: "ctrl+x", typing: true},
		{name: "traces filter", open: func(t *testing.T, m *Model) {
			m.setFocus(core.PaneTraces)
			typeKeys(t, m, "/")
		}, halt: "ctrl+x", typing: true},
		{name: "zoomed logs filter", open: func(t *testing.T, m *Model) {
			m.setFocus(core.PaneLogs)
			typeKeys(t, m, "z", "/")
		}, halt: "ctrl+x", typing: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, size := range [][2]int{{80, 24}, {200, 60}} {
				m, s := newDemoModel(t, size[0], size[1])
				typeKeys(t, m, "b")
				if !s.Load().Status().Active {
					t.Fatal("b did not start the burst")
				}
				tc.open(t, m)
				before := overlays(m)
				if tc.name != "main screen" && tc.name != "zoomed pane" && before == "" {
					t.Fatalf("%dx%d: the overlay did not open:\n%s", size[0], size[1], screen(m))
				}
				foot := lastLine(screen(m))
				want := "x HALT"
				if tc.typing {
					want = "ctrl+x HALT"
				}
				// The command line is the footer; its HALT hint sits at the right end.
				if tc.name == "command line" && !strings.HasSuffix(strings.TrimSpace(foot), want+" · esc close") ||
					tc.name != "command line" && !strings.HasPrefix(strings.TrimSpace(foot), want) {
					t.Errorf("%dx%d: the footer does not start with %q: %q", size[0], size[1], want, foot)
				}
				if tc.typing {
					typeKeys(t, m, "x")
					if !s.Load().Status().Active {
						t.Fatalf("%dx%d: x typed into a text input halted", size[0], size[1])
					}
				}
				msgs := drive(t, m, keyMsg(tc.halt))
				if s.Load().Status().Active {
					t.Fatalf("%dx%d: %s did not stop the load (open: %s)", size[0], size[1], tc.halt, before)
				}
				halted := false
				for _, msg := range msgs {
					if r, ok := msg.(actions.Result); ok && r.Entry.Action == "halt" && r.Entry.Result == actions.ResultOK {
						halted = true
					}
				}
				if !halted {
					t.Fatalf("%dx%d: HALT was not journaled", size[0], size[1])
				}
				if after := overlays(m); after != "" {
					t.Fatalf("%dx%d: still open after HALT: %s", size[0], size[1], after)
				}
			}
		})
	}
}

// overlays names what is open over the grid.
func overlays(m *Model) string {
	var open []string
	if ok, title := m.DialogOpen(); ok {
		open = append(open, "dialog "+title)
	}
	if m.HelpShown() {
		open = append(open, "help")
	}
	if m.CommandLineOpen() {
		open = append(open, "command line")
	}
	if m.Pane(m.Focused()).Capturing() {
		open = append(open, "pane input")
	}
	return strings.Join(open, ", ")
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}
