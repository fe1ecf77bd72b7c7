package kernels

import "golang.org/x/sys/cpu"

// kernelAVX2 is the AVX2 micro-kernel of sgemm_amd64.s: a 6×16 tile from packed panels.
// (AVX-512 runs the flex kernels of flex_amd64.go on every tile.)
//
//go:noescape
func kernelAVX2(kc int, a, b, c *float32, ldc int, alpha, beta float32, load int)

// Blocking: the A micro-panel (mr×kc) stays in L1 and the packed B block (kc×nc, 768 KB) in
// a core's 1 MB L2. AVX2 packs A in blocks of mc×kc (for the shared L3); AVX-512 reads A in
// place, so its mc is unused.
var (
	avx512 = &impl{name: "avx512", mr: 12, nr: 32, kc: 384, nc: 512, flex: true}
	avx2   = &impl{name: "avx2", mr: 6, nr: 16, kc: 384, nc: 512, mc: 1536, kernel: asmKernel(kernelAVX2)}
)

func asmKernel(f func(int, *float32, *float32, *float32, int, float32, float32, int)) microKernel {
	return func(kc int, a, b, c []float32, ldc int, alpha, beta float32, load bool) {
		l := 0
		if load {
			l = 1
		}
		f(kc, &a[0], &b[0], &c[0], ldc, alpha, beta, l)
	}
}

// available lists the implementations this CPU runs, fastest first.
func available() []*impl {
	var out []*impl
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL {
		out = append(out, avx512)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		out = append(out, avx2)
	}
	return append(out, portable)
}

// fmaLoop runs n iterations of 24 independent AVX-512 FMAs: BenchmarkPeak measures the
// core's float32 peak with it.
//
//go:noescape
func fmaLoop(n int)

// peakLoop is fmaLoop where AVX-512 runs, else nil.
func peakLoop() func(int) {
	if cpu.X86.HasAVX512F {
		return fmaLoop
	}
	return nil
}

// The element-wise kernels of activation_amd64.s.
//
//go:noescape
func sigmoidAVX512(dst, src *float32, n int)

//go:noescape
func tanhAVX512(dst, src *float32, n int)

//go:noescape
func expShiftedSumAVX512(dst, src *float32, n int, shift float32) float32

// transpose8AVX2 is the 8×8-block transpose of transpose_amd64.s (see transpose8).
//
//go:noescape
func transpose8AVX2(dst *float32, nr int, src *float32, ld int, blocks int)

// hasTranspose8 reports whether transpose8AVX2 runs here.
var hasTranspose8 = cpu.X86.HasAVX2
