package kernels

// The AVX-512 row kernels of rows_amd64.s (see rows.go); n > 0.

//go:noescape
func addAVX512(dst, x, y *float32, n int)

//go:noescape
func mulAVX512(dst, x, y *float32, n int)

//go:noescape
func addMulAVX512(dst, x, y, z *float32, n int)

//go:noescape
func scaleAVX512(dst, src *float32, n int, a float32)

//go:noescape
func reluAVX512(dst, src *float32, n int)

//go:noescape
func reluGradAVX512(dst, dy, x *float32, n int)

//go:noescape
func maxAVX512(x *float32, n int) float32

//go:noescape
func softmaxBackwardAVX512(dp, p *float32, n int, scale float32)

//go:noescape
func layerNormAVX512(out, x, w, b *float32, n int, eps float32) (mean, rstd float32)

//go:noescape
func layerNormGradAVX512(dx, x, w, dy *float32, n int, mean, rstd float32)

//go:noescape
func layerNormWeightGradAVX512(dw, x, dy *float32, n int, mean, rstd float32)
