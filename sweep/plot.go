package sweep

import (
	"io"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// writePlot draws the best validation metric of every run against each varied key, one
// panel per key, side by side, as a PNG.
func writePlot(w io.Writer, plan *Plan, rs []Result) error {
	keys := plan.Keys
	if len(keys) == 0 {
		keys = []string{"seed"}
	}
	var row []*plot.Plot
	for _, k := range keys {
		p, err := panel(plan.Metric, k, rs)
		if err != nil {
			return err
		}
		row = append(row, p)
	}
	width := vg.Length(len(row)) * 10 * vg.Centimeter
	img := vgimg.New(width, 9*vg.Centimeter)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: len(row), PadX: 4 * vg.Millimeter, PadTop: 2 * vg.Millimeter, PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 4 * vg.Millimeter}
	canvases := plot.Align([][]*plot.Plot{row}, tiles, dc)
	for i, p := range row {
		p.Draw(canvases[0][i])
	}
	_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
	return err
}

// panel plots metric against key: on a number axis (logarithmic when the values are positive
// and span a decade) when every value is a number, else one position per value.
func panel(metric, key string, rs []Result) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "best validation " + metric + " by " + key
	p.X.Label.Text, p.Y.Label.Text = key, metric
	var values []string
	var pts plotter.XYs
	for _, r := range rs {
		if math.IsNaN(r.Best) {
			continue
		}
		v := paramValue(r.Run, key)
		if !slices.Contains(values, v) {
			values = append(values, v)
		}
		pts = append(pts, plotter.XY{Y: r.Best})
	}
	if len(pts) == 0 {
		p.Title.Text += " (no results yet)"
		return p, nil
	}
	numeric, positive := true, true
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range values {
		x, err := strconv.ParseFloat(v, 64)
		numeric = numeric && err == nil
		positive = positive && x > 0
		lo, hi = min(lo, x), max(hi, x)
	}
	slices.SortFunc(values, func(a, b string) int { return compareValues(a, b, numeric) })
	i := 0
	for _, r := range rs {
		if math.IsNaN(r.Best) {
			continue
		}
		v := paramValue(r.Run, key)
		if numeric {
			pts[i].X, _ = strconv.ParseFloat(v, 64)
		} else {
			pts[i].X = float64(slices.Index(values, v))
		}
		i++
	}
	s, err := plotter.NewScatter(pts)
	if err != nil {
		return nil, err
	}
	s.GlyphStyle.Radius = vg.Points(3)
	s.GlyphStyle.Shape = draw.CircleGlyph{}
	p.Add(s, plotter.NewGrid())
	// Leave a margin around the points, so that none sits on an axis.
	switch {
	case !numeric:
		p.NominalX(values...)
		p.X.Min, p.X.Max = -0.5, float64(len(values))-0.5
	case positive && hi/lo >= 10:
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
		p.X.Min, p.X.Max = lo/1.3, hi*1.3
	case lo == hi:
		p.X.Min, p.X.Max = lo-1, hi+1
	default:
		p.X.Min, p.X.Max = lo-0.08*(hi-lo), hi+0.08*(hi-lo)
	}
	if span := p.Y.Max - p.Y.Min; span > 0 {
		p.Y.Min, p.Y.Max = p.Y.Min-0.08*span, p.Y.Max+0.08*span
	}
	return p, nil
}

// paramValue is the value run r gives key; "seed" is its seed.
func paramValue(r Run, key string) string {
	for _, p := range r.Params {
		if p.Key == key {
			return p.Value
		}
	}
	if key == "seed" && r.Seed != nil {
		return strconv.FormatUint(*r.Seed, 10)
	}
	return ""
}

func compareValues(a, b string, numeric bool) int {
	if numeric {
		x, _ := strconv.ParseFloat(a, 64)
		y, _ := strconv.ParseFloat(b, 64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	return 0 // first appearance order, which is the sweep file's
}
