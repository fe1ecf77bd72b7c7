//go:build !amd64

package kernels

// A stand-in for the AVX-512 Adam step of adam_amd64.s, which vectorMath never selects here.

func adamAVX512(p, grad, m, v *float32, n int, a AdamScalars) { panic("kernels: no AVX-512 here") }
