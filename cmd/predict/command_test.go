package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gorgonet/gorgonet/cmd/internal/cli"
	"github.com/gorgonet/gorgonet/cmd/internal/clitest"
	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/internal/testrun/shared"
	"github.com/gorgonet/gorgonet/predict"
)

// tempRoot holds what the tests of this package share, read-only: a tiny run and digit
// pictures.
var tempRoot string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gorgonet-predict-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tempRoot = dir
	code := m.Run()
	shared.Cleanup()
	os.RemoveAll(dir)
	os.Exit(code)
}

// tinyRun is the shared tiny run (one epoch, 256 MNIST images, 1200 validation images);
// its accuracy is poor, so tests check formats, not classes.
func tinyRun(t *testing.T) string { return shared.Run(t) }

var digits struct {
	once  sync.Once
	files []string
	err   error
}

// digitFiles writes, once, the first five MNIST test digits as a user would draw them:
// black ink on white, RGB, 84×84 PNGs (3× upscaled), and the sixth as a JPEG.
func digitFiles(t *testing.T) []string {
	t.Helper()
	digits.once.Do(func() {
		_, test, err := datasets.LoadMNIST("")
		if err != nil {
			digits.err = err
			return
		}
		for i := range 6 {
			img := inkOnPaper(test, i, 3)
			name, encode := fmt.Sprintf("digit-%d.png", i), func(b *bytes.Buffer) error { return png.Encode(b, img) }
			if i == 5 {
				name, encode = fmt.Sprintf("digit-%d.jpg", i), func(b *bytes.Buffer) error { return jpeg.Encode(b, img, &jpeg.Options{Quality: 90}) }
			}
			var b bytes.Buffer
			if digits.err = encode(&b); digits.err != nil {
				return
			}
			path := filepath.Join(tempRoot, name)
			if digits.err = os.WriteFile(path, b.Bytes(), 0o644); digits.err != nil {
				return
			}
			digits.files = append(digits.files, path)
		}
	})
	if digits.err != nil {
		t.Fatal(digits.err)
	}
	return digits.files
}

// inkOnPaper renders image i of im inverted (255-v) as RGB, scaled up scale times.
func inkOnPaper(im *datasets.Images, i, scale int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, im.Cols*scale, im.Rows*scale))
	px := im.Pixels[i*im.Rows*im.Cols : (i+1)*im.Rows*im.Cols]
	for y := range im.Rows * scale {
		for x := range im.Cols * scale {
			v := 255 - px[(y/scale)*im.Cols+x/scale]
			img.SetRGBA(x, y, color.RGBA{R: v, G: v, B: v, A: 255})
		}
	}
	return img
}

// runPredict runs the predict command in-process as main does; stdin, if not nil, is what
// it reads for "-".
func runPredict(t *testing.T, stdin []byte, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	if stdin != nil {
		path := filepath.Join(t.TempDir(), "stdin")
		if err := os.WriteFile(path, stdin, 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		saved := os.Stdin
		os.Stdin = f // newCommand reads os.Stdin once, when it builds its options
		defer func() { os.Stdin = saved }()
	}
	var out, errOut bytes.Buffer
	cmd := newCommand()
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	code = cli.Main(cmd, args, &errOut)
	return code, out.String(), errOut.String()
}

// predictJSON runs predict --json and decodes its one object per input.
func predictJSON(t *testing.T, stdin []byte, args ...string) []prediction {
	t.Helper()
	code, stdout, stderr := runPredict(t, stdin, append([]string{"--json"}, args...)...)
	if code != 0 || stderr != "" {
		t.Fatalf("predict --json %s: exit status %d, stderr %q", strings.Join(args, " "), code, stderr)
	}
	var preds []prediction
	for i, line := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		var keys map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &keys); err != nil {
			t.Fatalf("line %d is not one JSON object: %v\n%s", i+1, err, line)
		}
		if len(keys) != 2 || keys["input"] == nil || keys["top"] == nil {
			t.Errorf("line %d has keys %v, want input and top", i+1, slices.Sorted(maps.Keys(keys)))
		}
		var p prediction
		d := json.NewDecoder(strings.NewReader(line))
		d.DisallowUnknownFields()
		if err := d.Decode(&p); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		preds = append(preds, p)
	}
	return preds
}

