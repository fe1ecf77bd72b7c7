package datasets

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/pierrec/lz4/v4"
)

// The fuzz targets of the data readers: each input must be refused or read without a
// panic, and the memory a read allocates must stay within a bound proportional to the
// input (decompressed, for gzip), so that no header or line can claim memory the data
// does not back. Run one for longer with, for example:
//
//	go test -run '^$' -fuzz '^FuzzReadIDX$' -fuzztime 10m -fuzzminimizetime 5s -parallel 1 ./datasets

// allocatedBy returns the bytes allocated while fn runs.
func allocatedBy(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// checkBounded fails t when got exceeds perByte bytes for each of n input bytes plus slack.
func checkBounded(t *testing.T, got uint64, n int, perByte, slack uint64) {
	t.Helper()
	if limit := perByte*uint64(n) + slack; got > limit {
		t.Fatalf("reading %d bytes allocated %d bytes, more than the bound %d", n, got, limit)
	}
}

// plainSize is the size of b once gunzipped, if it is gzip, up to limit bytes.
func plainSize(b []byte, limit int64) int {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return len(b)
	}
	n, _ := io.Copy(io.Discard, io.LimitReader(zr, limit))
	return max(len(b), int(n))
}

func addFiles(f *testing.F, pattern string) {
	paths, err := filepath.Glob(pattern)
	if err != nil || len(paths) == 0 {
		f.Fatalf("no seed files match %s", pattern)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzReadIDX(f *testing.F) {
	addFiles(f, "testdata/mnist-tiny/*")
	f.Add(encodeIDX([]int{2, 3}, []byte{1, 2, 3, 4, 5, 6}))
	f.Add(encodeIDX([]int{65536, 32768}, []byte{1, 2, 3}))
	f.Fuzz(func(t *testing.T, b []byte) {
		n := plainSize(b, idxMaxBytes)
		var im *IDX
		var err error
		got := allocatedBy(func() { im, err = ReadIDX("fuzz.idx", bytes.NewReader(b)) })
		checkBounded(t, got, n, 4, 1<<20) // the data doubles as it grows; gzip and bufio buffers
		if err == nil {
			size := 1
			for _, d := range im.Dims {
				size *= d
			}
			if size != len(im.Data) {
				t.Fatalf("dims %v hold %d bytes, data has %d", im.Dims, size, len(im.Data))
			}
		}
	})
}

func FuzzDecodePicture(f *testing.F) {
	addFiles(f, "../testdata/images/*.png")
	f.Add(pngClaiming(f, 30000, 30000))
	f.Add(pngClaiming(f, 3, 2))
	small := image.NewPaletted(image.Rect(0, 0, 4, 3), color.Palette{color.Black, color.White})
	var g, j bytes.Buffer
	if err := gif.Encode(&g, small, nil); err != nil {
		f.Fatal(err)
	}
	if err := jpeg.Encode(&j, small, nil); err != nil {
		f.Fatal(err)
	}
	f.Add(g.Bytes())
	f.Add(j.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		var px []float32
		var err error
		got := allocatedBy(func() { px, err = DecodePicture("fuzz", bytes.NewReader(b), 28, 28, InvertAuto) })
		// At most pixelsPerByte pixels per byte (or a megapixel), each decoded in up to 8
		// bytes and converted to grey: about 10 bytes a pixel.
		checkBounded(t, got, len(b), 10*pixelsPerByte, 10*minClaimPixels+1<<20)
		if err == nil && len(px) != 28*28 {
			t.Fatalf("%d pixels, want 784", len(px))
		}
	})
}

func FuzzReadCMUdict(f *testing.F) {
	addFiles(f, "testdata/cmudict-tiny.txt")
	f.Add([]byte("HELLO  HH AH0 L OW1\nHELLO(2)  HH EH0 L OW1 # a comment\n;;; comment\n{BRACE  B R EY1 S\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		n := plainSize(b, 64<<20)
		var pairs []Pair
		got := allocatedBy(func() { pairs, _ = readCMUdict("fuzz.txt", bytes.NewReader(b)) })
		checkBounded(t, got, n, 512, 1<<20) // a pair per line: key, one string per letter and per phoneme
		for _, p := range pairs {
			if len(p.Source) == 0 || len(p.Target) == 0 {
				t.Fatalf("pair %+v has an empty side", p)
			}
		}
	})
}

func FuzzParseSentiment(f *testing.F) {
	addFiles(f, "sentiment/*.json")
	f.Add([]byte(`[{"text": "Great phone.", "class": 1}, {"text": "", "class": null}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var ex []TextExample
		var err error
		got := allocatedBy(func() { ex, err = parseSentiment("fuzz.json", "fuzz", b) })
		checkBounded(t, got, len(b), 256, 1<<20)
		for _, e := range ex {
			if err == nil && (e.Text == "" || e.Label < 0 || e.Label >= len(SentimentClasses)) {
				t.Fatalf("accepted example %+v", e)
			}
		}
	})
}

func FuzzReadDing(f *testing.F) {
	addFiles(f, "testdata/de-en-tiny.txt")
	f.Add([]byte("# comment\nHaus {n}; Gebäude {n} | Häuser {pl} :: house; building | houses\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var pairs []Pair
		got := allocatedBy(func() { pairs, _ = readDing("fuzz.txt", bytes.NewReader(b), 8) })
		// Pairs grow as the product of a sub-entry's synonyms, bounded by maxDingPairs.
		checkBounded(t, got, len(b), 8192, 1<<20)
		for _, p := range pairs {
			if len(p.Source) == 0 || len(p.Source) > 8 || len(p.Target) == 0 || len(p.Target) > 8 {
				t.Fatalf("pair %+v: a side outside 1..8 tokens", p)
			}
		}
	})
}

// fuzzBooks is a small versification for FuzzReadZText: 10 index records, 5 of them verses.
var fuzzBooks = []bibleBook{{"Gen", "Genesis", []int{3, 2}}}

// zTextTestament builds a one-block testament of fuzzBooks holding texts at records 5, 6, ….
func zTextTestament(texts ...string) (bzs, bzv, bzz []byte) {
	var plain []byte
	bzv = make([]byte, zVerseRecord*len(testamentLayout(fuzzBooks)))
	for i, text := range texts {
		rec := bzv[(4+i)*zVerseRecord:]
		binary.LittleEndian.PutUint32(rec[4:], uint32(len(plain)))
		binary.LittleEndian.PutUint16(rec[8:], uint16(len(text)))
		plain = append(plain, text...)
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(plain)
	zw.Close()
	bzs = binary.LittleEndian.AppendUint32(nil, 0)
	bzs = binary.LittleEndian.AppendUint32(bzs, uint32(z.Len()))
	bzs = binary.LittleEndian.AppendUint32(bzs, uint32(len(plain)))
	return bzs, bzv, z.Bytes()
}

// inflatedSize is the total size of the zlib blocks bzs points at in bzz, up to limit each.
func inflatedSize(bzs, bzz []byte, limit int64) int {
	n := 0
	for r := 0; r+zBlockRecord <= len(bzs); r += zBlockRecord {
		off, size := binary.LittleEndian.Uint32(bzs[r:]), binary.LittleEndian.Uint32(bzs[r+4:])
		if uint64(off)+uint64(size) > uint64(len(bzz)) {
			continue
		}
		if zr, err := zlib.NewReader(bytes.NewReader(bzz[off : off+size])); err == nil {
			m, _ := io.Copy(io.Discard, io.LimitReader(zr, limit))
			n += int(m)
		}
	}
	return n
}

func FuzzReadZText(f *testing.F) {
	for _, texts := range [][]string{
		{`<w lemma="strong:H7225">EN el principio</w> crió`, `<note>n</note>text &amp; more`, "", "x"},
		{"<title type=\"main\">T</title>v", "<chapter/>"},
	} {
		bzs, bzv, bzz := zTextTestament(texts...)
		f.Add(bzs, bzv, bzz)
	}
	f.Fuzz(func(t *testing.T, bzs, bzv, bzz []byte) {
		n := len(bzs) + len(bzv) + len(bzz) + inflatedSize(bzs, bzz, 1<<24)
		var verses []Verse
		var err error
		got := allocatedBy(func() {
			verses, err = readTestament("fuzz", bzs, bzv, bzz, fuzzBooks)
			for i := range verses {
				verses[i].Text = osisText(verses[i].Text)
			}
		})
		// Blocks are inflated once and shared; each of the 5 verses copies at most 64 KiB.
		checkBounded(t, got, n, 4, 5*(4<<16)+1<<20)
		if err == nil && len(verses) != 5 {
			t.Fatalf("read %d verses, the versification has 5", len(verses))
		}
		for _, v := range verses {
			if v.Text != strings.TrimSpace(v.Text) || strings.Contains(v.Text, "  ") {
				t.Fatalf("verse text %q has uncollapsed white space", v.Text)
			}
		}
	})
}

func FuzzReadDescriptions(f *testing.F) {
	addFiles(f, "testdata/translation-en-tiny.txt")
	var z bytes.Buffer
	zw := lz4.NewWriter(&z)
	zw.Write([]byte("Package: a\nDescription-en: synopsis\n long text\n .\n  verbatim\n"))
	zw.Close()
	f.Add(z.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		n := len(b)
		if r, err := decompressIndex(bytes.NewReader(b)); err == nil {
			m, _ := io.Copy(io.Discard, io.LimitReader(r, 1<<24))
			n = max(n, int(m))
		}
		var descs []Description
		got := allocatedBy(func() {
			r, err := decompressIndex(bytes.NewReader(b))
			if err == nil {
				descs, _ = ReadDescriptions("fuzz", r)
			}
		})
		// LZ4 frames may claim 4 MiB blocks; each line is copied a few times as it is rendered.
		checkBounded(t, got, n, 16, 20<<20)
		for _, d := range descs {
			if d.Package == "" || d.Synopsis == "" || d.Long == "" {
				t.Fatalf("accepted description %+v", d)
			}
		}
	})
}
