package checkpoint

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"unicode/utf8"
)

// maxHeaderLen is the largest JSON header Decode accepts, the limit safetensors uses;
// a larger length prefix means a corrupt or foreign file, not a real header.
const maxHeaderLen = 100_000_000

// Decode parses and validates the SafeTensors file b. Errors are one sentence that names
// the file as name.
//
// Decode is as strict as the safetensors reader: tensors must cover the data section
// exactly, with no overlaps, gaps or trailing bytes. I32 and U8 tensors are widened to I64.
// The returned maps are never nil.
func Decode(name string, b []byte) (*File, error) {
	f, err := decode(b)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", name, err)
	}
	return f, nil
}

// entry is one validated tensor entry of a header.
type entry struct {
	name       string
	dtype      string
	shape      []int
	begin, end int64
}

// decode is Decode with errors that do not yet name the file.
func decode(b []byte) (*File, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("truncated: file is %d bytes, too short for the 8-byte header length", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > maxHeaderLen {
		return nil, fmt.Errorf("header length %d exceeds the %d-byte limit", n, maxHeaderLen)
	}
	if n > uint64(len(b)-8) {
		return nil, fmt.Errorf("truncated: header says %d bytes of JSON header, file has %d after the length", n, len(b)-8)
	}
	entries, meta, err := parseHeader(b[8 : 8+n])
	if err != nil {
		return nil, err
	}
	data := b[8+n:]
	if err := checkLayout(entries, int64(len(data))); err != nil {
		return nil, err
	}
	f := &File{Tensors: make(map[string]Tensor, len(entries)), Metadata: meta}
	for _, e := range entries {
		f.Tensors[e.name] = readData(e, data[e.begin:e.end])
	}
	return f, nil
}

// parseHeader parses and checks the JSON header, returning its tensor entries in header
// order and its metadata (empty if absent).
func parseHeader(h []byte) ([]entry, map[string]string, error) {
	if !utf8.Valid(h) {
		return nil, nil, errors.New("header is not valid UTF-8")
	}
	// Check the syntax of the whole header first, so that a cut or garbled header is
	// reported as such rather than as whichever entry the damage reached.
	var whole json.RawMessage
	if err := json.Unmarshal(h, &whole); err != nil {
		return nil, nil, fmt.Errorf("header is not valid JSON: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(whole))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, errors.New("header is not a JSON object")
	}
	var entries []entry
	meta := map[string]string{}
	seen := map[string]bool{}
	for dec.More() {
		key, raw, err := nextMember(dec)
		if err != nil {
			return nil, nil, err
		}
		if seen[key] {
			return nil, nil, fmt.Errorf("header lists %q twice", key)
		}
		seen[key] = true
		if key == metadataKey {
			if meta, err = parseMetadata(raw); err != nil {
				return nil, nil, err
			}
			continue
		}
		e, err := parseEntry(key, raw)
		if err != nil {
			return nil, nil, err
		}
		entries = append(entries, e)
	}
	return entries, meta, nil
}

// nextMember reads one key and its raw value from a JSON object whose syntax has been
// checked.
func nextMember(dec *json.Decoder) (string, json.RawMessage, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", nil, fmt.Errorf("header is not valid JSON: %v", err)
	}
	key, ok := tok.(string)
	if !ok {
		return "", nil, fmt.Errorf("header is not valid JSON: %v where a key should be", tok)
	}
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return "", nil, fmt.Errorf("header is not valid JSON: %v", err)
	}
	return key, raw, nil
}

// parseMetadata parses the "__metadata__" value, which must map strings to strings.
func parseMetadata(raw json.RawMessage) (map[string]string, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s is %s, want an object of strings", metadataKey, abbrev(raw))
	}
	meta := make(map[string]string, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		var s string
		if v := m[k]; len(v) == 0 || v[0] != '"' || json.Unmarshal(v, &s) != nil {
			return nil, fmt.Errorf("%s value of %q is %s, want a string", metadataKey, k, abbrev(v))
		}
		meta[k] = s
	}
	return meta, nil
}

// rawEntry is a tensor entry as written; nil fields were missing.
type rawEntry struct {
	DType       *string  `json:"dtype"`
	Shape       *[]int64 `json:"shape"`
	DataOffsets *[]int64 `json:"data_offsets"`
}

