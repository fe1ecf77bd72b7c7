package kernels

// The AVX-512 Adam step of adam_amd64.s (see Adam); n > 0.

//go:noescape
func adamAVX512(p, grad, m, v *float32, n int, a AdamScalars)
