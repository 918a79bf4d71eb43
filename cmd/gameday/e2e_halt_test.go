package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEndToEndHaltFromEveryOverlay types, in a real terminal at 80x24 and 200x60, what a facilitator
// would: a burst, then an overlay, picker, prompt, text input or zoomed pane, then HALT (x where keys
// are commands, ctrl+x where a text input has them). Every time the load must stop and the journal
// must say halt.
func TestEndToEndHaltFromEveryOverlay(t *testing.T) {
	bin := gamedayBinary(t)
	steps := []struct {
		name  string
		open  []string
		shows string // what proves the overlay is open
		halt  string
	}{
		{"help", []string{"?"}, "Help · every key", "x"},
		{"kill confirm", []string{"C-k"}, "Kill the selected pod", "x"},
		{"kill-many prompt", []string{"K"}, "Kill how many pods", "C-x"},
		{"scale-down confirm", []string{"S"}, "Scale deploy/web", "x"},
		{"drain prompt", []string{"D"}, "Drain which zone?", "C-x"},
		{"profile picker", []string{"B"}, "Start which load profile?", "x"},
		{"command line", []string{":"}, "ctrl+x HALT", "C-x"},
		{"zoomed pane", []string{"z"}, "(z: unzoom)", "x"},
		{"traces filter", []string{"Tab", "Tab", "/"}, "ctrl+x HALT", "C-x"},
	}
	for _, size := range [][2]int{{80, 24}, {200, 60}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			journal := filepath.Join(dir, "journal.jsonl")
			s := newTmux(t, size[0], size[1], fmt.Sprintf("env XDG_CONFIG_HOME=%s XDG_STATE_HOME=%s %s --demo --journal %s; sleep 30", dir, dir, bin, journal))
			s.waitFor(10*time.Second, "Workload deploy/web", "▶ web", "x HALT") // the row: the cluster is listed
			for _, st := range steps {
				s.keys("b")
				s.waitFor(5*time.Second, "LOAD burst")
				s.keys(st.open...)
				s.waitFor(5*time.Second, st.shows)
				s.keys(st.halt)
				screen := s.waitFor(5*time.Second, "load idle")
				if st.name == "zoomed pane" {
					s.keys("z")
					s.waitGone(5*time.Second, "(z: unzoom)")
				} else if strings.Contains(screen, st.shows) && st.shows != "ctrl+x HALT" {
					t.Fatalf("%s: still open after HALT:\n%s", st.name, screen)
				}
				if st.name == "traces filter" {
					s.keys("BTab", "BTab") // back to the workload pane
				}
			}
			s.keys("q")
			s.waitGone(5*time.Second, "Workload deploy/")
			halts := 0
			for _, a := range journalActions(t, journal) {
				if a == "halt" {
					halts++
				}
			}
			if halts != len(steps) {
				t.Fatalf("journal has %d halts, want %d", halts, len(steps))
			}
		})
	}
}

// TestEndToEndQuitSaysWhatHaltReverted (issue 13 item 17): q with load running and a node cordoned
// prints, once the terminal is back, what HALT stopped and reverted and where the journal is. Before,
// the cockpit exited without a word.
func TestEndToEndQuitSaysWhatHaltReverted(t *testing.T) {
	atBothSizes(t, "", func(t *testing.T, s *tmuxSession, _ int, journal string) {
		s.waitFor(10*time.Second, "Workload deploy/web", "▶ web", "x HALT") // the row: the cluster is listed
		s.keys(":", "cordon node-a-1", "Enter")
		s.waitFor(5*time.Second, "Cordon node node-a-1")
		s.keys("y")
		s.waitFor(5*time.Second, "cordon ok")
		s.keys("b")
		s.waitFor(5*time.Second, "LOAD burst")
		s.keys("q")
		out := s.waitFor(10*time.Second, "EXITED 0")
		for _, want := range []string{"gameday: HALT on exit: stopped load; reverted 1: cordon node-a-1", "gameday: journal: " + journal} {
			if !strings.Contains(strings.ReplaceAll(out, "\n", ""), want) {
				t.Fatalf("after q the terminal lacks %q:\n%s", want, out)
			}
		}
	})
}

// TestEndToEndMissingNamespaceAndTarget (issue 13 item 6): the real binary warns about a --target that
// does not exist and a :ns to a namespace the cluster lacks, and refuses b's load at a missing target.
func TestEndToEndMissingNamespaceAndTarget(t *testing.T) {
	atBothSizes(t, "--target deploy/nosuch", func(t *testing.T, s *tmuxSession, _ int, _ string) {
		s.waitFor(10*time.Second, "deploy/nosuch not found")
		s.keys("b")
		s.waitFor(5*time.Second, "load-start refused")
		s.keys(":", "target deploy/web", "Enter")
		s.waitFor(5*time.Second, "target deploy/web")
		s.keys(":", "ns nosuchns", "Enter")
		s.waitFor(10*time.Second, `namespace "nosuchns" does`)
	})
}

// TestEndToEndRecoveryIsCounted (issue 13 item 9): after a kill the header counts "recovering 00:0N"
// until replicas are back, then holds "recovered in N.Ns" for wall seconds (at --demo-speed 20 too),
// and the events line starts with the result. Before, nothing counted and the result showed for half a
// second at that speed.
func TestEndToEndRecoveryIsCounted(t *testing.T) {
	atBothSizes(t, "--demo-speed 2", func(t *testing.T, s *tmuxSession, w int, _ string) {
		s.waitFor(10*time.Second, "Workload deploy/web", "▶ web", "x HALT") // the row: the cluster is listed
		s.keys("K")
		s.waitFor(5*time.Second, "Kill how many pods")
		s.keys("2", "Enter")
		s.waitFor(5*time.Second, "Kill 2 random pods")
		s.keys("y")
		s.waitFor(5*time.Second, "recovering 00:0")
		s.waitFor(30*time.Second, "recovered in ")
		time.Sleep(6 * time.Second) // 12 simulated seconds, past the old 10 s of simulated time: still held
		screen := s.waitFor(time.Second, "recovered in ")
		if w >= 200 && !strings.Contains(screen, "recovery ok: recovered in") {
			t.Fatalf("the events line does not start with the result:\n%s", screen)
		}
	})
}

// atBothSizes runs f at 80x24 and 200x60, in parallel, each on the real binary with --demo and args
// in a private tmux; journal is the run's journal file. "; echo EXITED $?" follows the binary so a
// test can read what it printed when it ended.
func atBothSizes(t *testing.T, args string, f func(t *testing.T, s *tmuxSession, w int, journal string)) {
	bin := gamedayBinary(t)
	for _, size := range [][2]int{{80, 24}, {200, 60}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			journal := filepath.Join(dir, "journal.jsonl")
			s := newTmux(t, size[0], size[1], fmt.Sprintf("env XDG_CONFIG_HOME=%s XDG_STATE_HOME=%s %s --demo %s --journal %s; echo EXITED $?; sleep 40",
				dir, dir, bin, args, journal))
			f(t, s, size[0], journal)
		})
	}
}
