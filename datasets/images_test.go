package datasets

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// tinyImages has n 1x2 images whose pixels spell their index, so a copy can be traced back.
func tinyImages(n int) *Images {
	im := &Images{N: n, Rows: 1, Cols: 2, Pixels: make([]byte, 2*n), Labels: make([]uint8, n), Classes: MNISTClasses}
	for i := range n {
		im.Pixels[2*i], im.Pixels[2*i+1] = byte(i>>8), byte(i)
		im.Labels[i] = uint8(i % 10)
	}
	return im
}

// exampleIDs reads back the indices that tinyImages wrote into the pixels.
func exampleIDs(im *Images) []int {
	ids := make([]int, im.N)
	for i := range ids {
		ids[i] = int(im.Pixels[2*i])<<8 | int(im.Pixels[2*i+1])
	}
	return ids
}

func TestLoadImagesErrors(t *testing.T) {
	dir := t.TempDir()
	images := filepath.Join(dir, "images")
	writeFile(t, images, encodeIDX([]int{3, 2, 2}, make([]byte, 12)))
	flat := filepath.Join(dir, "flat")
	writeFile(t, flat, encodeIDX([]int{12}, make([]byte, 12)))
	twoLabels := filepath.Join(dir, "two-labels")
	writeFile(t, twoLabels, encodeIDX([]int{2}, []byte{1, 2}))
	badLabel := filepath.Join(dir, "bad-label")
	writeFile(t, badLabel, encodeIDX([]int{3}, []byte{1, 10, 2}))
	goodLabels := filepath.Join(dir, "good-labels")
	writeFile(t, goodLabels, encodeIDX([]int{3}, []byte{1, 9, 2}))

	tests := []struct {
		name           string
		images, labels string
		want           []string
	}{
		{"count mismatch", images, twoLabels, []string{images + " has 3 images but " + twoLabels + " has 2 labels"}},
		{"label out of range", images, badLabel, []string{badLabel, "label 10 of example 1 is out of range for 10 classes"}},
		{"images not 3-D", flat, goodLabels, []string{flat, "want 3 dimensions"}},
		{"labels not 1-D", images, images, []string{images, "want 1 dimension"}},
		{"missing labels", images, filepath.Join(dir, "nope"), []string{filepath.Join(dir, "nope")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadImages(tt.images, tt.labels, MNISTClasses)
			if err == nil {
				t.Fatalf("LoadImages succeeded, want error containing %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}

	got, err := LoadImages(images, goodLabels, MNISTClasses)
	if err != nil {
		t.Fatalf("LoadImages: %v", err)
	}
	if got.N != 3 || got.Rows != 2 || got.Cols != 2 || !reflect.DeepEqual(got.Labels, []uint8{1, 9, 2}) {
		t.Errorf("LoadImages = %+v, want 3 2x2 images labelled 1 9 2", got)
	}
}

func TestSubsetAndLimit(t *testing.T) {
	im := tinyImages(10)
	sub := im.Subset([]int{7, 2, 2, 9})
	if got, want := exampleIDs(sub), []int{7, 2, 2, 9}; !reflect.DeepEqual(got, want) {
		t.Errorf("Subset ids = %v, want %v", got, want)
	}
	if got, want := sub.Labels, []uint8{7, 2, 2, 9}; !reflect.DeepEqual(got, want) {
		t.Errorf("Subset labels = %v, want %v", got, want)
	}
	if empty := im.Subset(nil); empty.N != 0 || empty.Rows != 1 || empty.Cols != 2 || len(empty.Pixels) != 0 {
		t.Errorf("Subset(nil) = %+v, want an empty 1x2 set", empty)
	}

	for _, tt := range []struct{ n, wantN int }{{0, 10}, {-1, 10}, {3, 3}, {10, 10}, {11, 10}} {
		lim := im.Limit(tt.n)
		if lim.N != tt.wantN || len(lim.Labels) != tt.wantN || len(lim.Pixels) != 2*tt.wantN {
			t.Errorf("Limit(%d): N=%d labels=%d pixels=%d, want %d examples", tt.n, lim.N, len(lim.Labels), len(lim.Pixels), tt.wantN)
		}
		if got, want := exampleIDs(lim), exampleIDs(im)[:tt.wantN]; !reflect.DeepEqual(got, want) {
			t.Errorf("Limit(%d) ids = %v, want %v", tt.n, got, want)
		}
	}
}

func TestFillNCHW(t *testing.T) {
	im := &Images{N: 2, Rows: 1, Cols: 3, Pixels: []byte{0, 255, 51, 102, 0, 255}, Labels: []uint8{0, 1}}
	tests := []struct {
		name string
		idx  []int
		norm Normalization
		want []float32
	}{
		{"zero norm is pixel/255", []int{0, 1}, Normalization{}, []float32{0, 1, 0.2, 0.4, 0, 1}},
		{"mean and std", []int{1, 0}, Normalization{Mean: 0.5, Std: 0.5}, []float32{-0.2, -1, 1, -1, 1, -0.6}},
		{"repeat", []int{1, 1}, Normalization{Mean: 0.2, Std: 2}, []float32{0.1, -0.1, 0.4, 0.1, -0.1, 0.4}},
		{"mnist", []int{0}, MNISTNorm, []float32{-0.1307 / 0.3081, (1 - 0.1307) / 0.3081, (0.2 - 0.1307) / 0.3081}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make([]float32, len(tt.want))
			im.FillNCHW(got, tt.idx, tt.norm)
			for i := range got {
				if math.Abs(float64(got[i]-tt.want[i])) > 1e-5 {
					t.Errorf("FillNCHW = %v, want %v", got, tt.want)
					break
				}
			}
		})
	}

	dst := make([]float32, 6)
	if allocs := testing.AllocsPerRun(100, func() { im.FillNCHW(dst, []int{1, 0}, MNISTNorm) }); allocs != 0 {
		t.Errorf("FillNCHW allocates %v times per call, want 0", allocs)
	}

	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "dst has 5 values, want 6") {
			t.Errorf("FillNCHW with a short dst: recovered %v, want a panic about the length", r)
		}
	}()
	im.FillNCHW(make([]float32, 5), []int{0, 1}, MNISTNorm)
}

func BenchmarkFillNCHW(b *testing.B) {
	train, _, err := LoadMNIST("")
	if err != nil {
		b.Fatal(err)
	}
	idx := EpochOrder(train.N, 1, 0)[:64]
	dst := make([]float32, len(idx)*train.Rows*train.Cols)
	b.ReportAllocs()
	for b.Loop() {
		train.FillNCHW(dst, idx, MNISTNorm)
	}
}
