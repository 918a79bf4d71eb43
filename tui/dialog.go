package tui

import (
	"strings"
	"time"

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
	step  *actions.Step
	yes   bool
	// text is set when the dialog is a text input: printable keys are letters there.
	text    bool
	input   string
	onInput func(m *Model, s string) tea.Cmd
	// onYes runs when a confirmation that is not a step's is answered yes.
	onYes func(m *Model) tea.Cmd
	width int
	// opened is when it opened (the wall clock): keys sooner than the grace were typed before it.
	opened time.Time
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

// newConfirm asks to run a step, showing exactly what it will hit.
func newConfirm(st *themes.Styles, step actions.Step, width int) *dialog {
	d := &dialog{step: &step, width: width}
	d.title = strings.ToUpper(step.Summary[:1]) + step.Summary[1:] + "?"
	d.form = huh.NewForm(huh.NewGroup(
		huh.NewConfirm().Title(wrap(d.title, width)).Description(wrap(step.Detail, width)).
			Affirmative(step.Verb()).Negative("Cancel").Value(&d.yes),
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

// open shows d, from now on the wall clock.
func (m *Model) open(d *dialog) {
	d.opened = m.keyNow()
	m.dialog = d
}

func (m *Model) keyNow() time.Time {
	if m.deps.KeyClock != nil {
		return m.deps.KeyClock()
	}
	return time.Now()
}

// early says a key reached the dialog within its grace: typed before the dialog could be seen.
func (m *Model) early() bool {
	g := m.deps.DialogGrace
	if g == 0 {
		g = DefaultDialogGrace
	}
	return g > 0 && m.keyNow().Sub(m.dialog.opened) < g
}

func (m *Model) dialogWidth() int { return min(max(m.ctx.Width*2/3, 60), 90) }

func (m *Model) updateDialog(msg tea.Msg) tea.Cmd {
	d := m.dialog
	f, cmd := d.form.Update(msg)
	if ff, ok := f.(*huh.Form); ok {
		d.form = ff
	}
	switch d.form.State {
	case huh.StateCompleted:
		m.dialog = nil
		if d.step != nil {
			if !d.yes {
				m.setStatus("cancelled: "+d.step.Summary, false)
				return nil
			}
			return m.do(*d.step)
		}
		if d.onYes != nil {
			if !d.yes {
				m.setStatus("left as they are: "+d.title, false)
				return nil
			}
			return d.onYes(m)
		}
		if d.onInput != nil {
			return d.onInput(m, d.input)
		}
		return nil
	case huh.StateAborted:
		m.dialog = nil
		m.setStatus("cancelled", false)
		return nil
	}
	return cmd
}
