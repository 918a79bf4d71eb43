// Package themes turns a named colour palette into the lipgloss styles every pane uses, so a theme
// switch (`:theme NAME`) is one pointer swap and no pane hard-codes a colour.
package themes

import (
	"fmt"
	"image/color"
	"sort"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
)

// Default is the theme used when neither the flag nor the config names one.
const Default = "dark"

// Palette is the small set of colours a theme chooses; everything else is derived in Styles.
type Palette struct {
	Name        string
	Fg          color.Color
	Muted       color.Color
	Accent      color.Color
	Border      color.Color
	BorderFocus color.Color
	OK          color.Color
	Warn        color.Color
	Err         color.Color
	Info        color.Color
	SelectedFg  color.Color
	SelectedBg  color.Color
	BadgeFg     color.Color
	Series      []color.Color
	// Mono themes carry no colour at all (NO_COLOR): emphasis comes from bold, underline and reverse.
	Mono bool
	// Heavy borders read better on projectors.
	Heavy bool
}

var palettes = map[string]Palette{
	"dark": {
		Name: "dark", Fg: c("#d8dee9"), Muted: c("#7b8496"), Accent: c("#88c0d0"),
		Border: c("#4c566a"), BorderFocus: c("#88c0d0"), OK: c("#a3be8c"), Warn: c("#ebcb8b"),
		Err: c("#ff6b6b"), Info: c("#81a1c1"), SelectedFg: c("#2e3440"), SelectedBg: c("#88c0d0"),
		BadgeFg: c("#2e3440"),
		Series:  []color.Color{c("#88c0d0"), c("#ebcb8b"), c("#b48ead"), c("#a3be8c"), c("#d08770"), c("#5e81ac")},
	},
	"light": {
		Name: "light", Fg: c("#24292f"), Muted: c("#6e7781"), Accent: c("#0550ae"),
		Border: c("#afb8c1"), BorderFocus: c("#0550ae"), OK: c("#116329"), Warn: c("#7d4e00"),
		Err: c("#cf222e"), Info: c("#0969da"), SelectedFg: c("#ffffff"), SelectedBg: c("#0550ae"),
		BadgeFg: c("#ffffff"),
		Series:  []color.Color{c("#0550ae"), c("#bc4c00"), c("#8250df"), c("#116329"), c("#cf222e"), c("#1b7c83")},
	},
	"high-contrast": {
		Name: "high-contrast", Fg: c("#ffffff"), Muted: c("#d0d0d0"), Accent: c("#ffff00"),
		Border: c("#ffffff"), BorderFocus: c("#ffff00"), OK: c("#00ff00"), Warn: c("#ffff00"),
		Err: c("#ff3030"), Info: c("#00ffff"), SelectedFg: c("#000000"), SelectedBg: c("#ffff00"),
		BadgeFg: c("#000000"),
		Series:  []color.Color{c("#00ffff"), c("#ffff00"), c("#ff00ff"), c("#00ff00"), c("#ff8000"), c("#ffffff")},
		Heavy:   true,
	},
	"mono": {Name: "mono", Mono: true},
}

func c(hex string) color.Color { return lipgloss.Color(hex) }

