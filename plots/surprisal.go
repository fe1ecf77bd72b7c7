package plots

import (
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Layout of Surprisal: a monospaced page.
const (
	pageColumns  = 80
	charWidth    = 7.5 * vg.Inch / 72 // points, for 10-point Liberation Mono (6 points a glyph)
	lineHeight   = 14 * vg.Inch / 72
	maxSurprisal = 8.0 // bits at which the colour is darkest
)

// Surprisal draws text, one character per entry of chars, each on a colour of its bits
// (white for 0, dark blue for maxSurprisal or more), wrapped at 80 columns and at newlines
// (shown as ¶), above a key of the colours.
func Surprisal(w io.Writer, chars []string, bits []float64, title string) error {
	if len(chars) == 0 || len(chars) != len(bits) {
		return fmt.Errorf("surprisal of %d characters for %d values", len(bits), len(chars))
	}
	type cell struct {
		col, line int
		s         string
		bits      float64
	}
	var cells []cell
	col, line := 0, 0
	for i, c := range chars {
		if col == pageColumns {
			col, line = 0, line+1
		}
		shown := c
		if c == "\n" {
			shown = "¶"
		}
		cells = append(cells, cell{col, line, shown, bits[i]})
		col++
		if c == "\n" {
			col, line = 0, line+1
		}
	}
	mono := draw.TextStyle{Color: color.Black, Font: font.From(font.Font{Typeface: "Liberation", Variant: "Mono"}, 10),
		XAlign: draw.XCenter, YAlign: draw.YCenter, Handler: plot.DefaultTextHandler}
	heading := draw.TextStyle{Color: color.Black, Font: font.From(plot.DefaultFont, 11), XAlign: draw.XCenter, YAlign: draw.YTop, Handler: plot.DefaultTextHandler}
	margin, top, key := vg.Points(12), vg.Points(30), vg.Points(40)
	width := max(pageColumns*charWidth+2*margin, heading.Width(title)+2*margin)
	height := top + vg.Length(line+1)*lineHeight + key
	img := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseBackgroundColor(color.White))
	c := draw.New(img)
	c.FillText(heading, vg.Point{X: width / 2, Y: height - vg.Points(6)}, title)
	shades := newBlues(64).Colors()
	shade := func(b float64) (color.Color, float64) {
		f := min(math.Max(b, 0)/maxSurprisal, 1)
		return shades[int(math.Round(f*float64(len(shades)-1)))], f
	}
	box := func(x, y vg.Length, s string, b float64) {
		fill, f := shade(b)
		c.SetColor(fill)
		c.Fill(vg.Rectangle{Min: vg.Point{X: x, Y: y}, Max: vg.Point{X: x + charWidth, Y: y + lineHeight}}.Path())
		st := mono
		if f > 0.5 {
			st.Color = color.White
		}
		c.FillText(st, vg.Point{X: x + charWidth/2, Y: y + lineHeight/2}, s)
	}
	for _, e := range cells {
		box(margin+vg.Length(e.col)*charWidth, height-top-vg.Length(e.line+1)*lineHeight, e.s, e.bits)
	}
	label := heading
	label.Font.Size, label.XAlign, label.YAlign = 9, draw.XLeft, draw.YCenter
	y := key/2 - lineHeight/2
	x := margin
	c.FillText(label, vg.Point{X: x, Y: y + lineHeight/2}, "bits:")
	x += vg.Points(30)
	for b := 0; b <= int(maxSurprisal); b++ {
		name := fmt.Sprint(b)
		if b == int(maxSurprisal) {
			name += "+"
		}
		for k, r := range name {
			box(x+vg.Length(k)*charWidth, y, string(r), float64(b))
		}
		x += vg.Length(len(name))*charWidth + vg.Points(4)
	}
	_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
	return err
}
