package checkpoint

import (
	"runtime"
	"strings"
	"testing"
)

// FuzzDecode checks that Decode never panics, that its errors name the file, that its
// memory stays proportional to the file's size, and that whatever it accepts survives an
// Encode/Decode round trip. Run it for longer with:
//
//	go test -run '^$' -fuzz '^FuzzDecode$' -fuzztime 10m -fuzzminimizetime 5s -parallel 1 ./checkpoint
func FuzzDecode(f *testing.F) {
	for _, file := range []*File{
		{},
		sample(7),
		{Tensors: map[string]Tensor{
			"a": {Shape: []int{2, 2}, F64: []float64{1, 2, 3, 4}},
			"b": {Shape: []int{0}, F32: []float32{}},
			"c": {Shape: []int{3}, F32: []float32{1, 2, 3}},
		}, Metadata: map[string]string{"k": "v", "empty": ""}},
	} {
		b, err := Encode(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(rawFile(`{"i":{"dtype":"I32","shape":[1],"data_offsets":[0,4]},"u":{"dtype":"U8","shape":[1],"data_offsets":[4,5]}}`, make([]byte, 5)))
	f.Fuzz(func(t *testing.T, b []byte) {
		var got *File
		var err error
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		got, err = Decode("fuzz", b)
		runtime.ReadMemStats(&after)
		// Tensors are copied out of b, and the JSON header decodes into a few times its size:
		// no header can claim memory that the file's bytes do not back.
		if alloc, limit := after.TotalAlloc-before.TotalAlloc, 64*uint64(len(b))+1<<20; alloc > limit {
			t.Fatalf("decoding %d bytes allocated %d, more than %d", len(b), alloc, limit)
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "checkpoint fuzz: ") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		again, err := Encode(got)
		if err != nil {
			t.Fatalf("Encode of a decoded file: %v", err)
		}
		back, err := Decode("again", again)
		if err != nil {
			t.Fatalf("Decode of a re-encoded file: %v", err)
		}
		if diff := fileDiff(back, got); diff != "" {
			t.Fatalf("round trip: %s", diff)
		}
	})
}
