package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/themes"
	"github.com/gamedaylab/gameday/tui/core"
)

func (m *Model) cmdKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "esc":
		m.cmdOn = false
		m.cmdline.Blur()
		return nil
	case "enter":
		m.cmdOn = false
		m.cmdline.Blur()
		return m.runCommand(m.cmdline.Value())
	}
	var cmd tea.Cmd
	m.cmdline, cmd = m.cmdline.Update(msg)
	return cmd
}

// runCommand runs one `:` command.
func (m *Model) runCommand(line string) tea.Cmd {
	f := strings.Fields(strings.TrimSpace(line))
	if len(f) == 0 {
		return nil
	}
	arg := ""
	if len(f) > 1 {
		arg = f[1]
	}
	switch f[0] {
	case "q", "quit", "q!":
		return m.quit()
	case "help", "h":
		m.showHelp = true
	case "backend", "backends":
		m.openSheet("Backends", m.backendsText)
	case "faults", "fault-list":
		m.openSheet("Faults", m.faultsText)
	case "signals":
		m.openSheet("Signals", m.signalsText)
	case "ns", "namespace":
		if arg == "" {
			m.setStatus("usage: :ns NAME", true)
			return nil
		}
		m.ctx.Namespace = arg
		m.ctx.Perms = nil
		m.sess.SetNamespace(arg)
		m.setStatus("namespace "+arg, false)
		return tea.Batch(m.broadcast(core.TargetChangedMsg{}), m.checkPermissions())
	case "target":
		if arg == "" {
			return m.pickTarget()
		}
		name := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(arg, "deploy/"), "deployment/"), "deployments/")
		if strings.Contains(name, "/") {
			m.setStatus("usage: :target deploy/NAME (or :target - for none)", true)
			return nil
		}
		if name == "-" {
			name = ""
		} else if m.ctx.Cluster.Deployment(m.ctx.Namespace, name) == nil {
			m.setStatus(fmt.Sprintf("deploy/%s not found in namespace %q", name, m.ctx.Namespace), true)
			return nil
		}
		return m.setTarget(name)
	case "theme":
		st, err := themes.Resolve(arg, m.ctx.NoColor)
		if err != nil {
			m.setStatus(err.Error(), true)
			return nil
		}
		if pr := m.ctx.Styles.Profile; pr != 0 {
			st.Convert(pr)
		}
		*m.ctx.Styles = *st
		m.frames = [core.NumPanes]framed{}
		m.dots.valid = false
		if m.ctx.NoColor {
			m.setStatus("theme "+arg+" (drawn mono: NO_COLOR is set)", false)
		} else {
			m.setStatus("theme "+arg, false)
		}
		return m.broadcast(core.ThemeChangedMsg{})
	default:
		if spec, ok := actions.ByCommand(f[0]); ok {
			return m.actionCommand(spec, strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), f[0])))
		}
		m.setStatus(fmt.Sprintf("unknown command %q: try %s", f[0], m.commandList()), true)
	}
	return nil
}

// actionCommand runs an action's `:` command: `:kill 2`, `:kill 50%!`, `:scale +1`, `:scale 5`,
// `:load ramp:0-400`, `:rate -50`, `:drain zone a`, `:halt`. It plans, confirms and refuses exactly as
// the action's key.
func (m *Model) actionCommand(spec actions.Spec, args string) tea.Cmd {
	if spec.Perm != "" {
		if ok, why := m.ctx.Allowed(spec.Perm); !ok {
			m.setStatus(spec.Command+": "+why, true)
			return nil
		}
	}
	if spec.Halts {
		return m.halt()
	}
	return m.plan(spec, args, strings.TrimSpace(fmt.Sprintf("usage: :%s %s", spec.Command, spec.Usage)))
}

// commandList names every `:` command, for the unknown-command message.
func (m *Model) commandList() string {
	var out []string
	for _, e := range m.commandEntries() {
		out = append(out, strings.Fields(e.key)[0])
	}
	return strings.Join(out, " ")
}

// cockpitCommands are the `:` commands that are not actions.
var cockpitCommands = [][2]string{{":ns NAME", "namespace"}, {":target deploy/NAME", "target"},
	{":backend", "metrics, traces, logs: used, found, tried"},
	{":faults", "what is injected, and other chaos engines' experiments"},
	{":signals", "how each signal of the target is read: convention, query, why"},
	{":theme NAME", "dark light high-contrast mono"}, {":q", "quit"}}

// commandEntries lists every `:` command: the cockpit's and every action's from the catalog.
func (m *Model) commandEntries() []entry {
	var out []entry
	for _, c := range append(append([][2]string{}, cockpitCommands[:2]...), actions.CommandHelp()...) {
		out = append(out, entry{c[0], c[1]})
	}
	for _, c := range cockpitCommands[2:] {
		out = append(out, entry{c[0], c[1]})
	}
	return out
}
