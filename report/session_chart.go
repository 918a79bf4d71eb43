package report

import (
	"bytes"
	"image/color"
	"maps"
	"slices"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/gamedaylab/gameday/actions"
	"github.com/gamedaylab/gameday/sources"
)

var palette = []color.Color{
	color.RGBA{R: 31, G: 119, B: 180, A: 255}, color.RGBA{R: 255, G: 127, B: 14, A: 255}, color.RGBA{R: 44, G: 160, B: 44, A: 255},
	color.RGBA{R: 148, G: 103, B: 189, A: 255}, color.RGBA{R: 140, G: 86, B: 75, A: 255}, color.RGBA{R: 227, G: 119, B: 194, A: 255},
	color.RGBA{R: 127, G: 127, B: 127, A: 255}, color.RGBA{R: 188, G: 189, B: 34, A: 255},
}

// panelChart draws a panel's recorded series over the session, the faults shaded and the actions as
// labelled lines; it returns how many series it left out.
func (f *facts) panelChart(pn sources.Panel, series map[string]map[int64]float64, faults []window) ([]byte, int, error) {
	plt := plot.New()
	plt.Title.Text = pn.Title
	plt.X.Label.Text = "seconds since the start"
	plt.Y.Label.Text = pn.Unit
	names := slices.Sorted(maps.Keys(series))
	left := max(len(names)-maxSeries, 0)
	names = names[:min(len(names), maxSeries)]
	sec := func(ns int64) float64 { return time.Unix(0, ns).Sub(f.start).Seconds() }
	lo, hi := 0.0, 0.0
	var lines []*plotter.Line
	for i, n := range names {
		ts := slices.Sorted(maps.Keys(series[n]))
		pts := make(plotter.XYs, 0, len(ts))
		for _, t := range ts {
			v := series[n][t]
			pts = append(pts, plotter.XY{X: sec(t), Y: v})
			lo, hi = min(lo, v), max(hi, v)
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, 0, err
		}
		l.Color = palette[i%len(palette)]
		l.Width = vg.Points(1.2)
		lines = append(lines, l)
		plt.Legend.Add(n, l)
	}
	if hi <= lo {
		hi = lo + 1
	}
	xmax := f.end.Sub(f.start).Seconds()
	for _, w := range faults {
		x0, x1 := w.start.Sub(f.start).Seconds(), w.end.Sub(f.start).Seconds()
		poly, err := plotter.NewPolygon(plotter.XYs{{X: x0, Y: lo}, {X: x1, Y: lo}, {X: x1, Y: hi}, {X: x0, Y: hi}})
		if err != nil {
			return nil, 0, err
		}
		poly.Color = color.NRGBA{R: 214, G: 39, B: 40, A: 50}
		poly.LineStyle.Width = 0
		plt.Add(poly)
	}
	for _, l := range lines {
		plt.Add(l)
	}
	var labels plotter.XYLabels
	for _, e := range f.entries {
		if !acted(e) {
			continue
		}
		x := e.Time.Sub(f.start).Seconds()
		l, _ := plotter.NewLine(plotter.XYs{{X: x, Y: lo}, {X: x, Y: hi}})
		l.Color = color.Gray{Y: 150}
		plt.Add(l)
		labels.XYs = append(labels.XYs, plotter.XY{X: x, Y: hi})
		labels.Labels = append(labels.Labels, " "+actions.MarkerLabel(e.Action))
	}
	if len(labels.XYs) > 0 {
		lb, err := plotter.NewLabels(labels)
		if err != nil {
			return nil, 0, err
		}
		plt.Add(lb)
	}
	plt.X.Min, plt.X.Max = 0, max(xmax, 1)
	plt.Legend.Top = true
	c := vgsvg.NewWith(vgsvg.UseWH(7*vg.Inch, 3*vg.Inch), vgsvg.EmbedFonts(false))
	plt.Draw(draw.New(c))
	var out bytes.Buffer
	if _, err := c.WriteTo(&out); err != nil {
		return nil, 0, err
	}
	return out.Bytes(), left, nil
}
