package checkpoint

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"unicode/utf8"
)

// headerAlign is the alignment of the data section within the file; safetensors pads
// the header to it so that 8-byte elements can be read in place.
const headerAlign = 8

// Encode returns f in the SafeTensors format.
//
// Tensors are stored back to back with no gaps, I64 first, then F64, then F32, each group
// in name order; this is the layout safetensors' own save_file produces, and it keeps
// every tensor aligned to its element size. The header lists "__metadata__" first, then
// the tensors in data order, and is padded with spaces to a multiple of 8 bytes.
func Encode(f *File) ([]byte, error) {
	b, err := encode(f)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	return b, nil
}

// encode is Encode with errors that do not yet name the checkpoint.
func encode(f *File) ([]byte, error) {
	if f == nil {
		return nil, errors.New("cannot encode a nil *File")
	}
	names, err := layoutOrder(f.Tensors)
	if err != nil {
		return nil, err
	}
	header, dataLen, err := encodeHeader(f, names)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 8+len(header)+dataLen)
	binary.LittleEndian.PutUint64(b, uint64(len(header)))
	copy(b[8:], header)
	data := b[8+len(header):]
	for _, name := range names {
		data = putData(data, f.Tensors[name])
	}
	return b, nil
}

// layoutOrder validates tensors and returns their names in data-section order.
func layoutOrder(tensors map[string]Tensor) ([]string, error) {
	names := make([]string, 0, len(tensors))
	for name, t := range tensors {
		if err := validateTensor(name, t); err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		ri, rj := writeRank[tensors[names[i]].DType()], writeRank[tensors[names[j]].DType()]
		if ri != rj {
			return ri > rj
		}
		return names[i] < names[j]
	})
	return names, nil
}

// validateTensor reports why t cannot be written under name, if it cannot.
func validateTensor(name string, t Tensor) error {
	switch {
	case name == metadataKey:
		return fmt.Errorf("tensor name %q is reserved for metadata", name)
	case !utf8.ValidString(name):
		return fmt.Errorf("tensor name %q is not valid UTF-8", name)
	case t.DType() == "":
		return fmt.Errorf("tensor %q must have exactly one of F32, F64 and I64 set", name)
	}
	shape := make([]int64, len(t.Shape))
	for i, d := range t.Shape {
		if d < 0 {
			return fmt.Errorf("tensor %q has negative dimension %d in shape %v", name, d, t.Shape)
		}
		shape[i] = int64(d)
	}
	if n, ok := numElements(shape, math.MaxInt64); !ok || n != int64(t.len()) {
		return fmt.Errorf("tensor %q has shape %v but %d elements", name, t.Shape, t.len())
	}
	return nil
}

// headerEntry is one tensor's entry in the JSON header, with fields in the order
// safetensors writes them.
type headerEntry struct {
	DType       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// encodeHeader returns the padded JSON header for f's tensors laid out in names order,
// and the size of the data section it describes.
func encodeHeader(f *File, names []string) (header []byte, dataLen int, err error) {
	var h bytes.Buffer
	h.WriteByte('{')
	if len(f.Metadata) > 0 {
		for k, v := range f.Metadata {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return nil, 0, fmt.Errorf("metadata entry %q: %q is not valid UTF-8", k, v)
			}
		}
		writeJSON(&h, metadataKey)
		h.WriteByte(':')
		writeJSON(&h, f.Metadata) // maps marshal with sorted keys
	}
	var offset int64
	for i, name := range names {
		if i > 0 || len(f.Metadata) > 0 {
			h.WriteByte(',')
		}
		t := f.Tensors[name]
		shape := t.Shape
		if shape == nil {
			shape = []int{} // a scalar's shape is [], never null
		}
		end := offset + int64(t.len())*dtypeSize[t.DType()]
		writeJSON(&h, name)
		h.WriteByte(':')
		writeJSON(&h, headerEntry{DType: t.DType(), Shape: shape, DataOffsets: [2]int64{offset, end}})
		offset = end
	}
	h.WriteByte('}')
	for h.Len()%headerAlign != 0 {
		h.WriteByte(' ')
	}
	return h.Bytes(), int(offset), nil
}

// writeJSON appends v to h as JSON. It leaves <, > and & unescaped, as Python does;
// v is always a string, a string map or a headerEntry, which cannot fail to marshal.
func writeJSON(h *bytes.Buffer, v any) {
	enc := json.NewEncoder(h)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("checkpoint: marshal %T: %v", v, err))
	}
	h.Truncate(h.Len() - 1) // Encode appends a newline
}

// putData writes t's elements little-endian at the start of data and returns the rest.
func putData(data []byte, t Tensor) []byte {
	le := binary.LittleEndian
	for i, v := range t.F32 {
		le.PutUint32(data[4*i:], math.Float32bits(v))
	}
	for i, v := range t.F64 {
		le.PutUint64(data[8*i:], math.Float64bits(v))
	}
	for i, v := range t.I64 {
		le.PutUint64(data[8*i:], uint64(v))
	}
	return data[int64(t.len())*dtypeSize[t.DType()]:]
}
