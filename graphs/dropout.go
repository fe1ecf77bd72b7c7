package graphs

import (
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// DropoutMask is the input node that a dropout layer multiplies by. It is filled before each
// training step with 0 (drop, probability P) or 1/(1−P) (keep), so the expected activation is
// unchanged and evaluation needs no rescaling. Gorgonia's own Dropout op is not used: its
// gradient divides by P instead of 1−P.
type DropoutMask struct {
	Node *G.Node
	P    float64
}

// Dropout zeroes elements of x with probability p while training and is the identity
// otherwise (and for p = 0).
func Dropout(s *Scope, x *G.Node, p float64) *G.Node {
	if !s.training || p == 0 {
		return x
	}
	name := s.qualify("dropout_mask")
	mask := G.NewTensor(s.g, s.dtype, x.Dims(), G.WithShape(x.Shape().Clone()...), G.WithName(name),
		G.WithValue(tensor.New(tensor.WithShape(x.Shape().Clone()...), tensor.Of(s.dtype))))
	s.state.masks = append(s.state.masks, &DropoutMask{Node: mask, P: p})
	return must(G.HadamardProd(x, mask))
}

// Resample draws a new mask from r.
func (m *DropoutMask) Resample(r *rand.Rand) {
	keep := 1 / (1 - m.P)
	switch data := m.Node.Value().Data().(type) {
	case []float32:
		for i := range data {
			data[i] = 0
			if r.Float64() >= m.P {
				data[i] = float32(keep)
			}
		}
	case []float64:
		for i := range data {
			data[i] = 0
			if r.Float64() >= m.P {
				data[i] = keep
			}
		}
	}
}
