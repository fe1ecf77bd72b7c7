package datasets

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // decoders for DecodePicture
	_ "image/jpeg"
	_ "image/png"
	"io"

	"golang.org/x/image/draw"
)

// Invert says whether DecodePicture flips dark and light. MNIST-like sets have light
// strokes on a dark background; most photos and drawings are the other way round.
type Invert string

// The Invert modes.
const (
	InvertAuto   Invert = "auto"   // invert when the picture's border is mostly light
	InvertAlways Invert = "always" // always invert
	InvertNever  Invert = "never"  // keep as is
)

// DecodePicture reads a PNG, JPEG or GIF of any size and colour model and returns it as a
// rows×cols grey image with values in [0, 1]: scaled to fit with its aspect ratio kept,
// centred on the background colour, inverted as inv says.
// Pictures larger than MaxPicturePixels are refused before they are decoded.
func DecodePicture(name string, r io.Reader, rows, cols int, inv Invert) ([]float32, error) {
	img, err := decodeBounded(name, r)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	if b.Dx() == 0 || b.Dy() == 0 {
		return nil, fmt.Errorf("%s: the image is empty", name)
	}
	grey := image.NewGray(b)
	draw.Draw(grey, b, img, b.Min, draw.Src)
	invert := inv == InvertAlways || inv == InvertAuto && borderMean(grey) > 0.5
	background := color.Gray{Y: 0}
	if !invert {
		background.Y = uint8(255 * borderMean(grey))
	}
	if invert {
		for i, v := range grey.Pix {
			grey.Pix[i] = 255 - v
		}
	}
	out := image.NewGray(image.Rect(0, 0, cols, rows))
	draw.Draw(out, out.Bounds(), image.NewUniform(background), image.Point{}, draw.Src)
	draw.CatmullRom.Scale(out, fitRect(b.Dx(), b.Dy(), cols, rows), grey, b, draw.Src, nil)
	px := make([]float32, rows*cols)
	for i, v := range out.Pix {
		px[i] = float32(v) / 255
	}
	return px, nil
}

// MaxPicturePixels bounds the pictures DecodePicture decodes: 40 megapixels (an 8000×5000
// photo) need about 200 MB decoded. A file's header states its size, and a few hundred
// bytes can claim 30000×30000 pixels, which would take gigabytes.
const MaxPicturePixels = 40_000_000

// A header's size claim is checked against the file's size too, so that decoding memory is
// bounded by the input: deflate (PNG) packs at most 1032 bytes into one, and a byte holds at
// most 8 pixels of a 1-bit image; 8192 pixels per byte is generous to every format. Small
// pictures (up to a megapixel) are never refused this way.
const (
	pixelsPerByte  = 8192
	minClaimPixels = 1 << 20
)

// decodeBounded decodes a picture after checking the size its header claims.
func decodeBounded(name string, r io.Reader) (image.Image, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read: %v", name, err)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: not a PNG, JPEG or GIF image: %v", name, err)
	}
	px := int64(cfg.Width) * int64(cfg.Height)
	if px > MaxPicturePixels {
		return nil, fmt.Errorf("%s: the image is %d×%d pixels, more than the %d million predict decodes; scale it down first",
			name, cfg.Width, cfg.Height, MaxPicturePixels/1_000_000)
	}
	if px > max(minClaimPixels, pixelsPerByte*int64(len(data))) {
		return nil, fmt.Errorf("%s: the header claims %d×%d pixels, more than %d bytes of image data can hold", name, cfg.Width, cfg.Height, len(data))
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: not a PNG, JPEG or GIF image: %v", name, err)
	}
	return img, nil
}

// fitRect is the largest rectangle with the aspect ratio of w×h that fits in cols×rows,
// centred.
func fitRect(w, h, cols, rows int) image.Rectangle {
	sw, sh := cols, h*cols/w
	if sh > rows {
		sw, sh = w*rows/h, rows
	}
	sw, sh = max(sw, 1), max(sh, 1)
	x0, y0 := (cols-sw)/2, (rows-sh)/2
	return image.Rect(x0, y0, x0+sw, y0+sh)
}

// borderMean is the mean brightness in [0, 1] of the outermost pixels.
func borderMean(g *image.Gray) float64 {
	b := g.Bounds()
	var sum, n float64
	for x := b.Min.X; x < b.Max.X; x++ {
		sum += float64(g.GrayAt(x, b.Min.Y).Y) + float64(g.GrayAt(x, b.Max.Y-1).Y)
		n += 2
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		sum += float64(g.GrayAt(b.Min.X, y).Y) + float64(g.GrayAt(b.Max.X-1, y).Y)
		n += 2
	}
	return sum / n / 255
}

// Normalize applies norm to pixels in [0, 1] in place, as FillNCHW does.
func Normalize(px []float32, norm Normalization) {
	std := norm.Std
	if std == 0 {
		std = 1
	}
	for i, v := range px {
		px[i] = (v - norm.Mean) / std
	}
}
