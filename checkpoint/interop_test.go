package checkpoint

import (
	"bytes"
	"slices"
	"testing"

	"github.com/nlpodyssey/safetensors"
)

// The files we write are read by github.com/nlpodyssey/safetensors, a SafeTensors reader
// written by others, with the same names, dtypes, shapes and bytes; and every file we refuse,
// it refuses too (but for dtypes it knows and we do not use). We keep our own decoder because
// its errors name what is wrong ("tensors "v" and "w" overlap", "header lists "w" twice")
// where that reader says "invalid metadata offset", and it widens I32 and U8 to I64.
func TestInteropWithNlpodysseyReader(t *testing.T) {
	f := &File{
		Tensors: map[string]Tensor{
			"fc.weight": {Shape: []int{2, 3}, F32: []float32{1, -2, 3.5, 0, 1e-3, 7}},
			"fc.bias":   {Shape: []int{3}, F64: []float64{0.1, -0.2, 1e300}},
			"step":      {Shape: []int{1}, I64: []int64{123456789012}},
			"empty":     {Shape: []int{0, 4}, F32: []float32{}},
		},
		Metadata: map[string]string{"format": "gorgonet/2", "config": `{"lr": 0.1}`},
	}
	b, err := Encode(f)
	if err != nil {
		t.Fatal(err)
	}
	st, err := safetensors.Deserialize(b)
	if err != nil {
		t.Fatalf("nlpodyssey/safetensors refuses our file: %v", err)
	}
	if got, want := slices.Sorted(slices.Values(st.Names())), []string{"empty", "fc.bias", "fc.weight", "step"}; !slices.Equal(got, want) {
		t.Errorf("names = %v, want %v", got, want)
	}
	for name, tensor := range f.Tensors {
		view, _ := st.Tensor(name)
		shape := make([]int, len(view.Shape()))
		for i, d := range view.Shape() {
			shape[i] = int(d)
		}
		if view.DType().String() != tensor.DType() || !slices.Equal(shape, tensor.Shape) {
			t.Errorf("%s: read as %s %v, want %s %v", name, view.DType(), shape, tensor.DType(), tensor.Shape)
		}
		want := make([]byte, int64(tensor.len())*dtypeSize[tensor.DType()])
		putData(want, tensor)
		if !bytes.Equal(view.Data(), want) {
			t.Errorf("%s: data differs", name)
		}
	}
	if _, _, err := safetensors.ReadMetadata(b); err != nil {
		t.Errorf("metadata: %v", err)
	}
	for _, c := range corruptFiles() {
		if c.name == "unknown dtype" {
			continue // F16 is valid SafeTensors; we refuse it because no model of ours uses it
		}
		if _, err := safetensors.Deserialize(c.b); err == nil {
			t.Errorf("%s: nlpodyssey/safetensors accepts a file we refuse", c.name)
		}
	}
}
