package checkpoint

import (
	"encoding/binary"
	"strings"
	"testing"
)

// rawFile assembles a file from a header exactly as given, unpadded, and data.
func rawFile(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), data...)
}

// corruptFile is a file Decode must refuse, with the text its error must contain.
type corruptFile struct {
	name string
	b    []byte
	want string
}

// corruptFiles are the damaged and hostile files of TestDecodeCorrupt; the interoperability
// test checks that the reference Go reader refuses them too.
func corruptFiles() []corruptFile {
	oneF32 := `{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`
	return []corruptFile{
		{"empty file", nil, "truncated: file is 0 bytes"},
		{"truncated header length", []byte{8, 0, 0}, "truncated: file is 3 bytes"},
		{"header length beyond file", binary.LittleEndian.AppendUint64(nil, 100), "truncated: header says 100 bytes of JSON header, file has 0"},
		{"absurd header length", binary.LittleEndian.AppendUint64(nil, 1<<40), "header length 1099511627776 exceeds"},
		{"bad JSON", rawFile(`{"w":{"dtype":`, nil), "header is not valid JSON"},
		{"JSON cut short", rawFile(`{"w":{}`, nil), "header is not valid JSON"},
		{"header not an object", rawFile(`[1,2]`, nil), "header is not a JSON object"},
		{"empty header", rawFile(``, nil), "header is not valid JSON"},
		{"junk after header", rawFile(`{} {}`, nil), "header is not valid JSON"},
		{"header not UTF-8", rawFile("{\"\xff\":{}}", nil), "not valid UTF-8"},
		{"duplicate tensor", rawFile(`{"w":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[],"data_offsets":[4,8]}}`, make([]byte, 8)), `header lists "w" twice`},
		{"entry not an object", rawFile(`{"w":5}`, nil), `tensor "w" has entry 5`},
		{"missing shape", rawFile(`{"w":{"dtype":"F32","data_offsets":[0,4]}}`, make([]byte, 4)), `tensor "w" has entry {"dtype":"F32","data_offsets":[0,4]}, missing`},
		{"unknown dtype", rawFile(`{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, make([]byte, 4)), `tensor "w" has unknown dtype "F16"`},
		{"negative dimension", rawFile(`{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, make([]byte, 8)), `tensor "w" has invalid dimension -2`},
		{"fractional dimension", rawFile(`{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,8]}}`, make([]byte, 8)), `tensor "w" has entry`},
		{"one offset", rawFile(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[8]}}`, make([]byte, 8)), `tensor "w" has data_offsets [8]`},
		{"begin after end", rawFile(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}`, make([]byte, 8)), `tensor "w" has data_offsets [8 0]`},
		{"offsets out of range", rawFile(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, make([]byte, 8)), `data section bytes 0 to 4, before tensor "w", belong to no tensor`},
		{"offsets past the data", rawFile(`{"v":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}`, make([]byte, 8)), "truncated: header says 16 bytes of tensor data, file has 8"},
		{"size mismatch with shape", rawFile(`{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, make([]byte, 8)), `tensor "w" of shape [3] and dtype F32 needs 12 bytes, but its data_offsets [0 8] hold 8`},
		{"shape overflows", rawFile(`{"w":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}}`, make([]byte, 8)), `tensor "w" has shape [4294967296 4294967296], too large for any file`},
		{"overlapping offsets", rawFile(`{"v":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, make([]byte, 12)), `tensors "v" and "w" overlap`},
		{"gap between tensors", rawFile(`{"v":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[],"data_offsets":[8,12]}}`, make([]byte, 12)), `data section bytes 4 to 8, before tensor "w", belong to no tensor`},
		{"trailing bytes", rawFile(oneF32, make([]byte, 10)), "2 trailing bytes: header says 8 bytes of tensor data, file has 10"},
		{"truncated data", rawFile(oneF32, make([]byte, 5)), "truncated: header says 8 bytes of tensor data, file has 5"},
		{"metadata not an object", rawFile(`{"__metadata__":"pt"}`, nil), `__metadata__ is "pt", want an object of strings`},
		{"metadata value not a string", rawFile(`{"__metadata__":{"step":7}}`, nil), `__metadata__ value of "step" is 7, want a string`},
		{"metadata value null", rawFile(`{"__metadata__":{"step":null}}`, nil), `__metadata__ value of "step" is null`},
	}
}

func TestDecodeCorrupt(t *testing.T) {
	const name = "runs/x/last.safetensors"
	for _, test := range corruptFiles() {
		_, err := Decode(name, test.b)
		if err == nil {
			t.Errorf("%s: Decode succeeded, want an error containing %q", test.name, test.want)
			continue
		}
		if got, prefix := err.Error(), "checkpoint "+name+": "; !strings.HasPrefix(got, prefix) || !strings.Contains(got, test.want) {
			t.Errorf("%s: Decode error = %q, want %q followed by text containing %q", test.name, got, prefix, test.want)
		}
	}
}

func TestDecodeForeignLayouts(t *testing.T) {
	for _, test := range []struct {
		name string
		b    []byte
		want *File
	}{
		{
			name: "I32 and U8 widen to I64",
			b: rawFile(`{"i":{"dtype":"I32","shape":[2],"data_offsets":[0,8]},"u":{"dtype":"U8","shape":[2],"data_offsets":[8,10]}}`,
				[]byte{0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 255, 7}),
			want: &File{Tensors: map[string]Tensor{
				"i": {Shape: []int{2}, I64: []int64{-1, 2}},
				"u": {Shape: []int{2}, I64: []int64{255, 7}},
			}},
		},
		{
			// Other writers may order entries and data freely and skip the padding.
			name: "unpadded header, data in reverse name order",
			b: rawFile(`{"b":{"dtype":"F64","shape":[],"data_offsets":[0,8]},"__metadata__":{"k":"v"},"a":{"dtype":"I64","shape":[1,1],"data_offsets":[8,16]}}`,
				[]byte{0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 3, 0, 0, 0, 0, 0, 0, 0}),
			want: &File{
				Tensors: map[string]Tensor{
					"a": {Shape: []int{1, 1}, I64: []int64{3}},
					"b": {Shape: []int{}, F64: []float64{1}},
				},
				Metadata: map[string]string{"k": "v"},
			},
		},
		{
			name: "zero-size tensors share an offset",
			b:    rawFile(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"U8","shape":[2,0],"data_offsets":[0,0]},"__metadata__":null}`, nil),
			want: &File{Tensors: map[string]Tensor{
				"a": {Shape: []int{0}, F32: []float32{}},
				"b": {Shape: []int{2, 0}, I64: []int64{}},
			}},
		},
	} {
		got, err := Decode(test.name, test.b)
		if err != nil {
			t.Errorf("%s: Decode: %v", test.name, err)
			continue
		}
		if diff := fileDiff(got, test.want); diff != "" {
			t.Errorf("%s: %s", test.name, diff)
		}
		if got.Tensors == nil || got.Metadata == nil {
			t.Errorf("%s: Decode returned nil maps: Tensors %v, Metadata %v", test.name, got.Tensors, got.Metadata)
		}
	}
}
