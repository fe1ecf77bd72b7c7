package config

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The fuzz targets of the config loader and of --set: any input is refused with an error
// or accepted without a panic, within memory proportional to its size, and what is accepted
// writes back to YAML that loads again. Run one for longer with, for example:
//
//	go test -run '^$' -fuzz '^FuzzParse$' -fuzztime 10m -fuzzminimizetime 5s -parallel 1 ./config

// allocatedBy returns the bytes allocated while fn runs.
func allocatedBy(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// fuzzBytesPerInputByte bounds what YAML decoding allocates per input byte (nodes, strings,
// error messages); fuzzSlack covers the fixed part.
const (
	fuzzBytesPerInputByte = 2048
	fuzzSlack             = 1 << 20
)

func checkRoundTrip(t *testing.T, e Experiment) {
	t.Helper()
	b, err := e.YAML()
	if err != nil {
		t.Fatalf("YAML of an accepted config: %v", err)
	}
	if _, err := Parse("again.yaml", b); err != nil {
		t.Fatalf("the YAML of an accepted config does not load: %v\n%s", err, b)
	}
}

func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"../configs/*.yaml", "testdata/*.yaml"} {
		paths, _ := filepath.Glob(pattern)
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte("a: &a [*a, *a]\nb: [*a, *a, *a]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var e Experiment
		var err error
		got := allocatedBy(func() { e, err = Parse("fuzz.yaml", b) })
		if limit := fuzzBytesPerInputByte*uint64(len(b)) + fuzzSlack; got > limit {
			t.Fatalf("parsing %d bytes allocated %d, more than %d", len(b), got, limit)
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		checkRoundTrip(t, e)
	})
}

func FuzzSet(f *testing.F) {
	for _, kv := range []string{
		"train.epochs=1", "data.limit=2000", "model.cnn.channels=[4,8]", "train.optimizer.lr=3e-4",
		"model.transformer.dim=32", "train.schedule={name: cosine, min_lr: 0}", "name=#run 1", "data.val_fraction=0.01",
		"train.epochs=abc", "nosuch.key=1", "model.cnn.channels=[100000000]", "=", "train",
	} {
		f.Add(kv)
	}
	f.Fuzz(func(t *testing.T, kv string) {
		e := Default()
		var err error
		got := allocatedBy(func() { err = e.Set(kv) })
		if limit := fuzzBytesPerInputByte*uint64(len(kv)) + fuzzSlack; got > limit {
			t.Fatalf("--set of %d bytes allocated %d, more than %d", len(kv), got, limit)
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "--set ") {
				t.Fatalf("error %q does not name --set", err)
			}
			return
		}
		checkRoundTrip(t, e)
	})
}
