package optim

import (
	"math"
	"slices"
	"testing"
)

// gradsOf returns params holding copies of grads.
func gradsOf(grads ...[]float32) []Param {
	params := make([]Param, len(grads))
	for i, g := range grads {
		params[i] = Param{Name: "p", Grad: slices.Clone(g)}
	}
	return params
}

func TestClipGlobalNorm(t *testing.T) {
	grads := [][]float32{{3, 0}, {0, 4}} // global norm 5
	tests := []struct {
		name    string
		maxNorm float64
		scale   float64 // expected factor applied to the gradients
	}{
		{"only norm", 0, 1},
		{"negative max only norm", -1, 1},
		{"under", 10, 1},
		{"at max", 5, 5 / (5 + 1e-6)}, // like PyTorch: the 1e-6 makes the factor just below 1
		{"over", 1, 1 / (5 + 1e-6)},
	}
	for _, tt := range tests {
		params := gradsOf(grads...)
		if got := ClipGlobalNorm(params, tt.maxNorm); got != 5 {
			t.Errorf("%s: norm = %v, want 5", tt.name, got)
		}
		for i, p := range params {
			for j, g := range p.Grad {
				if want := float32(float64(grads[i][j]) * tt.scale); math.Abs(float64(g-want)) > 1e-6 {
					t.Errorf("%s: grad[%d][%d] = %v, want %v", tt.name, i, j, g, want)
				}
			}
		}
	}
}

func TestClipGlobalNormAfterClipping(t *testing.T) {
	params := gradsOf([]float32{1, -2, 3}, nil, []float32{-4, 5})
	ClipGlobalNorm(params, 0.5)
	if got := ClipGlobalNorm(params, 0); math.Abs(got-0.5) > 1e-6 {
		t.Errorf("norm after clipping to 0.5 = %v", got)
	}
}

func TestClipGlobalNormNonFinite(t *testing.T) {
	params := gradsOf([]float32{1, float32(math.Inf(1))})
	if got := ClipGlobalNorm(params, 1); !math.IsInf(got, 1) {
		t.Errorf("norm = %v, want +Inf", got)
	}
	if params[0].Grad[0] != 1 {
		t.Errorf("gradients changed by a non-finite norm: %v", params[0].Grad)
	}
}

func TestClipGlobalNormDoesNotAllocate(t *testing.T) {
	params := gradsOf([]float32{1, 2, 3}, []float32{4})
	if allocs := testing.AllocsPerRun(10, func() { ClipGlobalNorm(params, 1) }); allocs != 0 {
		t.Errorf("ClipGlobalNorm allocates %v times per call, want 0", allocs)
	}
}
