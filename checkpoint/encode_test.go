package checkpoint

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	for _, test := range []struct {
		name string
		f    *File
	}{
		{"no tensors", &File{}},
		{"all dtypes and metadata", &File{
			Tensors: map[string]Tensor{
				"fc.weight": {Shape: []int{2, 3}, F32: []float32{1, -2, 3.5, 0, 1e-3, 7}},
				"fc.bias":   {Shape: []int{3}, F64: []float64{0.1, -0.2, 1e300}},
				"step":      {Shape: []int{1}, I64: []int64{123456789012}},
			},
			Metadata: map[string]string{"format": "pt", "config": `{"lr": 0.1, "note": "<a&b>"}`},
		}},
		{"empty tensor and scalar", &File{Tensors: map[string]Tensor{
			"empty":  {Shape: []int{0, 4}, F32: []float32{}},
			"scalar": {Shape: []int{}, F64: []float64{2.5}},
			"loss":   {Shape: []int{}, I64: []int64{-1}},
		}}},
		{"extreme values", &File{Tensors: map[string]Tensor{
			"f32": {Shape: []int{6}, F32: []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)),
				float32(math.Copysign(0, -1)), math.SmallestNonzeroFloat32, math.MaxFloat32}},
			"f64": {Shape: []int{3}, F64: []float64{math.NaN(), math.Copysign(0, -1), math.SmallestNonzeroFloat64}},
			"i64": {Shape: []int{2}, I64: []int64{math.MinInt64, math.MaxInt64}},
		}}},
		{"odd names", &File{Tensors: map[string]Tensor{
			"":             {Shape: []int{1}, F32: []float32{1}},
			`quote"slash\`: {Shape: []int{1}, F32: []float32{2}},
			"ünï/cödé.☃":   {Shape: []int{1, 1, 1}, F32: []float32{3}},
		}}},
	} {
		b, err := Encode(test.f)
		if err != nil {
			t.Errorf("%s: Encode: %v", test.name, err)
			continue
		}
		got, err := Decode(test.name, b)
		if err != nil {
			t.Errorf("%s: Decode: %v", test.name, err)
			continue
		}
		if diff := fileDiff(got, test.f); diff != "" {
			t.Errorf("%s: round trip: %s", test.name, diff)
		}
	}
}

func TestEncodeLayout(t *testing.T) {
	f32s := func(v ...float32) []byte {
		b := make([]byte, 4*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
		}
		return b
	}
	for _, test := range []struct {
		name string
		f    *File
		want []byte
	}{
		{
			name: "header already aligned",
			f: &File{Tensors: map[string]Tensor{
				"attn.0": {Shape: []int{1, 2, 3}, F32: []float32{0, 1, 2, 3, 4, 5}},
			}},
			want: cat([]byte{64, 0, 0, 0, 0, 0, 0, 0},
				`{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}`,
				f32s(0, 1, 2, 3, 4, 5)),
		},
		{
			name: "header padded with 7 spaces",
			f: &File{Tensors: map[string]Tensor{
				"attn0": {Shape: []int{1, 1, 2, 3}, F32: []float32{0, 1, 2, 3, 4, 5}},
			}},
			want: cat([]byte{72, 0, 0, 0, 0, 0, 0, 0},
				`{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}`+"       ",
				f32s(0, 1, 2, 3, 4, 5)),
		},
		{
			name: "empty",
			f:    &File{},
			want: cat([]byte{8, 0, 0, 0, 0, 0, 0, 0}, "{}      "),
		},
		{
			name: "metadata only",
			f:    &File{Metadata: map[string]string{"framework": "pt"}},
			want: cat([]byte{40, 0, 0, 0, 0, 0, 0, 0}, `{"__metadata__":{"framework":"pt"}}`+"     "),
		},
		{
			// I64 goes first so that it starts 8-aligned; then F32 tensors by name.
			name: "mixed dtypes sorted by size then name",
			f: &File{
				Tensors: map[string]Tensor{
					"b": {Shape: []int{2}, F32: []float32{1, 2}},
					"a": {F32: []float32{0.5}},
					"c": {Shape: []int{1}, I64: []int64{-1}},
				},
				Metadata: map[string]string{"step": "7"},
			},
			want: cat([]byte{192, 0, 0, 0, 0, 0, 0, 0},
				`{"__metadata__":{"step":"7"},`+
					`"c":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},`+
					`"a":{"dtype":"F32","shape":[],"data_offsets":[8,12]},`+
					`"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}}`+"  ",
				[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
				f32s(0.5, 1, 2)),
		},
	} {
		got, err := Encode(test.f)
		if err != nil {
			t.Errorf("%s: Encode: %v", test.name, err)
			continue
		}
		if !bytes.Equal(got, test.want) {
			t.Errorf("%s: Encode:\ngot  %q\nwant %q", test.name, got, test.want)
		}
		if n := binary.LittleEndian.Uint64(got); (8+n)%8 != 0 {
			t.Errorf("%s: data section starts at %d, want a multiple of 8", test.name, 8+n)
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	for _, test := range []struct {
		name string
		f    *File
		want string
	}{
		{"nil file", nil, "nil *File"},
		{"no data", &File{Tensors: map[string]Tensor{"w": {Shape: []int{0}}}}, `tensor "w" must have exactly one`},
		{"two data slices", &File{Tensors: map[string]Tensor{"w": {Shape: []int{1}, F32: []float32{1}, I64: []int64{1}}}}, `tensor "w" must have exactly one`},
		{"shape mismatch", &File{Tensors: map[string]Tensor{"w": {Shape: []int{2, 2}, F32: []float32{1, 2, 3}}}}, `tensor "w" has shape [2 2] but 3 elements`},
		{"negative dim", &File{Tensors: map[string]Tensor{"w": {Shape: []int{-1}, F32: []float32{}}}}, "negative dimension"},
		{"reserved name", &File{Tensors: map[string]Tensor{"__metadata__": {F32: []float32{1}}}}, "reserved"},
		{"bad UTF-8 name", &File{Tensors: map[string]Tensor{"\xff": {F32: []float32{1}}}}, "not valid UTF-8"},
		{"bad UTF-8 metadata", &File{Metadata: map[string]string{"k": "\xff"}}, "not valid UTF-8"},
	} {
		_, err := Encode(test.f)
		if err == nil || !strings.Contains(err.Error(), test.want) {
			t.Errorf("%s: Encode error = %v, want one containing %q", test.name, err, test.want)
		}
	}
}

// cat joins byte slices and strings.
func cat(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch p := p.(type) {
		case string:
			b = append(b, p...)
		case []byte:
			b = append(b, p...)
		}
	}
	return b
}

// fileDiff describes the first difference between got and want, or returns "". Floats
// compare bit for bit so that NaN and -0 count; nil and empty maps and shapes are equal.
func fileDiff(got, want *File) string {
	if len(got.Metadata) != len(want.Metadata) {
		return fmt.Sprintf("got metadata %v, want %v", got.Metadata, want.Metadata)
	}
	for k, v := range want.Metadata {
		if got.Metadata[k] != v {
			return fmt.Sprintf("metadata %q: got %q, want %q", k, got.Metadata[k], v)
		}
	}
	if len(got.Tensors) != len(want.Tensors) {
		return fmt.Sprintf("got %d tensors, want %d", len(got.Tensors), len(want.Tensors))
	}
	for name, w := range want.Tensors {
		g, ok := got.Tensors[name]
		if !ok {
			return fmt.Sprintf("tensor %q missing", name)
		}
		if !sameTensor(g, w) {
			return fmt.Sprintf("tensor %q: got %+v, want %+v", name, g, w)
		}
	}
	return ""
}

// sameTensor reports whether a and b have equal shapes, dtypes and data bits.
func sameTensor(a, b Tensor) bool {
	if a.DType() != b.DType() || len(a.Shape) != len(b.Shape) || a.len() != b.len() {
		return false
	}
	for i := range a.Shape {
		if a.Shape[i] != b.Shape[i] {
			return false
		}
	}
	for i := range a.F32 {
		if math.Float32bits(a.F32[i]) != math.Float32bits(b.F32[i]) {
			return false
		}
	}
	for i := range a.F64 {
		if math.Float64bits(a.F64[i]) != math.Float64bits(b.F64[i]) {
			return false
		}
	}
	for i := range a.I64 {
		if a.I64[i] != b.I64[i] {
			return false
		}
	}
	return true
}
