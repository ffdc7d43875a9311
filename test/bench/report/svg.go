package report

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Plot geometry, in SVG user units.
const (
	panelW, panelH = 420.0, 250.0
	marginL        = 55.0
	marginR        = 30.0
	marginT        = 30.0
	marginB        = 40.0
	plotCols       = 2
)

// palette colours the subjects in the order of the first table.
var palette = []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"}

// SVG draws every distribution as a panel of empirical cumulative
// distribution functions, one line per subject, on a log-scaled x axis
// (latencies of the two runtimes may differ tenfold).
func (r *Run) SVG() string {
	subjects := r.subjects()
	rows := (len(r.Dists) + plotCols - 1) / plotCols
	w, h := plotCols*panelW, float64(rows)*panelH+30
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="11">`+"\n", w, h)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	for i, s := range subjects {
		x := 10 + float64(i)*140
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="14" height="4" fill="%s"/><text x="%.0f" y="%.0f">%s</text>`+"\n", x, h-16, palette[i%len(palette)], x+18, h-11, esc(s))
	}
	for i, d := range r.Dists {
		ox, oy := float64(i%plotCols)*panelW, float64(i/plotCols)*panelH
		panel(&b, d, subjects, ox, oy)
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// subjects lists every subject once, those of the tables first.
func (r *Run) subjects() []string {
	var out []string
	for _, t := range r.Tables {
		for _, s := range t.Subjects {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	for _, d := range r.Dists {
		for s := range d.Samples {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

func panel(b *strings.Builder, d *Distribution, subjects []string, ox, oy float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, xs := range d.Samples {
		for _, x := range xs {
			if x > 0 {
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
		}
	}
	if math.IsInf(lo, 0) {
		return
	}
	lo, hi = math.Pow(10, math.Floor(math.Log10(lo))), math.Pow(10, math.Ceil(math.Log10(hi)))
	pw, ph := panelW-marginL-marginR, panelH-marginT-marginB
	px := func(x float64) float64 {
		return ox + marginL + pw*(math.Log10(x)-math.Log10(lo))/(math.Log10(hi)-math.Log10(lo))
	}
	py := func(y float64) float64 { return oy + marginT + ph*(1-y) }
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" font-weight="bold">%s</text>`+"\n", ox+marginL, oy+18, esc(d.Title))
	fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#999"/>`+"\n", ox+marginL, oy+marginT, pw, ph)
	for dec := lo; dec <= hi*1.001; dec *= 10 {
		x := px(dec)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/><text x="%.1f" y="%.1f" text-anchor="middle">%g</text>`+"\n",
			x, py(0), x, py(1), x, py(0)+14, dec)
	}
	for _, q := range []float64{0, 0.5, 0.9, 1} {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#eee"/><text x="%.1f" y="%.1f" text-anchor="end">%g</text>`+"\n",
			px(lo), py(q), px(hi), py(q), ox+marginL-4, py(q)+4, q)
	}
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s (log scale); y: fraction of samples at or below</text>`+"\n", ox+marginL+pw/2, oy+panelH-10, esc(d.Unit))
	for i, s := range subjects {
		xs := slices.Clone(d.Samples[s])
		if len(xs) == 0 {
			continue
		}
		slices.Sort(xs)
		var pts strings.Builder
		for j, x := range xs {
			x = math.Max(x, lo)
			fmt.Fprintf(&pts, "%.1f,%.1f %.1f,%.1f ", px(x), py(float64(j)/float64(len(xs))), px(x), py(float64(j+1)/float64(len(xs))))
		}
		fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="1.6" points="%s"/>`+"\n", palette[i%len(palette)], strings.TrimSpace(pts.String()))
	}
}

func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
