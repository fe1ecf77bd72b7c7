package curves

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/gorgonet/gorgonet/internal/atomicfile"
)

// panelWidth and panelHeight are the size of one panel of a figure.
const (
	panelWidth  = 11 * vg.Centimeter
	panelHeight = 7.5 * vg.Centimeter
	titleHeight = 1 * vg.Centimeter
)

// writeGrid draws the panels, rows of them, under a title, as a PNG.
func writeGrid(w io.Writer, title string, rows [][]*plot.Plot) error {
	cols := len(rows[0])
	img := vgimg.New(vg.Length(cols)*panelWidth, vg.Length(len(rows))*panelHeight+titleHeight)
	dc := draw.New(img)
	sty := plot.New().Title.TextStyle
	sty.Font.Size = vg.Points(14)
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
	dc.FillText(sty, vg.Point{X: dc.Center().X, Y: dc.Max.Y - 2*vg.Millimeter}, title)
	dc.Max.Y -= titleHeight
	tiles := draw.Tiles{Rows: len(rows), Cols: cols, PadX: 6 * vg.Millimeter, PadY: 6 * vg.Millimeter,
		PadTop: 1 * vg.Millimeter, PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 5 * vg.Millimeter}
	canvases := plot.Align(rows, tiles, dc)
	for i, row := range rows {
		for j, p := range row {
			p.Draw(canvases[i][j])
		}
	}
	_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
	return err
}

// writeFileAtomic writes path by write, atomically (internal/atomicfile), so a reader never
// sees half a picture.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	if err := atomicfile.Write(path, write); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// newPanel is an empty panel with its title and axis labels.
func newPanel(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, x, y
	p.Add(plotter.NewGrid())
	return p
}

// addLine adds pts to p as a line in colour c, with a dot on each point when there are few;
// points that are not finite are left out. It returns the line for a legend, nil when empty.
func addLine(p *plot.Plot, pts plotter.XYs, c color.Color) plot.Thumbnailer {
	pts = thin(finite(pts), maxPoints)
	if len(pts) == 0 {
		return nil
	}
	l, s, err := plotter.NewLinePoints(pts)
	if err != nil {
		return nil
	}
	l.Color, l.Width = c, vg.Points(1.5)
	p.Add(l)
	if len(pts) <= 30 {
		s.Color, s.Radius, s.Shape = c, vg.Points(2.5), draw.CircleGlyph{}
		p.Add(s)
	}
	return l
}

// maxPoints is the most points a line is drawn with: a panel is some 400 pixels wide, and
// drawing a run's every logged step would take seconds at the end of each epoch.
const maxPoints = 1000

// thin replaces runs of consecutive points by their mean, so that at most n are left.
func thin(pts plotter.XYs, n int) plotter.XYs {
	if len(pts) <= n {
		return pts
	}
	k := (len(pts) + n - 1) / n
	out := make(plotter.XYs, 0, n)
	for i := 0; i < len(pts); i += k {
		group := pts[i:min(i+k, len(pts))]
		var m plotter.XY
		for _, pt := range group {
			m.X += pt.X
			m.Y += pt.Y
		}
		m.X /= float64(len(group))
		m.Y /= float64(len(group))
		out = append(out, m)
	}
	return out
}

func finite(pts plotter.XYs) plotter.XYs {
	out := pts[:0:0]
	for _, pt := range pts {
		if !math.IsNaN(pt.X+pt.Y) && !math.IsInf(pt.X+pt.Y, 0) {
			out = append(out, pt)
		}
	}
	return out
}

// noData titles an empty panel so that it does not look like a broken one.
func noData(p *plot.Plot, empty bool) {
	if empty {
		p.Title.Text += " (nothing logged yet)"
	}
}

// padY leaves a margin above and below the data, and opens a flat range (a constant
// learning rate) around its value.
func padY(p *plot.Plot) {
	lo, hi := p.Y.Min, p.Y.Max
	switch span := hi - lo; {
	case math.IsInf(span, 0) || math.IsNaN(span):
	case span == 0 && lo == 0:
		p.Y.Min, p.Y.Max = -1, 1
	case span == 0:
		p.Y.Min, p.Y.Max = lo-0.1*math.Abs(lo), hi+0.1*math.Abs(hi)
	default:
		p.Y.Min, p.Y.Max = lo-0.05*span, hi+0.05*span
	}
}

// stepAxis starts the step axis at step 0, where training began, labelled every 1, 2 or 5
// times a power of ten steps (plot's own labels would read 0.00 and 250.00, and no more).
func stepAxis(p *plot.Plot) {
	p.X.Min = 0
	p.X.Tick.Marker = plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		raw := (hi - lo) / 5
		step := math.Pow(10, math.Floor(math.Log10(raw)))
		for _, m := range []float64{1, 2, 5, 10} {
			if m*step >= raw {
				step *= m
				break
			}
		}
		step = max(step, 1)
		var ts []plot.Tick
		for v := math.Ceil(lo/step) * step; v <= hi; v += step {
			ts = append(ts, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64)})
		}
		return ts
	})
}

// epochAxis puts whole epochs on the x axis, from half an epoch before the first.
func epochAxis(p *plot.Plot, last int) {
	p.X.Min, p.X.Max = 0.5, float64(max(last, 1))+0.5
	p.X.Tick.Marker = plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		step := max(1, int(math.Ceil((hi-lo)/10)))
		var ts []plot.Tick
		for e := step; float64(e) <= hi; e += step {
			ts = append(ts, plot.Tick{Value: float64(e), Label: fmt.Sprint(e)})
		}
		return ts
	})
}
