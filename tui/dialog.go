package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/themes"
)

// dialog is a modal: a confirmation of a plan, or a prompt (how many pods to kill). It wraps a huh form.
type dialog struct {
	form  *huh.Form
	title string
	plan  *actions.Plan
	nodes *actions.NodePlan
	yes   bool
	// text is set when the dialog is a text input: printable keys are letters there.
	text    bool
	input   string
	onInput func(m *Model, s string) tea.Cmd
	width   int
}

func huhTheme(st *themes.Styles) huh.Theme {
	return huh.ThemeFunc(func(isDark bool) *huh.Styles {
		s := huh.ThemeBase(isDark)
		s.Focused.Title = st.Bold.Style
		s.Focused.Description = st.Text.Style
		s.Focused.FocusedButton = st.Selected.Padding(0, 2).MarginRight(1)
		s.Focused.BlurredButton = st.Muted.Padding(0, 2).MarginRight(1)
		s.Focused.ErrorMessage = st.Err.Style
		s.Focused.ErrorIndicator = st.Err.Style
		s.Focused.TextInput.Prompt = st.Accent.Style
		s.Focused.Base = s.Focused.Base.BorderForeground(nil).BorderStyle(lipgloss.HiddenBorder())
		s.Blurred = s.Focused
		return s
	})
}

// wrap fits a dialog's description to its width before huh sees it: huh sizes the form by the
// description's lines and then wraps them, so a wrapped line pushed the buttons out of a 60-column
// dialog (80x24 terminals).
func wrap(s string, width int) string { return ansi.Wordwrap(s, width-6, "") }

// planText lists exactly what a plan will hit and what remains.
func planText(p actions.Plan, guard *actions.Guard) string {
	var b strings.Builder
	switch p.Action {
	case "kill":
		b.WriteString("Pods to delete:\n")
		for _, n := range p.Pods {
			b.WriteString("  • pod/" + n + "\n")
		}
		grace := "graceful (the pod's terminationGracePeriodSeconds)"
		if p.Grace != nil {
			grace = fmt.Sprintf("grace %ds", *p.Grace)
		}
		b.WriteString(fmt.Sprintf("Deletion: %s\n", grace))
	case "scale":
		b.WriteString(fmt.Sprintf("deploy/%s replicas: %d → %d\n", p.Workload, p.From, p.Replicas))
	}
	minReady := 0
	if guard != nil {
		minReady = guard.MinReady
	}
	b.WriteString(fmt.Sprintf("Ready replicas: %d → %d (minimum %d)", p.ReadyBefore, p.ReadyAfter, minReady))
	if p.Force {
		b.WriteString("  FORCED past the minimum")
	}
	for _, w := range p.Warnings {
		b.WriteString("\n! " + w)
	}
	if p.DryRun {
		b.WriteString("\nDRY-RUN: the API server validates the request, nothing changes.")
	}
	return b.String()
}

func newConfirm(st *themes.Styles, p actions.Plan, guard *actions.Guard, width int) *dialog {
	d := &dialog{plan: &p, width: width}
	verb := "Run"
	if spec, ok := actions.Lookup(p.Action); ok && spec.Verb != "" {
		verb = spec.Verb
	}
	if p.DryRun {
		verb += " (dry-run)"
	}
	d.title = strings.ToUpper(p.Summary()[:1]) + p.Summary()[1:] + "?"
	d.form = huh.NewForm(huh.NewGroup(
		huh.NewConfirm().Title(d.title).Description(wrap(planText(p, guard), width)).
			Affirmative(verb).Negative("Cancel").Value(&d.yes),
	)).WithTheme(huhTheme(st)).WithShowHelp(true).WithWidth(width)
	return d
}

func newPrompt(st *themes.Styles, title, desc, placeholder string, validate func(string) error, width int, onInput func(m *Model, s string) tea.Cmd) *dialog {
	d := &dialog{title: title, onInput: onInput, width: width, text: true}
	d.form = huh.NewForm(huh.NewGroup(
		huh.NewInput().Title(title).Description(wrap(desc, width)).Placeholder(placeholder).Value(&d.input).Validate(validate),
	)).WithTheme(huhTheme(st)).WithShowHelp(true).WithWidth(width)
	return d
}

func (d *dialog) view(st *themes.Styles) string {
	return st.Dialog.Width(d.width + 4).Render(d.form.View())
}

// nodePlanText lists the nodes, the pods a drain evicts, what is left alone and what the target keeps.
func nodePlanText(np actions.NodePlan, guard *actions.Guard) string {
	var b strings.Builder
	b.WriteString("Nodes to cordon: " + strings.Join(np.Nodes, ", ") + "\n")
	if np.Action == "drain" {
		b.WriteString(fmt.Sprintf("Pods to evict (%d):\n", len(np.Evict)))
		for i, p := range np.Evict {
			if i == 8 {
				b.WriteString(fmt.Sprintf("  … and %d more\n", len(np.Evict)-8))
				break
			}
			b.WriteString("  • " + p + "\n")
		}
		if len(np.Protected) > 0 {
			b.WriteString(fmt.Sprintf("Left alone (protected namespaces): %d pod(s)\n", len(np.Protected)))
		}
	}
	if np.Workload != "" {
		minReady := 0
		if guard != nil {
			minReady = guard.MinReady
		}
		b.WriteString(fmt.Sprintf("deploy/%s ready replicas: %d → %d until replacements are ready (minimum %d)", np.Workload, np.ReadyBefore, np.ReadyAfter, minReady))
	}
	for _, w := range np.Warnings {
		b.WriteString("\n! " + w)
	}
	b.WriteString("\nHALT (x) or quitting uncordons these nodes.")
	if np.DryRun {
		b.WriteString("\nDRY-RUN: the API server validates the requests, nothing changes.")
	}
	return b.String()
}

func newNodeConfirm(st *themes.Styles, np actions.NodePlan, guard *actions.Guard, width int) *dialog {
	d := &dialog{nodes: &np, width: width}
	verb := strings.ToUpper(np.Action[:1]) + np.Action[1:]
	if spec, ok := actions.Lookup(np.Action); ok && spec.Verb != "" {
		verb = spec.Verb
	}
	if np.DryRun {
		verb += " (dry-run)"
	}
	d.title = strings.ToUpper(np.Summary()[:1]) + np.Summary()[1:] + "?"
	d.form = huh.NewForm(huh.NewGroup(
		huh.NewConfirm().Title(d.title).Description(wrap(nodePlanText(np, guard), width)).
			Affirmative(verb).Negative("Cancel").Value(&d.yes),
	)).WithTheme(huhTheme(st)).WithShowHelp(true).WithWidth(width)
	return d
}

func newSelect(st *themes.Styles, title, desc string, options []string, width int, onInput func(m *Model, s string) tea.Cmd) *dialog {
	d := &dialog{title: title, onInput: onInput, width: width}
	d.form = huh.NewForm(huh.NewGroup(
		huh.NewSelect[string]().Title(title).Description(wrap(desc, width)).Options(huh.NewOptions(options...)...).Value(&d.input),
	)).WithTheme(huhTheme(st)).WithShowHelp(true).WithWidth(width).WithKeyMap(pickerKeys())
	return d
}

// pickerKeys turn off the pickers' type-to-filter: the lists are short, and a picker that is not a text
// input leaves every cockpit key (x: HALT) working while it is open.
func pickerKeys() *huh.KeyMap {
	km := huh.NewDefaultKeyMap()
	km.Select.Filter.SetEnabled(false)
	return km
}
