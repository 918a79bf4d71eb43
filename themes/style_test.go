package themes

import (
	"reflect"
	"testing"
)

// The fast Render must give exactly what lipgloss gives, for every style of every theme.
func TestStyleRenderMatchesLipgloss(t *testing.T) {
	texts := []string{"", "a", "filler-85954d7d57-d9qpd  Running", " padded ", "× – … │", "two\nlines", "tab\there", "\x1b[1mbold\x1b[m inside"}
	fast := 0
	for _, name := range Names() {
		st, err := Resolve(name, false)
		if err != nil {
			t.Fatal(err)
		}
		v := reflect.ValueOf(st).Elem()
		var all []Style
		for i := 0; i < v.NumField(); i++ {
			switch f := v.Field(i).Interface().(type) {
			case Style:
				all = append(all, f)
			case []Style:
				all = append(all, f...)
			}
		}
		if len(all) < 20 {
			t.Fatalf("%s: only %d styles found", name, len(all))
		}
		for i, s := range all {
			if s.fast {
				fast++
			}
			for _, text := range texts {
				if got, want := s.Render(text), s.Style.Render(text); got != want {
					t.Errorf("%s style %d: Render(%q) = %q, lipgloss gives %q", name, i, text, got, want)
				}
			}
		}
	}
	if fast == 0 {
		t.Fatal("no style took the fast path")
	}
}

func BenchmarkStyleRender(b *testing.B) {
	st := New(palettes["dark"])
	row := "  filler-85954d7d57-d9qpd   Running      1/1    0        12m3s   node-a-1    zone-a     "
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			_ = st.Gone.Render(row)
		}
	})
	b.Run("lipgloss", func(b *testing.B) {
		for b.Loop() {
			_ = st.Gone.Style.Render(row)
		}
	})
}