// Names lists the selectable themes, sorted.
func Names() []string {
	out := make([]string, 0, len(palettes))
	for n := range palettes {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Get returns the palette of that name, or an error naming the allowed ones.
func Get(name string) (Palette, error) {
	p, ok := palettes[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		return Palette{}, fmt.Errorf("unknown theme %q (allowed: %s)", name, strings.Join(Names(), ", "))
	}
	return p, nil
}

// Resolve picks the theme to use: NO_COLOR (any non-empty value, see no-color.org) wins over the
// requested name, because a user who set it asked for no colour everywhere.
func Resolve(name string, noColor bool) (*Styles, error) {
	if name == "" {
		name = Default
	}
	p, err := Get(name)
	if err != nil {
		return nil, err
	}
	if noColor {
		p = palettes["mono"]
	}
	return New(p), nil
}

// Styles are the derived lipgloss styles. They are built once per theme change, never in View.
type Styles struct {
	Palette Palette
	// Profile is the terminal's colour profile the palette was converted to (Unknown: not converted).
	Profile colorprofile.Profile

	Text       Style
	Muted      Style
	Accent     Style
	Bold       Style
	OK         Style
	Warn       Style
	Err        Style
	Info       Style
	Selected   Style
	Header     Style
	TableHead  Style
	Title      Style
	TitleFocus Style
	Border     Style // the border characters of an unfocused pane
	BorderFoc  Style // the border characters of the focused pane
	Key        Style // a key in help and footer
	KeyDesc    Style
	Marker     Style // action markers on graphs
	New        Style // a pod that just appeared
	Gone       Style // a pod terminating or just gone
	Faded      Style // a pod gone for a while
	Dialog     Style
	BadgeRO    Style
	BadgeDry   Style
	BadgeArmed Style
	BadgeLoad  Style
	BadgeFault Style
	Series     []Style
	BorderSet  lipgloss.Border
}

// New derives the styles of a palette.
func New(p Palette) *Styles {
	s := &Styles{Palette: p}
	fg := func(col color.Color) lipgloss.Style {
		st := lipgloss.NewStyle()
		if !p.Mono && col != nil {
			st = st.Foreground(col)
		}
		return st
	}
	badge := func(bg color.Color) lipgloss.Style {
		st := lipgloss.NewStyle().Bold(true).Padding(0, 1)
		if p.Mono {
			return st.Reverse(true)
		}
		return st.Foreground(p.BadgeFg).Background(bg)
	}
	s.Text = Of(fg(p.Fg))
	s.Muted = Of(fg(p.Muted))
	if p.Mono {
		s.Muted = Of(s.Muted.Faint(true))
	}
	s.Accent = Of(fg(p.Accent).Bold(true))
	s.Bold = Of(fg(p.Fg).Bold(true))
	s.OK = Of(fg(p.OK))
	s.Warn = Of(fg(p.Warn).Bold(p.Mono))
	s.Err = Of(fg(p.Err).Bold(true))
	s.Info = Of(fg(p.Info))
	if p.Mono {
		s.Selected = Of(lipgloss.NewStyle().Reverse(true))
	} else {
		s.Selected = Of(lipgloss.NewStyle().Foreground(p.SelectedFg).Background(p.SelectedBg))
	}
	s.Header = Of(fg(p.Fg).Bold(true))
	s.TableHead = Of(fg(p.Muted).Bold(true))
	s.Title = Of(fg(p.Muted).Bold(true))
	s.TitleFocus = Of(fg(p.Accent).Bold(true))
	if p.Mono {
		s.TitleFocus = Of(s.TitleFocus.Reverse(true))
	}
	s.Border = Of(fg(p.Border))
	s.BorderFoc = Of(fg(p.BorderFocus).Bold(p.Heavy || p.Mono))
	s.Key = Of(fg(p.Accent).Bold(true))
	s.KeyDesc = Of(fg(p.Muted))
	s.Marker = Of(fg(p.Warn).Bold(true))
	s.New = Of(fg(p.OK).Bold(true))
	s.Gone = Of(fg(p.Err))
	if p.Mono {
		s.Gone = Of(s.Gone.Strikethrough(true))
	}
	s.Faded = Of(s.Gone.Faint(true))
	s.Dialog = Of(lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).Padding(0, 1))
	if !p.Mono {
		s.Dialog = Of(s.Dialog.BorderForeground(p.Warn))
	}
	s.BadgeRO = Of(badge(p.Info))
	s.BadgeDry = Of(badge(p.Warn))
	s.BadgeArmed = Of(badge(p.Err))
	s.BadgeLoad = Of(badge(p.Accent))
	s.BadgeFault = Of(badge(p.Err))
	if len(p.Series) == 0 {
		s.Series = []Style{Of(lipgloss.NewStyle())}
	}
	for _, col := range p.Series {
		s.Series = append(s.Series, Of(fg(col)))
	}
	s.BorderSet = lipgloss.RoundedBorder()
	if p.Heavy {
		s.BorderSet = lipgloss.ThickBorder()
	}
	return s
}

// Convert re-derives the styles for a terminal with fewer colours than 24-bit, so frames carry
// colours the terminal shows and nothing has to translate them on the way out. A terminal without
// colour gets the mono theme.
func (s *Styles) Convert(profile colorprofile.Profile) {
	p := s.Palette
	switch {
	case profile <= colorprofile.ASCII:
		p = palettes["mono"]
	case profile < colorprofile.TrueColor && !p.Mono:
		conv := func(c color.Color) color.Color {
			if c == nil {
				return nil
			}
			return profile.Convert(c)
		}
		p.Fg, p.Muted, p.Accent, p.Border, p.BorderFocus = conv(p.Fg), conv(p.Muted), conv(p.Accent), conv(p.Border), conv(p.BorderFocus)
		p.OK, p.Warn, p.Err, p.Info = conv(p.OK), conv(p.Warn), conv(p.Err), conv(p.Info)
		p.SelectedFg, p.SelectedBg, p.BadgeFg = conv(p.SelectedFg), conv(p.SelectedBg), conv(p.BadgeFg)
		series := make([]color.Color, len(p.Series))
		for i, c := range p.Series {
			series[i] = conv(c)
		}
		p.Series = series
	}
	*s = *New(p)
	s.Profile = profile
}

// SeriesStyle returns the style of the i-th series, cycling through the palette.
func (s *Styles) SeriesStyle(i int) Style { return s.Series[i%len(s.Series)] }
