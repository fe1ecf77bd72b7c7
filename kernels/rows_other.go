//go:build !amd64

package kernels

// Stand-ins for the AVX-512 row kernels of rows_amd64.s, which vectorMath never selects here.

func addAVX512(dst, x, y *float32, n int)       { panic("kernels: no AVX-512 here") }
func mulAVX512(dst, x, y *float32, n int)       { panic("kernels: no AVX-512 here") }
func addMulAVX512(dst, x, y, z *float32, n int) { panic("kernels: no AVX-512 here") }
func scaleAVX512(dst, src *float32, n int, a float32) {
	panic("kernels: no AVX-512 here")
}
func reluAVX512(dst, src *float32, n int)       { panic("kernels: no AVX-512 here") }
func reluGradAVX512(dst, dy, x *float32, n int) { panic("kernels: no AVX-512 here") }
func maxAVX512(x *float32, n int) float32       { panic("kernels: no AVX-512 here") }
func softmaxBackwardAVX512(dp, p *float32, n int, scale float32) {
	panic("kernels: no AVX-512 here")
}
func layerNormAVX512(out, x, w, b *float32, n int, eps float32) (mean, rstd float32) {
	panic("kernels: no AVX-512 here")
}
func layerNormGradAVX512(dx, x, w, dy *float32, n int, mean, rstd float32) {
	panic("kernels: no AVX-512 here")
}
func layerNormWeightGradAVX512(dw, x, dy *float32, n int, mean, rstd float32) {
	panic("kernels: no AVX-512 here")
}
