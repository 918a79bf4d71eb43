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