// checkGuesses checks one image's top classes: distinct digits, probabilities in [0, 1] in
// descending order.
func checkGuesses(t *testing.T, input string, top []guess) {
	t.Helper()
	seen := map[string]bool{}
	for i, g := range top {
		if len(g.Class) != 1 || g.Class[0] < '0' || g.Class[0] > '9' || seen[g.Class] {
			t.Errorf("%s: class %q at rank %d is not a new digit", input, g.Class, i+1)
		}
		seen[g.Class] = true
		if !(g.Probability >= 0 && g.Probability <= 1) {
			t.Errorf("%s: probability %v of class %s", input, g.Probability, g.Class)
		}
		if i > 0 && g.Probability > top[i-1].Probability {
			t.Errorf("%s: rank %d (%v) is more likely than rank %d (%v)", input, i+1, g.Probability, i, top[i-1].Probability)
		}
	}
}

var guessPattern = regexp.MustCompile(`^(\d) \((\d+\.\d)%\)$`)

// TestPredictLines: predict prints one line per image, in order,
// "NAME: class (p%), class (p%), class (p%)", with probabilities that add up to at most 100%.
func TestPredictLines(t *testing.T) {
	run, files := tinyRun(t), digitFiles(t)
	code, stdout, stderr := runPredict(t, nil, append([]string{"--checkpoint", run}, files...)...)
	if code != 0 || stderr != "" {
		t.Fatalf("exit status %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != len(files) {
		t.Fatalf("%d lines for %d images:\n%s", len(lines), len(files), stdout)
	}
	asJSON := predictJSON(t, nil, append([]string{"--checkpoint", run, "--top", "10"}, files...)...)
	for i, line := range lines {
		rest, ok := strings.CutPrefix(line, files[i]+": ")
		if !ok {
			t.Errorf("line %d is %q, want it to start with %q", i+1, line, files[i]+": ")
			continue
		}
		parts := strings.Split(rest, ", ")
		if len(parts) != 3 {
			t.Errorf("line %d shows %d classes, want the default --top 3: %q", i+1, len(parts), line)
			continue
		}
		var sum float64
		var top []guess
		for _, part := range parts {
			m := guessPattern.FindStringSubmatch(part)
			if m == nil {
				t.Errorf("line %d: %q is not \"class (p%%)\"", i+1, part)
				continue
			}
			p, _ := strconv.ParseFloat(m[2], 64)
			sum += p
			top = append(top, guess{Class: m[1], Probability: p / 100})
		}
		checkGuesses(t, files[i], top)
		if sum > 100+0.05*float64(len(parts)) { // each shown rounded to 0.1
			t.Errorf("line %d: probabilities add up to %.1f%%: %q", i+1, sum, line)
		}
		// The same classes and rounded probabilities as the first three of --json --top 10.
		for r, g := range top {
			want := asJSON[i].Top[r]
			if g.Class != want.Class || fmt.Sprintf("%.1f", 100*g.Probability) != fmt.Sprintf("%.1f", 100*want.Probability) {
				t.Errorf("line %d rank %d: %s (%.1f%%), but --json says %s (%.1f%%)", i+1, r+1, g.Class, 100*g.Probability, want.Class, 100*want.Probability)
			}
		}
	}
}

// TestPredictJSON: --json prints one object per image with the input's name and --top
// classes; all ten classes add up to probability 1.
func TestPredictJSON(t *testing.T) {
	run, files := tinyRun(t), digitFiles(t)
	for _, top := range []int{1, 3, 10, 20} {
		t.Run(fmt.Sprintf("top %d", top), func(t *testing.T) {
			preds := predictJSON(t, nil, append([]string{"--checkpoint", run, "--top", strconv.Itoa(top)}, files...)...)
			if len(preds) != len(files) {
				t.Fatalf("%d objects for %d images", len(preds), len(files))
			}
			for i, p := range preds {
				if p.Input != files[i] {
					t.Errorf("object %d is for %q, want %q", i+1, p.Input, files[i])
				}
				if want := min(top, 10); len(p.Top) != want {
					t.Errorf("%s: %d classes, want %d", p.Input, len(p.Top), want)
				}
				checkGuesses(t, p.Input, p.Top)
				if top < 10 {
					continue
				}
				var sum float64
				for _, g := range p.Top {
					sum += g.Probability
				}
				if math.Abs(sum-1) > 1e-6 {
					t.Errorf("%s: the ten probabilities add up to %v, want 1", p.Input, sum)
				}
			}
		})
	}
}

// TestPredictManyImages: more images than one batch (64) come out in order, and an image
// gets the same answer wherever it falls in a batch, the short last one included.
func TestPredictManyImages(t *testing.T) {
	run, files := tinyRun(t), digitFiles(t)
	var inputs []string
	for len(inputs) < 70 {
		inputs = append(inputs, files...)
	}
	inputs = inputs[:70]
	preds := predictJSON(t, nil, append([]string{"--checkpoint", run, "--top", "10"}, inputs...)...)
	if len(preds) != len(inputs) {
		t.Fatalf("%d objects for %d images", len(preds), len(inputs))
	}
	first := map[string][]guess{}
	for i, p := range preds {
		if p.Input != inputs[i] {
			t.Fatalf("object %d is for %q, want %q", i+1, p.Input, inputs[i])
		}
		want, seen := first[p.Input]
		if !seen {
			first[p.Input] = p.Top
			continue
		}
		if !slices.EqualFunc(p.Top, want, func(a, b guess) bool {
			return a.Class == b.Class && math.Abs(a.Probability-b.Probability) < 1e-6
		}) {
			t.Errorf("image %d (%s): %v, but earlier %v", i+1, p.Input, p.Top, want)
		}
	}
}

// TestPredictInvert: --invert auto inverts dark ink on light paper, as always does, and
// leaves MNIST's own light-on-dark digits alone, as never does; "-" reads standard input.
func TestPredictInvert(t *testing.T) {
	run, files := tinyRun(t), digitFiles(t)
	_, test, err := datasets.LoadMNIST("")
	if err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer // digit 0 as in MNIST: grey, 28×28, light on dark
	if err := png.Encode(&raw, &image.Gray{Pix: test.Pixels[:784], Stride: 28, Rect: image.Rect(0, 0, 28, 28)}); err != nil {
		t.Fatal(err)
	}
	paper, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		picture      []byte
		same, differ string
	}{
		{"ink on paper", paper, "always", "never"},
		{"MNIST digit", raw.Bytes(), "never", "always"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probs := func(invert string) []guess {
				p := predictJSON(t, tt.picture, "--checkpoint", run, "--top", "10", "--invert", invert, "-")
				if len(p) != 1 || p[0].Input != "-" {
					t.Fatalf("--invert %s on standard input: %+v, want one prediction for \"-\"", invert, p)
				}
				return p[0].Top
			}
			auto, same, differ := probs("auto"), probs(tt.same), probs(tt.differ)
			if !slices.Equal(auto, same) {
				t.Errorf("--invert auto gives %v, --invert %s %v; want the same", auto, tt.same, same)
			}
			if slices.Equal(auto, differ) {
				t.Errorf("--invert auto gives the same as --invert %s: %v", tt.differ, auto)
			}
		})
	}
}

