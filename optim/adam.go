package optim

import "math"

// adam is torch.optim.Adam (decoupled false: weight decay is L2 added to the
// gradient) and torch.optim.AdamW (decoupled true: p *= 1 - lr*wd before the update),
// both without amsgrad.
type adam struct {
	cfg       Config
	decoupled bool
	state     buffers
	expAvg    [][]float32
	expAvgSq  [][]float32
}

func (o *adam) Step(params []Param, lr float64) {
	o.state.check(params)
	o.state.steps++
	// Scalars are computed in float64 as PyTorch does in Python, then used as float32.
	t := float64(o.state.steps)
	c := o.cfg
	bias1 := 1 - math.Pow(c.Beta1, t)
	bias2Sqrt := float32(math.Sqrt(1 - math.Pow(c.Beta2, t)))
	var (
		negStepSize = float32(-lr / bias1)
		beta1       = float32(c.Beta1)
		oneMinusB1  = float32(1 - c.Beta1)
		beta2       = float32(c.Beta2)
		oneMinusB2  = float32(1 - c.Beta2)
		eps         = float32(c.Eps)
		l2          = float32(0)
		decay       = float32(1)
	)
	if o.decoupled {
		decay = float32(1 - lr*c.WeightDecay)
	} else {
		l2 = float32(c.WeightDecay)
	}
	for i, p := range params {
		m, v, g := o.expAvg[i], o.expAvgSq[i], p.Grad
		for j, x := range p.Value {
			grad := g[j]
			if l2 != 0 {
				grad = fma32(l2, x, grad)
			}
			x *= decay
			m[j] = fma32(oneMinusB1, grad, m[j]*beta1)
			v[j] = fma32(oneMinusB2*grad, grad, v[j]*beta2)
			denom := float32(math.Sqrt(float64(v[j])))/bias2Sqrt + eps
			p.Value[j] = x + negStepSize*m[j]/denom
		}
	}
}

func (o *adam) State() State { return o.state.state() }

func (o *adam) SetState(s State) error { return o.state.setState(o.cfg.Name, s) }
