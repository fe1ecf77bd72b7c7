package plots

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// decodePNG decodes a picture and checks that its size is within [minW, maxW] × [minH, maxH]
// and that it is not blank.
func decodePNG(t *testing.T, b []byte, minW, maxW, minH, maxH int) image.Image {
	t.Helper()
	im, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	w, h := im.Bounds().Dx(), im.Bounds().Dy()
	if w < minW || w > maxW || h < minH || h > maxH {
		t.Errorf("picture is %d×%d, want [%d, %d]×[%d, %d]", w, h, minW, maxW, minH, maxH)
	}
	colours := map[color.RGBA]bool{}
	for y := 0; y < h; y += 3 {
		for x := 0; x < w; x += 3 {
			r, g, b, a := im.At(x, y).RGBA()
			colours[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(a >> 8)}] = true
		}
	}
	if len(colours) < 10 {
		t.Errorf("picture has %d colours: blank?", len(colours))
	}
	return im
}

func digits(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = string(rune('0' + i))
	}
	return names
}

// TestConfusion: the heat map of a confusion matrix is a PNG whose size grows with the
// classes, and a cell of a row's larger share is darker.
func TestConfusion(t *testing.T) {
	counts := [][]int{{90, 10, 0}, {5, 5, 0}, {0, 1, 99}}
	var buf bytes.Buffer
	if err := Confusion(&buf, counts, []string{"cat", "dog", "bird"}, "test"); err != nil {
		t.Fatal(err)
	}
	small := decodePNG(t, buf.Bytes(), 300, 500, 300, 500)
	big := make([][]int, 10)
	for i := range big {
		big[i] = make([]int, 10)
		big[i][i] = 100
	}
	buf.Reset()
	if err := Confusion(&buf, big, digits(10), "test"); err != nil {
		t.Fatal(err)
	}
	large := decodePNG(t, buf.Bytes(), 500, 900, 500, 900)
	if large.Bounds().Dx() <= small.Bounds().Dx() {
		t.Errorf("10 classes: %d pixels wide, 3 classes: %d; want it wider", large.Bounds().Dx(), small.Bounds().Dx())
	}
	for _, bad := range []struct {
		counts  [][]int
		classes []string
	}{{nil, nil}, {counts, []string{"a", "b"}}, {[][]int{{1, 2}, {3}}, []string{"a", "b"}}} {
		if err := Confusion(io.Discard, bad.counts, bad.classes, ""); err == nil {
			t.Errorf("Confusion(%v, %v): no error", bad.counts, bad.classes)
		}
	}
}

// TestAttention: an attention map is a PNG; weights that do not fit the tokens are refused.
func TestAttention(t *testing.T) {
	var buf bytes.Buffer
	w := [][]float64{{0.9, 0.1, 0}, {0, 0.2, 0.8}}
	if err := Attention(&buf, []string{"a", "b", "c"}, []string{"X", "<eos>"}, w, "abc → X"); err != nil {
		t.Fatal(err)
	}
	decodePNG(t, buf.Bytes(), 150, 600, 150, 400)
	if err := Attention(io.Discard, []string{"a", "b"}, []string{"X", "<eos>"}, w, ""); err == nil {
		t.Errorf("3 weights a row for 2 source tokens: no error")
	}
	if err := Attention(io.Discard, []string{"a", "b", "c"}, []string{"X"}, w, ""); err == nil {
		t.Errorf("2 rows for 1 output token: no error")
	}
}

// TestGrid: a grid of 20 images is three rows of eight tiles, each image drawn at three
// times its size with its pixels kept.
func TestGrid(t *testing.T) {
	var tiles []Tile
	for i := range 20 {
		g := image.NewGray(image.Rect(0, 0, 28, 28))
		for k := range g.Pix {
			g.Pix[k] = uint8(k * (i + 1))
		}
		tiles = append(tiles, Tile{Image: g, Said: "7 99.0%", Truth: "true 1"})
	}
	var buf bytes.Buffer
	if err := Grid(&buf, tiles, "mistakes"); err != nil {
		t.Fatal(err)
	}
	decodePNG(t, buf.Bytes(), 8*112, 8*112, 3*100, 3*140)
	src := tiles[5].Image.(*image.Gray)
	big := sharp(src, 84)
	if b := big.Bounds(); b.Dx() != 84 || b.Dy() != 84 {
		t.Fatalf("a 28-pixel image scaled for 84 pixels is %v", b)
	}
	for y := range 84 {
		for x := range 84 {
			if r, _, _, _ := big.At(x, y).RGBA(); uint8(r>>8) != src.GrayAt(x/3, y/3).Y {
				t.Fatalf("pixel (%d, %d) is %d, want source pixel (%d, %d), %d", x, y, r>>8, x/3, y/3, src.GrayAt(x/3, y/3).Y)
			}
		}
	}
	if err := Grid(io.Discard, nil, ""); err == nil {
		t.Errorf("a grid of no images: no error")
	}
}

// TestSurprisal: a page of text coloured by bits is a PNG as wide as 80 columns and as high
// as its lines; bits that do not fit the characters are refused.
func TestSurprisal(t *testing.T) {
	text := strings.Repeat("the quick brown fox\n", 10) + strings.Repeat("x", 200)
	var chars []string
	var bits []float64
	for i, r := range text {
		chars, bits = append(chars, string(r)), append(bits, float64(i%10))
	}
	var buf bytes.Buffer
	if err := Surprisal(&buf, chars, bits, "surprisal"); err != nil {
		t.Fatal(err)
	}
	// 10 short lines and 200 characters on 3 more, 14 points each at 96 dots per inch.
	lines := 13 * 14 * 96 / 72
	decodePNG(t, buf.Bytes(), 80*7.5*96/72, 80*7.5*96/72+40, lines, lines+120)
	if err := Surprisal(io.Discard, chars, bits[1:], ""); err == nil {
		t.Errorf("%d bits for %d characters: no error", len(bits)-1, len(chars))
	}
}

// TestWriteFile: a picture replaces its file whole; a failed drawing leaves the old file and
// no temporary file behind.
func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.png")
	if err := WriteFile(path, func(w io.Writer) error { _, err := io.WriteString(w, "old"); return err }); err != nil {
		t.Fatal(err)
	}
	failed := errors.New("drawing failed")
	err := WriteFile(path, func(w io.Writer) error { io.WriteString(w, "half"); return failed })
	if !errors.Is(err, failed) || !strings.Contains(err.Error(), path) {
		t.Errorf("error %v, want the drawing's error naming %s", err, path)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("after a failed write the file holds %q, want the old %q", b, "old")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("directory holds %d files, want only a.png", len(entries))
	}
}

// TestMakeDir: MakeDir creates nested directories and refuses a path that is a file.
func TestMakeDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	if err := MakeDir(dir); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("MakeDir left %d files in %s", len(entries), dir)
	}
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := MakeDir(file); err == nil || !strings.Contains(err.Error(), file) {
		t.Errorf("MakeDir of a file: error %v, want one naming %s", err, file)
	}
}
