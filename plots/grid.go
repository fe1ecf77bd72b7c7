package plots

import (
	"fmt"
	"image"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Tile is one picture of a grid with its caption: a first line in red (what a model said)
// and a second in black (what is true).
type Tile struct {
	Image       image.Image
	Said, Truth string
}

const (
	gridColumns = 8
	tileImage   = 84 * vg.Inch / 96 // each image drawn 84 pixels high at 96 dots per inch: MNIST at 3×
	tileWidth   = 112 * vg.Inch / 96
	captionSize = 9 // points
)

// Grid draws tiles in rows of eight under title, each image scaled to 84 pixels high with
// its pixels kept square and sharp.
func Grid(w io.Writer, tiles []Tile, title string) error {
	if len(tiles) == 0 {
		return fmt.Errorf("a grid of no pictures")
	}
	cols := min(gridColumns, len(tiles))
	rows := (len(tiles) + cols - 1) / cols
	line := vg.Points(1.25 * captionSize)
	tileHeight := tileImage + 2*line + vg.Points(10)
	titleHeight := vg.Points(24)
	style := func(size vg.Length, col color.Color) draw.TextStyle {
		return draw.TextStyle{Color: col, Font: font.From(plot.DefaultFont, size), XAlign: draw.XCenter, YAlign: draw.YTop, Handler: plot.DefaultTextHandler}
	}
	heading := style(11, color.Black)
	width := max(vg.Length(cols)*tileWidth, heading.Width(title)+vg.Points(16))
	height := vg.Length(rows)*tileHeight + titleHeight
	img := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseBackgroundColor(color.White))
	c := draw.New(img)
	c.FillText(heading, vg.Point{X: width / 2, Y: height - vg.Points(6)}, title)
	said, truth := style(captionSize, color.RGBA{190, 20, 20, 255}), style(captionSize, color.Black)
	for i, t := range tiles {
		x := vg.Length(i%cols)*tileWidth + tileWidth/2
		top := height - titleHeight - vg.Length(i/cols)*tileHeight
		b := t.Image.Bounds()
		iw := tileImage * vg.Length(b.Dx()) / vg.Length(b.Dy())
		rect := vg.Rectangle{Min: vg.Point{X: x - iw/2, Y: top - tileImage}, Max: vg.Point{X: x + iw/2, Y: top}}
		c.DrawImage(rect, sharp(t.Image, int(math.Round(tileImage.Dots(img.DPI())))))
		c.FillText(said, vg.Point{X: x, Y: top - tileImage - vg.Points(2)}, t.Said)
		c.FillText(truth, vg.Point{X: x, Y: top - tileImage - vg.Points(2) - line}, t.Truth)
	}
	_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
	return err
}

// sharp scales im by the whole factor that makes it about px pixels high, repeating each
// pixel, so that small images stay crisp instead of blurred by interpolation.
func sharp(im image.Image, px int) image.Image {
	b := im.Bounds()
	k := max(1, px/max(1, b.Dy()))
	out := image.NewRGBA(image.Rect(0, 0, b.Dx()*k, b.Dy()*k))
	for y := 0; y < b.Dy()*k; y++ {
		for x := 0; x < b.Dx()*k; x++ {
			out.Set(x, y, im.At(b.Min.X+x/k, b.Min.Y+y/k))
		}
	}
	return out
}
