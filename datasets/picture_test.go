package datasets

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"
	"runtime"
	"strings"
	"testing"
)

// pngClaiming is a valid 1×1 PNG whose header is rewritten to claim w×h pixels, with the
// header's checksum fixed: a decompression bomb of a few hundred bytes.
func pngClaiming(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	p := b.Bytes()
	const ihdr = 8 + 4 // signature, chunk length; then "IHDR", width, height, …
	binary.BigEndian.PutUint32(p[ihdr+4:], uint32(w))
	binary.BigEndian.PutUint32(p[ihdr+8:], uint32(h))
	binary.BigEndian.PutUint32(p[ihdr+4+13:], crc32.ChecksumIEEE(p[ihdr:ihdr+4+13]))
	return p
}

func TestDecodePictureRefusesBomb(t *testing.T) {
	bomb := pngClaiming(t, 30000, 30000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := DecodePicture("bomb.png", bytes.NewReader(bomb), 28, 28, InvertAuto)
	runtime.ReadMemStats(&after)
	want := "bomb.png: the image is 30000×30000 pixels, more than the 40 million predict decodes"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got error %v, want %q", err, want)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("refusing a %d-byte bomb allocated %d bytes, want under 1 MB", len(bomb), got)
	}
}

// TestDecodePictureClaimBeyondData: under the pixel limit, a header may still claim more
// pixels than its file could hold compressed; that is refused before decoding, so decoding
// memory stays bounded by the file's size.
func TestDecodePictureClaimBeyondData(t *testing.T) {
	_, err := DecodePicture("big.png", bytes.NewReader(pngClaiming(t, 8000, 5000)), 28, 28, InvertAuto)
	if want := "big.png: the header claims 8000×5000 pixels, more than 71 bytes of image data can hold"; err == nil || err.Error() != want {
		t.Errorf("got error %v, want %q", err, want)
	}
	px, err := DecodePicture("one.png", bytes.NewReader(pngClaiming(t, 1, 1)), 28, 28, InvertNever)
	if err != nil || len(px) != 28*28 {
		t.Errorf("1×1 picture: got %d pixels, error %v; want 784, nil", len(px), err)
	}
}
