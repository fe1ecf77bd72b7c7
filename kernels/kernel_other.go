//go:build !amd64

package kernels

func available() []*impl { return []*impl{portable} }

// flexKernels are AVX-512 kernels: none here.
var flexKernels [2][12]flexKernel

// peakLoop: no assembly FMA loop here.
func peakLoop() func(int) { return nil }
