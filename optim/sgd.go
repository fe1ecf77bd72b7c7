package optim

// sgd is torch.optim.SGD with dampening 0: with momentum the first step seeds the
// buffer with the gradient, later steps do buf = momentum*buf + grad.
type sgd struct {
	cfg      Config
	state    buffers
	momentum [][]float32 // nil without momentum
}

func (o *sgd) Step(params []Param, lr float64) {
	o.state.check(params)
	var (
		negLR    = float32(-lr)
		wd       = float32(o.cfg.WeightDecay)
		mom      = float32(o.cfg.Momentum)
		first    = o.state.steps == 0
		nesterov = o.cfg.Nesterov
	)
	for i, p := range params {
		var buf []float32
		if o.momentum != nil {
			buf = o.momentum[i]
		}
		g := p.Grad
		for j, v := range p.Value {
			d := g[j]
			if wd != 0 {
				d = fma32(wd, v, d)
			}
			if buf != nil {
				if first {
					buf[j] = d
				} else {
					buf[j] = float32(buf[j]*mom) + d // the conversion stops Go fusing; PyTorch rounds the mul_
				}
				if nesterov {
					d = fma32(mom, buf[j], d)
				} else {
					d = buf[j]
				}
			}
			p.Value[j] = fma32(negLR, d, v)
		}
	}
	o.state.steps++
}

func (o *sgd) State() State { return o.state.state() }

func (o *sgd) SetState(s State) error { return o.state.setState("sgd", s) }
