//go:build !amd64

package kernels

func available() []*impl { return []*impl{portable} }

// flexKernels are AVX-512 kernels: none here.
var flexKernels [2][12]flexKernel

// peakLoop: no assembly FMA loop here.
func peakLoop() func(int) { return nil }

func sigmoidAVX512(dst, src *float32, n int) { panic("kernels: no AVX-512 here") }
func tanhAVX512(dst, src *float32, n int)    { panic("kernels: no AVX-512 here") }

func expShiftedSumAVX512(dst, src *float32, n int, shift float32) float32 {
	panic("kernels: no AVX-512 here")
}

var hasTranspose8 = false

func transpose8AVX2(dst *float32, nr int, src *float32, ld int, blocks int) {
	panic("kernels: no AVX2 here")
}
