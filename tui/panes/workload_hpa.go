package panes

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/gamedaylab/gameday/model"
)

// hpaLines: current -> desired, the metric against its target, min/max and the conditions.
func (p *Workload) hpaLines() []string {
	st := p.ctx.Styles
	if p.ctx.Target == "" {
		return nil
	}
	h := p.ctx.Cluster.HPAFor(p.ctx.Namespace, p.ctx.Target)
	if h == nil {
		return []string{st.Muted.Render("no HPA on deploy/" + p.ctx.Target)}
	}
	arrow := st.Text.Render(fmt.Sprintf("%d → %d", h.Current, h.Desired))
	if h.Desired > h.Current {
		arrow = st.Warn.Render(fmt.Sprintf("%d → %d ▲", h.Current, h.Desired))
	} else if h.Desired < h.Current {
		arrow = st.Info.Render(fmt.Sprintf("%d → %d ▼", h.Current, h.Desired))
	}
	metric := h.Metric + " ?"
	if h.HasCurrent {
		ms := st.OK
		if h.MetricCurrent > h.MetricTarget*1.1 {
			ms = st.Warn
		}
		metric = ms.Render(fmt.Sprintf("%s %.0f%s", h.Metric, h.MetricCurrent, h.MetricUnit)) + st.Muted.Render(fmt.Sprintf(" / %.0f%s", h.MetricTarget, h.MetricUnit))
	}
	line := st.Bold.Render("HPA ") + arrow + "  " + metric + st.Muted.Render(fmt.Sprintf("  min %d max %d", h.Min, h.Max))
	if r := p.minRaised; !r.at.IsZero() {
		line += st.Info.Render(fmt.Sprintf("  min raised %d → %d at %s", r.from, h.Min, r.at.Format("15:04:05")))
	}
	var conds []string
	for _, c := range h.Conditions {
		dot := st.OK.Render("●")
		bad := (c.Status != "True") != (c.Type == "ScalingLimited")
		if bad {
			dot = st.Warn.Render("○")
		}
		name := c.Type
		if p.w < 60 {
			name = shortCondition[c.Type]
		}
		conds = append(conds, dot+st.Muted.Render(name))
	}
	out := []string{line}
	if len(conds) > 0 {
		out = append(out, "    "+strings.Join(conds, " "))
	}
	if a := hpaArithmetic(h); a != "" {
		if held := p.hpaHold(h); held != "" {
			next, _ := hpaNext(h)
			a = fmt.Sprintf("%s (next: %d × %.0f/%.0f → %d)", held, h.Current, h.MetricCurrent, h.MetricTarget, next) // the hold first: it is what a narrow pane must show
		}
		out = append(out, st.Muted.Render("    "+a))
	}
	return out
}

// hpaNext is the replica count the HPA's algorithm computes now (false when it cannot be computed).
func hpaNext(h *model.HPA) (int32, bool) {
	if !h.HasCurrent || h.MetricTarget <= 0 || h.Current <= 0 {
		return 0, false
	}
	ratio := h.MetricCurrent / h.MetricTarget
	if ratio >= 0.9 && ratio <= 1.1 {
		return h.Current, true
	}
	return min(max(int32(math.Ceil(float64(h.Current)*ratio-1e-9)), h.Min), h.Max), true
}

// noteHPA remembers when the HPA's computed recommendation was last as high as what it holds (the
// scale-down window keeps the highest recommendation of its length, so that is when the hold ends),
// and when its min replicas were raised.
func (p *Workload) noteHPA(now time.Time) {
	if p.ctx.Target == "" {
		return
	}
	h := p.ctx.Cluster.HPAFor(p.ctx.Namespace, p.ctx.Target)
	if h == nil {
		return
	}
	switch {
	case p.hpaMin > 0 && h.Min > p.hpaMin:
		p.minRaised.from, p.minRaised.at = p.hpaMin, now
	case h.Min < p.hpaMin:
		p.minRaised.at = time.Time{} // lowered again: the peak is over
	}
	p.hpaMin = h.Min
	if next, ok := hpaNext(h); ok && next >= h.Desired {
		p.hpaHigh = now
	}
}

// hpaHold says why the HPA does not follow its own arithmetic down: the stabilisation window, and how
// long it has left at most ("" when it is not holding).
func (p *Workload) hpaHold(h *model.HPA) string {
	next, ok := hpaNext(h)
	if !ok || next >= h.Desired || h.ScaleDownWindow <= 0 {
		return ""
	}
	since := p.hpaHigh
	if h.LastScale.After(since) {
		since = h.LastScale // it scaled to what it holds then: the recommendation was that high
	}
	txt := fmt.Sprintf("held at %d by the %ds scale-down window", h.Desired, int(h.ScaleDownWindow.Seconds()))
	if !since.IsZero() {
		left := h.ScaleDownWindow - p.ctx.Now().Sub(since)
		if left < 0 {
			left = 0
		}
		txt += fmt.Sprintf(", %ds left", int(left.Seconds()))
	}
	return txt
}

// hpaArithmetic explains the HPA's next decision the way its algorithm computes it:
// desired = ceil(current × metric / target), unless within the 10 % tolerance, clamped to [min, max].
func hpaArithmetic(h *model.HPA) string {
	if !h.HasCurrent || h.MetricTarget <= 0 || h.Current <= 0 {
		return ""
	}
	ratio := h.MetricCurrent / h.MetricTarget
	raw := float64(h.Current) * ratio
	head := fmt.Sprintf("next: %d × %.0f/%.0f = %.2f", h.Current, h.MetricCurrent, h.MetricTarget, raw)
	if ratio >= 0.9 && ratio <= 1.1 {
		return head + fmt.Sprintf(", within the 10%% tolerance: stays %d", h.Current)
	}
	want := int32(math.Ceil(raw - 1e-9))
	switch {
	case want > h.Max:
		return head + fmt.Sprintf(" → %d, capped at max %d", want, h.Max)
	case want < h.Min:
		return head + fmt.Sprintf(" → %d, raised to min %d", want, h.Min)
	}
	return head + fmt.Sprintf(" → ceil = %d", want)
}

var shortCondition = map[string]string{"AbleToScale": "able", "ScalingActive": "active", "ScalingLimited": "limited"}
