package plots

import (
	"image/color"
	"io"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// grid is a matrix of values in [0, 1] as plotter.GridXYZ, row 0 drawn at the top.
type grid [][]float64

func (g grid) Dims() (c, r int)   { return len(g[0]), len(g) }
func (g grid) Z(c, r int) float64 { return g[len(g)-1-r][c] }
func (g grid) X(c int) float64    { return float64(c) }
func (g grid) Y(r int) float64    { return float64(r) }

// blues are the nine colours of ColorBrewer's Blues, from near-white to dark blue.
var bluesStops = [][3]float64{{247, 251, 255}, {222, 235, 247}, {198, 219, 239}, {158, 202, 225},
	{107, 174, 214}, {66, 146, 198}, {33, 113, 181}, {8, 81, 156}, {8, 48, 107}}

type blues []color.Color

func (b blues) Colors() []color.Color { return b }

// newBlues is n colours through bluesStops, evenly spaced.
func newBlues(n int) palette.Palette {
	b := make(blues, n)
	for i := range b {
		at := float64(i) / float64(n-1) * float64(len(bluesStops)-1)
		k := min(int(at), len(bluesStops)-2)
		f := at - float64(k)
		mix := func(c int) uint8 {
			return uint8(math.Round(bluesStops[k][c] + f*(bluesStops[k+1][c]-bluesStops[k][c])))
		}
		b[i] = color.RGBA{mix(0), mix(1), mix(2), 255}
	}
	return b
}

// heatMap plots values (rows × columns, each in [0, 1]) as coloured cells with columns named
// along the bottom and rows down the left, and texts, when not nil, written in the cells.
func heatMap(values [][]float64, texts [][]string, columns, rows []string) (*plot.Plot, error) {
	p := plot.New()
	h := plotter.NewHeatMap(grid(values), newBlues(64))
	h.Min, h.Max = 0, 1
	p.Add(h)
	p.NominalX(columns...)
	up := slices.Clone(rows) // the y axis counts upwards
	slices.Reverse(up)
	p.NominalY(up...)
	p.X.Min, p.X.Max = -0.5, float64(len(columns))-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(len(rows))-0.5
	p.X.Tick.Label.Font.Size, p.Y.Tick.Label.Font.Size = vg.Points(9), vg.Points(9)
	if longest(columns) > 3 {
		p.X.Tick.Label.Rotation = math.Pi / 3
		p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YCenter
	}
	if texts == nil {
		return p, nil
	}
	labels, err := cellLabels(values, texts)
	if err != nil {
		return nil, err
	}
	p.Add(labels)
	return p, nil
}

// cellLabels writes texts[r][c] centred in cell (r, c), white on dark cells.
func cellLabels(values [][]float64, texts [][]string) (*plotter.Labels, error) {
	var l plotter.XYLabels
	for r, row := range texts {
		for c, s := range row {
			l.XYs = append(l.XYs, plotter.XY{X: float64(c), Y: float64(len(texts) - 1 - r)})
			l.Labels = append(l.Labels, s)
		}
	}
	labels, err := plotter.NewLabels(l)
	if err != nil {
		return nil, err
	}
	for i := range labels.TextStyle {
		st := &labels.TextStyle[i]
		st.XAlign, st.YAlign = draw.XCenter, draw.YCenter
		st.Font.Size = vg.Points(8)
		r, c := len(values)-1-int(labels.XYs[i].Y), int(labels.XYs[i].X)
		if values[r][c] > 0.5 {
			st.Color = color.White
		}
	}
	return labels, nil
}

func longest(names []string) int {
	n := 0
	for _, s := range names {
		n = max(n, len([]rune(s)))
	}
	return n
}

// writePlot draws p as a width × height PNG, wider if its title needs it, with a margin
// above the title.
func writePlot(w io.Writer, p *plot.Plot, width, height vg.Length) error {
	width = max(width, p.Title.TextStyle.Width(p.Title.Text)+vg.Points(16))
	img := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseBackgroundColor(color.White))
	p.Draw(draw.Crop(draw.New(img), vg.Points(4), -vg.Points(4), 0, -vg.Points(6)))
	_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
	return err
}
