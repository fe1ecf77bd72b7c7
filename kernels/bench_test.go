package kernels

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// benchShape is one product of the benchmark, named as BLAS does: m×n×k.
type benchShape struct {
	name           string
	transA, transB bool
	m, n, k        int
}

// benchShapes are square products and the products of the training steps of
// train/bench_test.go, found by profiling each step (BENCHMARKS.md lists which layer each
// comes from).
var benchShapes = []benchShape{
	{name: "256x256x256", m: 256, n: 256, k: 256},
	{name: "1024x1024x1024", m: 1024, n: 1024, k: 1024},
	{name: "2048x2048x2048", m: 2048, n: 2048, k: 2048},
}

// sgemmFunc is one implementation under test, on a given number of threads.
type sgemmFunc func(threads int, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

// benchImpls are the implementations compared; openblas.go adds OpenBLAS under -tags openblas.
var benchImpls = []struct {
	name string
	fn   sgemmFunc
}{
	{"kernels", SgemmThreads},
	{"gonum", gonumSgemm},
}

// gonumSgemm runs gonum's SGEMM, which splits large products over GOMAXPROCS goroutines.
func gonumSgemm(threads int, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
	gonum.Implementation{}.Sgemm(trans(tA), trans(tB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func trans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

func BenchmarkSgemm(b *testing.B) {
	for _, im := range benchImpls {
		for _, threads := range []int{1, 2} {
			for _, s := range benchShapes {
				b.Run(fmt.Sprintf("%s/%dt/%s", im.name, threads, s.name), func(b *testing.B) {
					benchSgemm(b, im.fn, threads, s)
				})
			}
		}
	}
}

func benchSgemm(b *testing.B, fn sgemmFunc, threads int, s benchShape) {
	rng := rand.New(rand.NewPCG(1, 1))
	fill := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		return x
	}
	lda, ldb := s.k, s.n
	if s.transA {
		lda = s.m
	}
	if s.transB {
		ldb = s.k
	}
	a, bm, c := fill(s.m*s.k), fill(s.k*s.n), fill(s.m*s.n)
	fn(threads, s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n) // warm-up
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fn(threads, s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n)
	}
	b.ReportMetric(2*float64(s.m)*float64(s.n)*float64(s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