// parseEntry parses and checks the entry of tensor name on its own; checkLayout checks
// it against the others.
func parseEntry(name string, raw json.RawMessage) (entry, error) {
	var r rawEntry
	if err := json.Unmarshal(raw, &r); err != nil {
		return entry{}, fmt.Errorf("tensor %q has entry %s, want {\"dtype\", \"shape\", \"data_offsets\"}", name, abbrev(raw))
	}
	if r.DType == nil || r.Shape == nil || r.DataOffsets == nil {
		return entry{}, fmt.Errorf("tensor %q has entry %s, missing one of dtype, shape and data_offsets", name, abbrev(raw))
	}
	size, ok := dtypeSize[*r.DType]
	if !ok {
		return entry{}, fmt.Errorf("tensor %q has unknown dtype %q, want F32, F64, I64, I32 or U8", name, *r.DType)
	}
	shape, offs := *r.Shape, *r.DataOffsets
	if len(offs) != 2 || offs[0] < 0 || offs[1] < offs[0] {
		return entry{}, fmt.Errorf("tensor %q has data_offsets %v, want [begin, end] with 0 <= begin <= end", name, offs)
	}
	e := entry{name: name, dtype: *r.DType, shape: make([]int, len(shape)), begin: offs[0], end: offs[1]}
	for i, d := range shape {
		if d < 0 || int64(int(d)) != d {
			return entry{}, fmt.Errorf("tensor %q has invalid dimension %d in shape %v", name, d, shape)
		}
		e.shape[i] = int(d)
	}
	span := e.end - e.begin
	n, ok := numElements(shape, math.MaxInt64/size)
	if !ok {
		return entry{}, fmt.Errorf("tensor %q has shape %v, too large for any file", name, shape)
	}
	if n*size != span {
		return entry{}, fmt.Errorf("tensor %q of shape %v and dtype %s needs %d bytes, but its data_offsets %v hold %d", name, shape, e.dtype, n*size, offs, span)
	}
	return e, nil
}

// checkLayout checks that entries tile a data section of dataLen bytes exactly.
func checkLayout(entries []entry, dataLen int64) error {
	sorted := append([]entry(nil), entries...)
	sort.Slice(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if a.begin != b.begin {
			return a.begin < b.begin
		}
		if a.end != b.end {
			return a.end < b.end
		}
		return a.name < b.name
	})
	var pos int64
	var prev string
	for _, e := range sorted {
		if e.begin < pos {
			return fmt.Errorf("tensors %q and %q overlap in the data section", prev, e.name)
		}
		if e.begin > pos {
			return fmt.Errorf("data section bytes %d to %d, before tensor %q, belong to no tensor", pos, e.begin, e.name)
		}
		pos, prev = e.end, e.name
	}
	if pos > dataLen {
		return fmt.Errorf("truncated: header says %d bytes of tensor data, file has %d", pos, dataLen)
	}
	if pos < dataLen {
		return fmt.Errorf("%d trailing bytes: header says %d bytes of tensor data, file has %d", dataLen-pos, pos, dataLen)
	}
	return nil
}

// readData converts the little-endian bytes b of e to a Tensor.
func readData(e entry, b []byte) Tensor {
	le := binary.LittleEndian
	t := Tensor{Shape: e.shape}
	switch e.dtype {
	case "F32":
		t.F32 = make([]float32, len(b)/4)
		for i := range t.F32 {
			t.F32[i] = math.Float32frombits(le.Uint32(b[4*i:]))
		}
	case "F64":
		t.F64 = make([]float64, len(b)/8)
		for i := range t.F64 {
			t.F64[i] = math.Float64frombits(le.Uint64(b[8*i:]))
		}
	case "I64":
		t.I64 = make([]int64, len(b)/8)
		for i := range t.I64 {
			t.I64[i] = int64(le.Uint64(b[8*i:]))
		}
	case "I32":
		t.I64 = make([]int64, len(b)/4)
		for i := range t.I64 {
			t.I64[i] = int64(int32(le.Uint32(b[4*i:])))
		}
	case "U8":
		t.I64 = make([]int64, len(b))
		for i, v := range b {
			t.I64[i] = int64(v)
		}
	}
	return t
}

// abbrev quotes JSON text for an error message, cut short if long.
func abbrev(raw []byte) string {
	const max = 40
	if len(raw) > max {
		return string(raw[:max]) + "..."
	}
	return string(raw)
}
