package kernels

import "math"

// AdamScalars are the constants of one Adam or AdamW step (torch.optim.Adam and AdamW without
// amsgrad), in float32 as the update uses them. The caller computes them, in float64 as
// PyTorch does in Python, then rounds each to float32:
//
//	Beta1, OneMinusBeta1 = β₁, 1 − β₁
//	Beta2, OneMinusBeta2 = β₂, 1 − β₂
//	Bias2Sqrt            = √(1 − β₂ᵗ)
//	NegStepSize          = −lr/(1 − β₁ᵗ)
//	Eps                  = ε
//	L2                   = the weight decay added to the gradient (Adam); 0 for none
//	Decay                = 1 − lr·wd, the factor p shrinks by first (AdamW); 1 for none
type AdamScalars struct {
	Beta1, OneMinusBeta1 float32
	Beta2, OneMinusBeta2 float32
	Bias2Sqrt            float32
	NegStepSize          float32
	Eps                  float32
	L2                   float32
	Decay                float32
}

// Adam takes one Adam step for the parameter p with gradient g and the moment buffers m
// (exp_avg) and v (exp_avg_sq), all of one length, updating p, m and v in place. For each j:
//
//	grad = g[j];  if L2 ≠ 0 { grad = fma(L2, p[j], grad) }
//	x    = p[j]·Decay
//	m[j] = fma(OneMinusBeta1, grad, m[j]·Beta1)
//	v[j] = fma(OneMinusBeta2·grad, grad, v[j]·Beta2)
//	p[j] = x + NegStepSize·m[j] / (√v[j]/Bias2Sqrt + Eps)
//
// with every other operation a float32 one, rounded in that order. On AVX-512 (vectorMath)
// fma is the float32 fused multiply-add, rounded once; on the portable path (elsewhere, and
// under GORGONET_SGEMM=portable) it is float32(float64(a)·float64(b) + float64(c)): the
// product is exact in float64, so the sum is rounded twice, to float64 then float32. The
// two agree except where the float64 sum lands exactly halfway between two float32 values
// that the exact sum is not (the odds are about 2⁻²⁹ per fma), where they differ by 1 ulp.
// The square root and the other operations round the same on both paths. So where one
// fma differs, m (or v) differs by 1 ulp between the paths, and p by at most 1 ulp of p
// plus 4 ulp of the update NegStepSize·m[j]/denom (TestAdamPaths checks this).
//
// Nothing past the slices' length is read or written, and Adam allocates nothing.
func Adam(p, g, m, v []float32, a AdamScalars) {
	sameLen("Adam", len(p), len(g), len(m), len(v))
	adam(vectorMath(), p, g, m, v, a)
}

// adam is Adam on this goroutine, on AVX-512 if vec.
func adam(vec bool, p, g, m, v []float32, a AdamScalars) {
	if len(p) == 0 {
		return
	}
	if vec {
		adamAVX512(&p[0], &g[0], &m[0], &v[0], len(p), a)
		return
	}
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for j, x := range p {
		grad := g[j]
		if a.L2 != 0 {
			grad = fma64(a.L2, x, grad)
		}
		x *= a.Decay
		m[j] = fma64(a.OneMinusBeta1, grad, m[j]*a.Beta1)
		v[j] = fma64(a.OneMinusBeta2*grad, grad, v[j]*a.Beta2)
		denom := float32(math.Sqrt(float64(v[j])))/a.Bias2Sqrt + a.Eps
		p[j] = x + a.NegStepSize*m[j]/denom
	}
}

// fma64 is a·b + c for float32 values in float64: the product is exact, the sum rounded to
// float64 and then to float32. (The float64 square root rounded to float32 is float32's
// correctly rounded one, but this double rounding is not always the fused one's.)
func fma64(a, b, c float32) float32 { return float32(float64(a)*float64(b) + float64(c)) }
