package datasets

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/mnist-tiny from the embedded MNIST")

// embeddedMNIST loads the embedded copy once for all tests.
var embeddedMNIST = sync.OnceValues(func() ([2]*Images, error) {
	train, test, err := LoadMNIST("")
	return [2]*Images{train, test}, err
})

func loadEmbeddedForTest(t *testing.T) (train, test *Images) {
	t.Helper()
	sets, err := embeddedMNIST()
	if err != nil {
		t.Fatalf("LoadMNIST(\"\"): %v", err)
	}
	return sets[0], sets[1]
}

func histogram(im *Images) []int {
	h := make([]int, len(im.Classes))
	for _, l := range im.Labels {
		h[l]++
	}
	return h
}

func TestEmbeddedMNIST(t *testing.T) {
	train, test := loadEmbeddedForTest(t)
	for _, tt := range []struct {
		name     string
		im       *Images
		n        int
		minClass int
		maxClass int
		label0   uint8
	}{
		{"train", train, 60000, 5000, 7000, 5},
		{"test", test, 10000, 800, 1200, 7},
	} {
		t.Run(tt.name, func(t *testing.T) {
			im := tt.im
			if im.N != tt.n || im.Rows != 28 || im.Cols != 28 || len(im.Pixels) != tt.n*784 || len(im.Labels) != tt.n {
				t.Fatalf("got N=%d %dx%d (%d pixels, %d labels), want %d 28x28", im.N, im.Rows, im.Cols, len(im.Pixels), len(im.Labels), tt.n)
			}
			if !reflect.DeepEqual(im.Classes, MNISTClasses) {
				t.Errorf("Classes = %v, want %v", im.Classes, MNISTClasses)
			}
			for class, count := range histogram(im) {
				if count < tt.minClass || count > tt.maxClass {
					t.Errorf("class %d has %d examples, want %d..%d", class, count, tt.minClass, tt.maxClass)
				}
			}
			if im.Labels[0] != tt.label0 {
				t.Errorf("label of example 0 = %d, want %d", im.Labels[0], tt.label0)
			}
		})
	}

	// Row 14 of the first training digit (a 5), the well-known first MNIST image.
	wantRow := []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 81, 240, 253, 253, 119, 25, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	if got := train.Image(0)[14*28 : 15*28]; !bytes.Equal(got, wantRow) {
		t.Errorf("train[0] row 14 = %v, want %v", got, wantRow)
	}
	if got, want := train.Labels[:10], []uint8{5, 0, 4, 1, 9, 2, 1, 3, 1, 4}; !bytes.Equal(got, want) {
		t.Errorf("first train labels = %v, want %v", got, want)
	}
	if got, want := test.Labels[:10], []uint8{7, 2, 1, 0, 4, 1, 4, 9, 5, 9}; !bytes.Equal(got, want) {
		t.Errorf("first test labels = %v, want %v", got, want)
	}
}

// tinyDir holds the first 8 training and 4 test MNIST examples: training files raw, test files
// gzipped, so one load exercises both forms. Regenerate with go test ./datasets -run TestTinyMNIST -update.
var tinyDir = filepath.Join("testdata", "mnist-tiny")

const tinyTrainN, tinyTestN = 8, 4

func TestTinyMNISTFixture(t *testing.T) {
	train, test := loadEmbeddedForTest(t)
	wantTrain, wantTest := train.Limit(tinyTrainN), test.Limit(tinyTestN)
	if *update {
		writeTinyMNIST(t, wantTrain, wantTest)
	}
	gotTrain, gotTest, err := LoadMNIST(tinyDir)
	if err != nil {
		t.Fatalf("LoadMNIST(%s): %v", tinyDir, err)
	}
	if !reflect.DeepEqual(gotTrain, wantTrain) || !reflect.DeepEqual(gotTest, wantTest) {
		t.Errorf("LoadMNIST(%s) differs from the first %d/%d embedded examples; rerun with -update", tinyDir, tinyTrainN, tinyTestN)
	}
}

func writeTinyMNIST(t *testing.T, train, test *Images) {
	if err := os.MkdirAll(tinyDir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(tinyDir, trainImagesFile), encodeIDX([]int{train.N, 28, 28}, train.Pixels))
	writeFile(t, filepath.Join(tinyDir, trainLabelsFile), encodeIDX([]int{train.N}, train.Labels))
	writeFile(t, filepath.Join(tinyDir, testImagesFile+".gz"), gzipBytes(t, encodeIDX([]int{test.N, 28, 28}, test.Pixels)))
	writeFile(t, filepath.Join(tinyDir, testLabelsFile+".gz"), gzipBytes(t, encodeIDX([]int{test.N}, test.Labels)))
}

func TestLoadMNISTDirErrors(t *testing.T) {
	// A directory with only the training files.
	partial := t.TempDir()
	for _, f := range []string{trainImagesFile, trainLabelsFile} {
		data, err := os.ReadFile(filepath.Join(tinyDir, f))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(partial, f), data)
	}
	absent := filepath.Join(t.TempDir(), "absent")

	for _, tt := range []struct {
		name string
		dir  string
		want string
	}{
		{"missing test images", partial, filepath.Join(partial, testImagesFile+".gz")},
		{"missing directory", absent, filepath.Join(absent, trainImagesFile)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := LoadMNIST(tt.dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("LoadMNIST(%s) error = %v, want one naming %s", tt.dir, err, tt.want)
			}
		})
	}
}

func TestFashionMNIST(t *testing.T) {
	if _, err := os.Stat(FashionMNISTDir); err != nil {
		t.Skipf("%s not installed (apt-get install %s): %v", FashionMNISTDir, FashionMNISTPackage, err)
	}
	train, test, err := LoadFashionMNIST("")
	if err != nil {
		t.Fatalf("LoadFashionMNIST: %v", err)
	}
	for _, tt := range []struct {
		name   string
		im     *Images
		n      int
		labels []uint8
	}{
		{"train", train, 60000, []uint8{9, 0, 0, 3, 0, 2, 7, 2, 5, 5}},
		{"test", test, 10000, []uint8{9, 2, 1, 1, 6, 1, 4, 6, 5, 7}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			im := tt.im
			if im.N != tt.n || im.Rows != 28 || im.Cols != 28 {
				t.Fatalf("got N=%d %dx%d, want %d 28x28", im.N, im.Rows, im.Cols, tt.n)
			}
			for class, count := range histogram(im) {
				if count != tt.n/10 {
					t.Errorf("class %d (%s) has %d examples, want %d", class, im.Classes[class], count, tt.n/10)
				}
			}
			if !bytes.Equal(im.Labels[:10], tt.labels) {
				t.Errorf("first labels = %v, want %v", im.Labels[:10], tt.labels)
			}
		})
	}
	if got := train.Classes[train.Labels[0]]; got != "Ankle boot" {
		t.Errorf("class of train[0] = %q, want %q", got, "Ankle boot")
	}
}

func TestFashionMNISTMissingDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fashion")
	_, _, err := LoadFashionMNIST(dir)
	if err == nil {
		t.Fatalf("LoadFashionMNIST(%s) succeeded on a missing directory", dir)
	}
	for _, want := range []string{dir, "does not exist", FashionMNISTPackage} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}