// TestPredictOddPictures: pictures of unusual shapes and formats are read, not refused.
func TestPredictOddPictures(t *testing.T) {
	run := tinyRun(t)
	dir := t.TempDir()
	thin := image.NewGray(image.Rect(0, 0, 300, 1))
	tall := image.NewGray16(image.Rect(0, 0, 1, 300))
	for i := range 300 {
		thin.SetGray(i, 0, color.Gray{Y: uint8(i)})
		tall.SetGray16(0, i, color.Gray16{Y: uint16(i * 200)})
	}
	dot := image.NewPaletted(image.Rect(0, 0, 1, 1), color.Palette{color.White, color.Black})
	ring := image.NewPaletted(image.Rect(0, 0, 40, 30), color.Palette{color.White, color.Black})
	for y := 5; y < 25; y++ {
		for x := 10; x < 30; x++ {
			if d := math.Hypot(float64(x)-19.5, float64(y)-14.5); d > 6 && d < 9 {
				ring.SetColorIndex(x, y, 1)
			}
		}
	}
	pictures := map[string]func(*bytes.Buffer) error{
		"thin.png":  func(b *bytes.Buffer) error { return png.Encode(b, thin) },
		"tall.png":  func(b *bytes.Buffer) error { return png.Encode(b, tall) },
		"dot.gif":   func(b *bytes.Buffer) error { return gif.Encode(b, dot, nil) },
		"ring.gif":  func(b *bytes.Buffer) error { return gif.Encode(b, ring, nil) },
		"thin.jpeg": func(b *bytes.Buffer) error { return jpeg.Encode(b, thin, nil) },
	}
	var files []string
	for name, encode := range pictures {
		var b bytes.Buffer
		if err := encode(&b); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, path)
	}
	slices.Sort(files)
	preds := predictJSON(t, nil, append([]string{"--checkpoint", run, "--top", "10"}, files...)...)
	if len(preds) != len(files) {
		t.Fatalf("%d objects for %d pictures", len(preds), len(files))
	}
	for _, p := range preds {
		checkGuesses(t, p.Input, p.Top)
	}
}

