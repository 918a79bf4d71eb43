package tui

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/model"
	"github.com/gamedaylab/gameday/themes"
)

// A plan whose lines wrap in a narrow dialog still shows the buttons (at 80 columns the dialog is 60
// wide and huh sized the form before wrapping, cutting the buttons off).
func TestConfirmShowsButtonsWhenItsTextWraps(t *testing.T) {
	st, _ := themes.Resolve("dark", false)
	c := model.NewCluster()
	sel := map[string]string{"app": "web"}
	c.Apply(&model.ClusterDelta{Reset: true, Deployments: []model.Deployment{{Namespace: "demo", Name: "web", Desired: 3, Ready: 3, Selector: sel}},
		Pods: []model.Pod{{Namespace: "demo", Name: "web-zxvwszrdxh-s6vsl", Labels: sel, Ready: true, Phase: "Running"},
			{Namespace: "demo", Name: "web-zxvwszrdxh-a6vsl", Labels: sel, Ready: true, Phase: "Running"}}}, time.Now())
	env := &actions.Env{Guard: &actions.Guard{MinReady: 1}}
	spec, _ := actions.ByCommand("kill")
	step, err := env.Prepare(spec, actions.World{Namespace: "demo", Target: "web", Cluster: c}, "1")
	if err != nil || step.Refusal != nil || !step.Confirm {
		t.Fatalf("kill 1: %+v, %v", step, err)
	}
	for _, w := range []int{60, 90} {
		d := newConfirm(st, step, w)
		d.form.Init()
		v := ansi.Strip(d.view(st))
		buttons := regexp.MustCompile(`(?m)^[│ ]*Kill +Cancel[│ ]*$`)
		if !buttons.MatchString(v) || !strings.Contains(v, "terminationGracePeriodSeconds") {
			t.Fatalf("width %d: the dialog lacks its buttons or text:\n%s", w, v)
		}
	}
}

// TestDialogIgnoresKeysTypedAsItOpened (issue 33): a key that reaches a new dialog within its grace
// was typed before the dialog could be seen (the second of a double press): it does not answer it,
// and the status says so. After the grace the same key answers; esc works at once (HALT comes
// before every dialog: halt_test.go).
func TestDialogIgnoresKeysTypedAsItOpened(t *testing.T) {
	m, _ := newDemoModel(t, 120, 40)
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	m.deps.DialogGrace, m.deps.KeyClock = 150*time.Millisecond, func() time.Time { return now }
	typeKeys(t, m, "ctrl+k", "y")
	if open, _ := m.DialogOpen(); !open {
		t.Fatal("a y typed with ctrl+k answered the confirm it opened")
	}
	if !strings.Contains(screen(m), "ignored") {
		t.Fatalf("the status does not say the key was ignored:\n%s", screen(m))
	}
	typeKeys(t, m, "esc")
	if open, _ := m.DialogOpen(); open {
		t.Fatal("esc within the grace did not close the dialog")
	}
	typeKeys(t, m, "ctrl+k")
	now = now.Add(200 * time.Millisecond)
	killed := false
	for _, msg := range drive(t, m, keyMsg("y")) {
		if r, ok := msg.(actions.Result); ok && r.Entry.Action == actions.Kill && r.Entry.Result == actions.ResultOK {
			killed = true
		}
	}
	if open, _ := m.DialogOpen(); open || !killed {
		t.Fatalf("y after the grace did not answer the confirm (open %v, killed %v)", open, killed)
	}
}
