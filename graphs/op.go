package graphs

import (
	"fmt"
	"hash"
	"hash/fnv"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/chewxy/hm"
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
// BLAS, where op(a) is m×k and op(b) is k×n.
func gemm[T float](transA, transB bool, m, n, k int, alpha T, a []T, b []T, beta T, c []T) {
	ta, tb := blas.NoTrans, blas.NoTrans
	lda, ldb := k, n
	if transA {
		ta, lda = blas.Trans, m
	}
	if transB {
		tb, ldb = blas.Trans, k
	}
	switch c := any(c).(type) {
	case []float32:
		G.WhichBLAS().Sgemm(ta, tb, m, n, k, float32(alpha), any(a).([]float32), lda, any(b).([]float32), ldb, float32(beta), c, n)
	case []float64:
		G.WhichBLAS().Dgemm(ta, tb, m, n, k, float64(alpha), any(a).([]float64), lda, any(b).([]float64), ldb, float64(beta), c, n)
	}
}

// parallel runs fn over [0, n) split into at most workers contiguous chunks (worker w gets
// [lo, hi)) and waits for them.
func parallel(n, workers int, fn func(w, lo, hi int)) {
	workers = min(workers, n)
	if workers <= 1 {
		fn(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*n/workers, (w+1)*n/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(w, lo, hi)
		}()
	}
	wg.Wait()
}

// defaultWorkers is how many goroutines a fused op splits a batch among.
func defaultWorkers() int { return runtime.GOMAXPROCS(0) }

func data[T float](v G.Value) []T { return v.Data().([]T) }

// dtypeOf is the tensor element type of T.
func dtypeOf[T float]() tensor.Dtype {
	var zero T
	if _, ok := any(zero).(float32); ok {
		return tensor.Float32
	}
	return tensor.Float64
}
