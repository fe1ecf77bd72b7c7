package optim

import "math"

// ClipGlobalNorm returns the L2 norm of all gradients taken together and, when maxNorm > 0,
// scales them in place by maxNorm/(norm+1e-6) if that factor is below 1, as
// torch.nn.utils.clip_grad_norm_ does. The norm is accumulated in float64. A non-finite
// norm leaves the gradients untouched; callers should check it and skip the step.
func ClipGlobalNorm(params []Param, maxNorm float64) float64 {
	var sumSq float64
	for _, p := range params {
		for _, g := range p.Grad {
			sumSq += float64(g) * float64(g)
		}
	}
	norm := math.Sqrt(sumSq)
	if !(maxNorm > 0) || math.IsInf(norm, 0) || math.IsNaN(norm) {
		return norm
	}
	coef := maxNorm / (norm + 1e-6)
	if coef >= 1 {
		return norm
	}
	scale := float32(coef)
	for _, p := range params {
		for j := range p.Grad {
			p.Grad[j] *= scale
		}
	}
	return norm
}
