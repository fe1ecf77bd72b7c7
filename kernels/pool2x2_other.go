//go:build !amd64

package kernels

// A stand-in for the AVX-512 kernel of pool2x2_amd64.s, which vectorMath never selects here.

func maxPool2x2AVX512(out *float32, argmax *int32, x *float32, planes, inH, inW int, base int32, relu bool) {
	panic("kernels: no AVX-512 here")
}
