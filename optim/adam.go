package optim

import (
	"math"

	"github.com/gorgonet/gorgonet/kernels"
)

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
	sc := kernels.AdamScalars{
		NegStepSize:   float32(-lr / bias1),
		Beta1:         float32(c.Beta1),
		OneMinusBeta1: float32(1 - c.Beta1),
		Beta2:         float32(c.Beta2),
		OneMinusBeta2: float32(1 - c.Beta2),
		Bias2Sqrt:     bias2Sqrt,
		Eps:           float32(c.Eps),
		Decay:         1,
	}
	if o.decoupled {
		sc.Decay = float32(1 - lr*c.WeightDecay)
	} else {
		sc.L2 = float32(c.WeightDecay)
	}
	// kernels.Adam runs 16 values at a time on AVX-512, with float32 fused multiply-adds
	// where the portable path rounds them through float64 (1 ulp apart in rare ties), and
	// shares a long parameter (the CNN's 401k-value fc1 weight) with a second core.
	for i, p := range params {
		kernels.Adam(p.Value, p.Grad, o.expAvg[i], o.expAvgSq[i], sc)
	}
}

func (o *adam) State() State { return o.state.state() }

func (o *adam) SetState(s State) error { return o.state.setState(o.cfg.Name, s) }
