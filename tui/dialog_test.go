package tui

import (
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/themes"
)

// A plan whose lines wrap in a narrow dialog still shows the buttons (at 80 columns the dialog is 60
// wide and huh sized the form before wrapping, cutting the buttons off).
func TestConfirmShowsButtonsWhenItsTextWraps(t *testing.T) {
	st, _ := themes.Resolve("dark", false)
	p := actions.Plan{Action: "kill", Namespace: "demo", Workload: "web", Pods: []string{"web-zxvwszrdxh-s6vsl"}, ReadyBefore: 3, ReadyAfter: 2}
	for _, w := range []int{60, 90} {
		d := newConfirm(st, p, &actions.Guard{MinReady: 1}, w)
		d.form.Init()
		v := ansi.Strip(d.view(st))
		buttons := regexp.MustCompile(`(?m)^[│ ]*Kill +Cancel[│ ]*$`)
		if !buttons.MatchString(v) || !strings.Contains(v, "terminationGracePeriodSeconds") {
			t.Fatalf("width %d: the dialog lacks its buttons or text:\n%s", w, v)
		}
	}
}
