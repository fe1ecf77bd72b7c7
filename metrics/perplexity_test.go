package metrics

import (
	"math"
	"testing"
)

func TestPerplexityAndBits(t *testing.T) {
	tests := []struct {
		nll, wantPPL, wantBits float64
	}{
		{0, 1, 0},
		{math.Ln2, 2, 1},        // one bit per token: perplexity 2
		{math.Log(256), 256, 8}, // a uniform guess over 256 bytes
		{math.Log(50257), 50257, math.Log2(50257)}, // uniform over GPT-2's vocabulary, ≈ 15.617 bits
	}
	for _, tt := range tests {
		if got := Perplexity(tt.nll); math.Abs(got-tt.wantPPL) > 1e-9*tt.wantPPL {
			t.Errorf("Perplexity(%v) = %v, want %v", tt.nll, got, tt.wantPPL)
		}
		if got := BitsPerToken(tt.nll); math.Abs(got-tt.wantBits) > 1e-12*max(1, tt.wantBits) {
			t.Errorf("BitsPerToken(%v) = %v, want %v", tt.nll, got, tt.wantBits)
		}
	}
}
