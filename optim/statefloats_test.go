package optim

import "testing"

func TestStateFloats(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want int
	}{
		{Config{Name: "sgd", LR: 0.1}, 0},
		{Config{Name: "sgd", LR: 0.1, Momentum: 0.9}, 1},
		{Config{Name: "adam", LR: 1e-3}, 2},
		{Config{Name: "adamw", LR: 1e-3, WeightDecay: 0.01}, 2},
	} {
		got, err := StateFloats(tc.cfg)
		if err != nil || got != tc.want {
			t.Errorf("StateFloats(%+v) = %d, %v; want %d", tc.cfg, got, err, tc.want)
		}
	}
	if _, err := StateFloats(Config{Name: "lion", LR: 1}); err == nil {
		t.Error("StateFloats accepted an unknown optimizer")
	}
}
