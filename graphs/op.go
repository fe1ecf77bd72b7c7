package graphs

import (
	"fmt"
	"hash"
	"hash/fnv"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/chewxy/hm"
	"github.com/gorgonet/gorgonet/kernels"
	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Gorgonia's stock Conv2d and Linear (Mul of a transpose) allocate every intermediate on
// every run: im2col buffers, transposes and matmul results, about 130 MB per training step
// of the reference CNN. The fused ops in this package keep their buffers in the op, made
// once per graph, and call the BLAS Gorgonia uses directly.

// opID makes every fused op instance hash differently, so that Gorgonia never merges two
// nodes that own separate buffers.
var opID atomic.Uint64

// fusedOp holds what every fused op shares: its identity for hashing and printing.
type fusedOp struct {
	id   uint64
	name string
}

func newFusedOp(name string) fusedOp { return fusedOp{id: opID.Add(1), name: name} }

func (o fusedOp) ReturnsPtr() bool      { return false }
func (o fusedOp) CallsExtern() bool     { return false }
func (o fusedOp) OverwritesInput() int  { return -1 }
func (o fusedOp) String() string        { return fmt.Sprintf("%s#%d", o.name, o.id) }
func (o fusedOp) WriteHash(h hash.Hash) { fmt.Fprint(h, o.String()) }
func (o fusedOp) Hashcode() uint32 {
	h := fnv.New32a()
	o.WriteHash(h)
	return h.Sum32()
}

// fnType is the type a → a → … → a of an op on n tensors of the given ranks, with the
// result of rank out.
func fnType(out int, in ...int) hm.Type {
	a := hm.TypeVariable('a')
	ts := make([]hm.Type, 0, len(in)+1)
	for _, d := range in {
		ts = append(ts, G.TensorType{Dims: d, Of: a})
	}
	return hm.NewFnType(append(ts, G.TensorType{Dims: out, Of: a})...)
}

// buffer is a tensor an op allocates once and returns from every run.
type buffer struct {
	once sync.Once
	t    *tensor.Dense
}

func (b *buffer) get(dt tensor.Dtype, shape tensor.Shape) *tensor.Dense {
	b.once.Do(func() { b.t = tensor.New(tensor.WithShape(shape.Clone()...), tensor.Of(dt)) })
	return b.t
}

// float is the element type of the fused ops' kernels.
type float interface{ float32 | float64 }

// gemm computes c = alpha·op(a)·op(b) + beta·c for row-major matrices with Gorgonia's
// BLAS, where op(a) is m×k and op(b) is k×n, on every core.
func gemm[T float](transA, transB bool, m, n, k int, alpha T, a []T, b []T, beta T, c []T) {
	lda, ldb := packedStrides(transA, transB, m, n, k)
	gemmOn(0, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, n)
}

// gemmSerial is gemm on one core, for the workers of parallel.
func gemmSerial[T float](transA, transB bool, m, n, k int, alpha T, a []T, b []T, beta T, c []T) {
	lda, ldb := packedStrides(transA, transB, m, n, k)
	gemmOn(1, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, n)
}

// packedStrides are the row strides of a and b stored without gaps.
func packedStrides(transA, transB bool, m, n, k int) (lda, ldb int) {
	lda, ldb = k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	return lda, ldb
}

// gemmLD is gemmSerial on sub-matrices: a, b and c have row strides lda, ldb and ldc.
func gemmLD[T float](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	gemmOn(1, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmOn multiplies with Gorgonia's BLAS; when that is this project's kernels (the default
// build), float32 products run on at most threads cores (0: all), so that a product inside
// one of parallel's workers does not wake the other cores again.
func gemmOn[T float](threads int, transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	ta, tb := blas.NoTrans, blas.NoTrans
	if transA {
		ta = blas.Trans
	}
	if transB {
		tb = blas.Trans
	}
	impl := G.WhichBLAS()
	switch c := any(c).(type) {
	case []float32:
		a, b := any(a).([]float32), any(b).([]float32)
		if kb, ok := impl.(kernels.BLAS); ok {
			if threads == 0 {
				threads = kb.Threads
			}
			kernels.SgemmThreads(threads, transA, transB, m, n, k, float32(alpha), a, lda, b, ldb, float32(beta), c, ldc)
			return
		}
		impl.Sgemm(ta, tb, m, n, k, float32(alpha), a, lda, b, ldb, float32(beta), c, ldc)
	case []float64:
		impl.Dgemm(ta, tb, m, n, k, float64(alpha), any(a).([]float64), lda, any(b).([]float64), ldb, float64(beta), c, ldc)
	}
}

// parallel runs fn over [0, n) split into at most workers contiguous chunks (worker w gets
// [lo, hi)) and waits for them. The caller runs chunk 0; the others go to the parked helper
// goroutines of chunkWorkers, or run on the caller when no helper is idle (a parallel call
// inside a chunk then cannot wait on helpers that wait on it).
func parallel(n, workers int, fn func(w, lo, hi int)) {
	workers = min(workers, n)
	if workers <= 1 {
		fn(0, 0, n)
		return
	}
	c := calls.Get().(*chunkCall)
	c.fn = fn
	for w := 1; w < workers; w++ {
		lo, hi := w*n/workers, (w+1)*n/workers
		c.wg.Add(1)
		select {
		case chunkWorkers <- chunk{c, w, lo, hi}:
		default:
			c.run(w, lo, hi)
		}
	}
	fn(0, 0, n/workers)
	c.wg.Wait()
	c.fn = nil
	calls.Put(c)
}

// chunkCall is one parallel call: its function and the chunks still running.
type chunkCall struct {
	fn func(w, lo, hi int)
	wg sync.WaitGroup
}

func (c *chunkCall) run(w, lo, hi int) {
	defer c.wg.Done()
	c.fn(w, lo, hi)
}

type chunk struct {
	c         *chunkCall
	w, lo, hi int
}

// calls are reused, so that a parallel call allocates nothing but its function's closure.
var calls = sync.Pool{New: func() any { return new(chunkCall) }}

// chunkWorkers hands chunks to the helpers, one fewer than the cores: unbuffered, so a send
// succeeds only when a helper is idle.
var chunkWorkers = startChunkWorkers(runtime.GOMAXPROCS(0) - 1)

func startChunkWorkers(n int) chan chunk {
	ch := make(chan chunk)
	for range n {
		go func() {
			for k := range ch {
				k.c.run(k.w, k.lo, k.hi)
			}
		}()
	}
	return ch
}

// defaultWorkers is how many goroutines a fused op splits a batch among.
func defaultWorkers() int { return runtime.GOMAXPROCS(0) }

// data is the element slice of v, a tensor of T. For a *tensor.Dense it reads the slice without
// Data()'s reflection, which allocates on every call: the fused ops call it several times per
// op and step.
func data[T float](v G.Value) []T {
	d, ok := v.(*tensor.Dense)
	if !ok || d.Dtype() != dtypeOf[T]() || d.IsScalar() {
		return v.Data().([]T)
	}
	return elements[T](d)
}

// elements is the element slice of d, whose dtype must be T's.
func elements[T float](d *tensor.Dense) []T {
	if d.Dtype() == tensor.Float32 {
		s := d.Float32s()
		return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
	}
	s := d.Float64s()
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// dtypeOf is the tensor element type of T.
func dtypeOf[T float]() tensor.Dtype {
	var zero T
	if _, ok := any(zero).(float32); ok {
		return tensor.Float32
	}
	return tensor.Float64
}