// TestPredictErrors: a bad picture, a bad flag or a bad checkpoint ends in one line that
// names it, before anything is printed on stdout.
func TestPredictErrors(t *testing.T) {
	run, files := tinyRun(t), digitFiles(t)
	good, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	// In args and wants, $DIR is the test's directory; $GOOD is a good picture.
	tests := []struct {
		name  string
		files map[string][]byte // written into $DIR first
		args  []string
		wants []string
	}{
		{
			name:  "text file",
			files: map[string][]byte{"notes.txt": []byte("not a picture\n")},
			args:  []string{"--checkpoint", run, "$GOOD", "$DIR/notes.txt"},
			wants: []string{"$DIR/notes.txt", "not a PNG, JPEG or GIF"},
		},
		{
			name:  "empty file",
			files: map[string][]byte{"empty.png": nil},
			args:  []string{"--checkpoint", run, "$DIR/empty.png"},
			wants: []string{"$DIR/empty.png"},
		},
		{
			name:  "truncated PNG",
			files: map[string][]byte{"cut.png": good[:len(good)/2]},
			args:  []string{"--checkpoint", run, "$DIR/cut.png", "$GOOD"},
			wants: []string{"$DIR/cut.png"},
		},
		{
			name:  "no such file",
			args:  []string{"--checkpoint", run, "$DIR/missing.png"},
			wants: []string{"$DIR/missing.png"},
		},
		{
			name:  "a directory",
			args:  []string{"--checkpoint", run, "$DIR"},
			wants: []string{"$DIR"},
		},
		{
			name:  "bad --invert",
			args:  []string{"--checkpoint", run, "--invert", "bogus", "$GOOD"},
			wants: []string{"--invert", `"bogus"`, "auto, always or never"},
		},
		{
			name:  "--top 0",
			args:  []string{"--checkpoint", run, "--top", "0", "$GOOD"},
			wants: []string{"--top"},
		},
		{
			name:  "no --checkpoint",
			args:  []string{"$GOOD"},
			wants: []string{"--checkpoint"},
		},
		{
			name:  "not a checkpoint",
			files: map[string][]byte{"model.safetensors": []byte("hello")},
			args:  []string{"--checkpoint", "$DIR/model.safetensors", "$GOOD"},
			wants: []string{"$DIR/model.safetensors"},
		},
		{
			name:  "--temperature NaN",
			args:  []string{"--checkpoint", run, "--temperature", "NaN", "$GOOD"},
			wants: []string{"--temperature must be a number ≥ 0, got NaN"},
		},
		{
			name:  "--length beyond the maximum",
			args:  []string{"--checkpoint", run, "--length", "1000000000", "$GOOD"},
			wants: []string{"--length 1000000000 is more than the maximum of 100000 characters"},
		},
		{
			name:  "decompression bomb",
			files: map[string][]byte{"bomb.png": pngClaiming(t, 30000, 30000)},
			args:  []string{"--checkpoint", run, "$GOOD", "$DIR/bomb.png"},
			wants: []string{"$DIR/bomb.png", "30000×30000 pixels"},
		},
		{
			name:  "no pictures",
			args:  []string{"--checkpoint", run},
			wants: []string{"arg"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, b := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			expand := strings.NewReplacer("$DIR", dir, "$GOOD", files[0]).Replace
			var args, wants []string
			for _, a := range tt.args {
				args = append(args, expand(a))
			}
			for _, w := range tt.wants {
				wants = append(wants, expand(w))
			}
			code, stdout, stderr := runPredict(t, nil, args...)
			clitest.CheckOneLineError(t, "predict", code, stderr, wants...)
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
		})
	}
}

// pngClaiming is a valid 1×1 PNG whose header is rewritten to claim w×h pixels, with the
// header's checksum fixed: a decompression bomb of 71 bytes.
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

// The shapes of predict --json's classifier lines.
type (
	prediction = predict.Prediction
	guess      = predict.Guess
)
