package main

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/gamedaylab/gameday/tui"
)

// buildForTest wires a cockpit exactly as main does, from command-line arguments.
func buildForTest(t *testing.T, args ...string) *cockpit {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	o := &options{}
	cmd := newRootWith(o)
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(cmd, o)
	if err != nil {
		t.Fatal(err)
	}
	c, err := build(cmd, o, &cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Tests share one process and run in parallel: the cockpit must not set its GOMAXPROCS.
	c.cores.manual = true
	// These tests type as fast as a program, the moment a dialog is on screen: the dialog's grace
	// (tui/dialog_test.go, and the tmux tests, which answer as a person does) would drop their keys.
	c.deps.DialogGrace = -1
	t.Cleanup(c.close)
	return c
}

// probe keeps the latest screen, rendered on the program's goroutine by a message filter, so the
// test reads whole frames (the renderer's output stream only carries the cells that changed).
type probe struct {
	mu     sync.Mutex
	screen string
}

func (p *probe) filter(m tea.Model, msg tea.Msg) tea.Msg {
	if tm, ok := m.(*tui.Model); ok {
		s := ansi.Strip(tm.Render())
		p.mu.Lock()
		p.screen = s
		p.mu.Unlock()
	}
	return msg
}

func (p *probe) get() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.screen
}

// wait polls the screen until it contains every one of want.
func (p *probe) wait(t *testing.T, d time.Duration, want ...string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		s := p.get()
		ok := true
		for _, w := range want {
			if !strings.Contains(s, w) {
				ok = false
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s the screen lacks %q:\n%s", d, want, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitMatch polls the screen until re matches it.
func (p *probe) waitMatch(t *testing.T, d time.Duration, re *regexp.Regexp) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !re.MatchString(p.get()) {
		if time.Now().After(deadline) {
			t.Fatalf("after %s the screen does not match %s:\n%s", d, re, p.get())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestWholeProgramOnSim runs the real program on the simulated cluster, with the real sources and
// actions: a kill marks the pod terminating and a replacement appears; a burst makes the HPA scale out.
func TestWholeProgramOnSim(t *testing.T) {
	c := buildForTest(t, "--demo", "--demo-speed", "8", "--journal", filepath.Join(t.TempDir(), "j.jsonl"))
	pr := &probe{}
	tm := teatest.NewTestModel(t, tui.New(c.ctx, c.deps), teatest.WithInitialTermSize(120, 40),
		teatest.WithProgramOptions(tea.WithFilter(pr.filter)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.start(ctx, func(m any) { tm.Send(m) })

	pr.wait(t, 10*time.Second, "Workload deploy/web · pods[3]", "Running")
	tm.Send(tea.KeyPressMsg{Code: 'k', Mod: tea.ModCtrl})
	pr.wait(t, 5*time.Second, "Kill the selected pod web-")
	tm.Type("y")
	pr.wait(t, 5*time.Second, "Terminating", "+ web-")
	tm.Type("b")
	pr.wait(t, 30*time.Second, "LOAD burst", "▲")
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*tui.Model)
	h := final.Context().Cluster.HPAFor("demo", "web")
	if h == nil || h.Desired <= 3 {
		t.Fatalf("after a burst the HPA should want more than 3 replicas, got %+v", h)
	}
}
