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
	// cnn (batch 64): the convolutions run one product per example
	{name: "cnn-conv1-fwd-32x784x9", transB: true, m: 32, n: 784, k: 9},
	{name: "cnn-conv2-fwd-64x196x288", transB: true, m: 64, n: 196, k: 288},
	{name: "cnn-conv2-dw-64x288x196", m: 64, n: 288, k: 196},
	{name: "cnn-conv2-dx-196x288x64", transA: true, m: 196, n: 288, k: 64},
	{name: "cnn-fc1-fwd-64x128x3136", transB: true, m: 64, n: 128, k: 3136},
	{name: "cnn-fc1-dx-64x3136x128", m: 64, n: 3136, k: 128},
	{name: "cnn-fc1-dw-128x3136x64", transA: true, m: 128, n: 3136, k: 64},
	// lstm1/lstm2 (batch 64, hidden 128, 28 steps): each core takes half the batch
	{name: "lstm-recurrent-32x512x128", m: 32, n: 512, k: 128},
	{name: "lstm-recurrent-dh-32x128x512", transB: true, m: 32, n: 128, k: 512},
	{name: "lstm-input-896x512x28", m: 896, n: 512, k: 28},
	{name: "lstm2-input-896x512x128", m: 896, n: 512, k: 128},
	{name: "lstm-dwhh-256x128x1792", transB: true, m: 256, n: 128, k: 1792},
	// tfenc, seq2seq (batch 32, 32 tokens, d 64, 4 heads of 16, ff 256, vocab 1000)
	{name: "tf-qkv-fwd-1024x192x64", transB: true, m: 1024, n: 192, k: 64},
	{name: "tf-ff1-fwd-1024x256x64", transB: true, m: 1024, n: 256, k: 64},
	{name: "tf-ff2-dx-1024x64x256", m: 1024, n: 64, k: 256},
	{name: "tf-ff1-dw-256x64x1024", transA: true, m: 256, n: 64, k: 1024},
	{name: "tf-scores-32x32x16", transB: true, m: 32, n: 32, k: 16},
	{name: "tf-context-32x16x32", m: 32, n: 16, k: 32},
	{name: "tf-dv-32x16x32", transA: true, m: 32, n: 16, k: 32},
	{name: "s2s-logits-fwd-1024x1000x64", transB: true, m: 1024, n: 1000, k: 64},
	{name: "s2s-logits-dw-1000x64x1024", transA: true, m: 1000, n: 64, k: 1024},
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

// BenchmarkPeak measures one core's float32 FMA peak, the yardstick of the GFLOP/s above.
func BenchmarkPeak(b *testing.B) {
	loop := peakLoop()
	if loop == nil {
		b.Skip("no AVX-512 FMA loop on this CPU")
	}
	const iters = 1 << 16
	for i := 0; i < b.N; i++ {
		loop(iters)
	}
	b.ReportMetric(24*16*2*iters*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
