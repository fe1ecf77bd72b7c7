package checkpoint

// Tensor is one named array in row-major order.
//
// Exactly one of F32, F64 and I64 is set; an empty tensor still sets an empty, non-nil
// slice so that its dtype is known. Reading widens I32 and U8 tensors to I64, so a file
// read and written again stores them as I64.
type Tensor struct {
	Shape []int // nil or empty for a scalar
	F32   []float32
	F64   []float64
	I64   []int64
}

// DType returns the SafeTensors dtype of t, "F32", "F64" or "I64", or "" unless exactly
// one of the data slices is set.
func (t Tensor) DType() string {
	dtype, set := "", 0
	if t.F32 != nil {
		dtype, set = "F32", set+1
	}
	if t.F64 != nil {
		dtype, set = "F64", set+1
	}
	if t.I64 != nil {
		dtype, set = "I64", set+1
	}
	if set != 1 {
		return ""
	}
	return dtype
}

// len returns the number of elements in t's data slice.
func (t Tensor) len() int {
	return len(t.F32) + len(t.F64) + len(t.I64)
}

// File is the content of one SafeTensors file.
type File struct {
	Tensors  map[string]Tensor
	Metadata map[string]string // free-form; stored under the header key "__metadata__"
}

// metadataKey is the header key reserved for File.Metadata.
const metadataKey = "__metadata__"

// dtypeSize is the size in bytes of one element of each dtype that Decode accepts.
var dtypeSize = map[string]int64{"F32": 4, "F64": 8, "I64": 8, "I32": 4, "U8": 1}

// writeRank orders dtypes in the data section, largest first, as safetensors' own
// serializer does: every tensor then starts at a multiple of its element size, which
// loaders that view the file's bytes in place (torch, numpy) rely on.
var writeRank = map[string]int{"I64": 2, "F64": 1, "F32": 0}

// numElements returns the product of shape, whose dimensions are non-negative, or false
// if it would exceed limit.
func numElements(shape []int64, limit int64) (int64, bool) {
	n := int64(1)
	for _, d := range shape {
		if d == 0 {
			return 0, true
		}
	}
	for _, d := range shape {
		if d > limit/n {
			return 0, false
		}
		n *= d
	}
	return n, true
}
