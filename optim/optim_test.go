package optim

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// testConfigs covers every optimizer code path.
var testConfigs = map[string]Config{
	"sgd":             {Name: "sgd", LR: 0.1},
	"sgd_momentum_wd": {Name: "sgd", LR: 0.1, Momentum: 0.9, WeightDecay: 1e-2},
	"sgd_nesterov":    {Name: "sgd", LR: 0.1, Momentum: 0.9, Nesterov: true},
	"adam_wd":         {Name: "adam", LR: 0.01, WeightDecay: 0.1},
	"adamw":           {Name: "adamw", LR: 0.01, WeightDecay: 0.01},
}

// setGrads loads the golden gradients of step into params.
func setGrads(g *golden, params []Param, step int) {
	for i, p := range params {
		copy(p.Grad, g.Grads[step][i])
	}
}

func TestStateRoundTrip(t *testing.T) {
	g := loadGolden(t)
	lrs := []float64{0.1, 0.05, 0.08, 0.02, 0.1, 0.03}
	for name, cfg := range testConfigs {
		t.Run(name, func(t *testing.T) {
			straight := goldenParams(g)
			opt, err := New(cfg, straight)
			if err != nil {
				t.Fatal(err)
			}
			for step, lr := range lrs {
				setGrads(g, straight, step)
				opt.Step(straight, lr)
			}

			resumed := goldenParams(g)
			first, err := New(cfg, resumed)
			if err != nil {
				t.Fatal(err)
			}
			for step, lr := range lrs[:3] {
				setGrads(g, resumed, step)
				first.Step(resumed, lr)
			}
			saved := first.State()
			if saved.Steps != 3 {
				t.Errorf("State().Steps = %d, want 3", saved.Steps)
			}
			second, err := New(cfg, resumed)
			if err != nil {
				t.Fatal(err)
			}
			if err := second.SetState(saved); err != nil {
				t.Fatal(err)
			}
			for key := range saved.Buffers {
				clear(saved.Buffers[key]) // SetState must have copied
			}
			for step := 3; step < len(lrs); step++ {
				setGrads(g, resumed, step)
				second.Step(resumed, lrs[step])
			}

			for i := range straight {
				if !slices.Equal(resumed[i].Value, straight[i].Value) {
					t.Errorf("%s: resumed %v, want %v", straight[i].Name, resumed[i].Value, straight[i].Value)
				}
			}
			got, want := second.State(), opt.State()
			if got.Steps != want.Steps {
				t.Errorf("Steps = %d, want %d", got.Steps, want.Steps)
			}
			for key, w := range want.Buffers {
				if !slices.Equal(got.Buffers[key], w) {
					t.Errorf("%s = %v, want %v", key, got.Buffers[key], w)
				}
			}
		})
	}
}

func TestStateIsACopy(t *testing.T) {
	g := loadGolden(t)
	params := goldenParams(g)
	opt, err := New(Config{Name: "adam", LR: 0.1}, params)
	if err != nil {
		t.Fatal(err)
	}
	setGrads(g, params, 0)
	opt.Step(params, 0.1)
	s := opt.State()
	s.Buffers["exp_avg/fc.bias"][1] = 1e9
	if got := opt.State().Buffers["exp_avg/fc.bias"][1]; got == 1e9 {
		t.Error("changing the State() result changed the optimizer")
	}
}

func TestStateKeys(t *testing.T) {
	g := loadGolden(t)
	tests := []struct {
		cfg  Config
		want []string
	}{
		{Config{Name: "sgd", LR: 1}, nil},
		{Config{Name: "sgd", LR: 1, Momentum: 0.5}, []string{"momentum_buffer/fc.bias", "momentum_buffer/fc.weight"}},
		{Config{Name: "adam", LR: 1}, []string{"exp_avg/fc.bias", "exp_avg/fc.weight", "exp_avg_sq/fc.bias", "exp_avg_sq/fc.weight"}},
		{Config{Name: "adamw", LR: 1}, []string{"exp_avg/fc.bias", "exp_avg/fc.weight", "exp_avg_sq/fc.bias", "exp_avg_sq/fc.weight"}},
	}
	for _, tt := range tests {
		opt, err := New(tt.cfg, goldenParams(g))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for key := range opt.State().Buffers {
			got = append(got, key)
		}
		slices.Sort(got)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%+v: State keys %v, want %v", tt.cfg, got, tt.want)
		}
	}
}

func TestSetStateRejects(t *testing.T) {
	g := loadGolden(t)
	params := goldenParams(g)
	opt, err := New(Config{Name: "adam", LR: 0.1}, params)
	if err != nil {
		t.Fatal(err)
	}
	setGrads(g, params, 0)
	opt.Step(params, 0.1)
	good := opt.State()
	tests := []struct {
		name   string
		change func(s *State)
		want   string
	}{
		{"missing", func(s *State) { delete(s.Buffers, "exp_avg_sq/fc.weight") }, "missing exp_avg_sq/fc.weight"},
		{"short", func(s *State) { s.Buffers["exp_avg/fc.bias"] = make([]float32, 4) }, "exp_avg/fc.bias has 4 values, want 5"},
		{"unexpected", func(s *State) { s.Buffers["momentum_buffer/fc.bias"] = make([]float32, 5) }, "unexpected momentum_buffer/fc.bias"},
		{"renamed param", func(s *State) {
			s.Buffers["exp_avg/conv.bias"] = s.Buffers["exp_avg/fc.bias"]
			delete(s.Buffers, "exp_avg/fc.bias")
		}, "missing exp_avg/fc.bias; unexpected exp_avg/conv.bias"},
		{"negative steps", func(s *State) { s.Steps = -1 }, "steps is -1, want >= 0"},
		{"empty", func(s *State) { s.Buffers = nil }, "missing exp_avg/fc.weight"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := State{Steps: good.Steps, Buffers: make(map[string][]float32)}
			for k, v := range good.Buffers {
				bad.Buffers[k] = make([]float32, len(v)) // zeros, to see a partial write
			}
			tt.change(&bad)
			err := opt.SetState(bad)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("SetState error = %v, want it to contain %q", err, tt.want)
			}
			after := opt.State()
			for k, v := range good.Buffers {
				if !slices.Equal(after.Buffers[k], v) {
					t.Errorf("failed SetState changed %s", k)
				}
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string // substring of the error; "" means valid
	}{
		{Config{Name: "sgd", LR: 0.1}, ""},
		{Config{Name: "sgd", LR: 0.1, Momentum: 0.9, Nesterov: true, WeightDecay: 1e-4}, ""},
		{Config{Name: "adam", LR: 1e-3}, ""},
		{Config{Name: "adamw", LR: 1e-3, Beta1: 0.8, Beta2: 0.95, Eps: 1e-6, WeightDecay: 0.01}, ""},
		{Config{Name: "rmsprop", LR: 0.1}, `train.optimizer.name must be one of sgd, adam, adamw, got "rmsprop"`},
		{Config{LR: 0.1}, `train.optimizer.name must be one of sgd, adam, adamw, got ""`},
		{Config{Name: "sgd", LR: -1}, "train.optimizer.lr must be > 0 and finite, got -1"},
		{Config{Name: "adam"}, "train.optimizer.lr must be > 0 and finite, got 0"},
		{Config{Name: "adam", LR: math.NaN()}, "train.optimizer.lr must be > 0 and finite, got NaN"},
		{Config{Name: "adam", LR: math.Inf(1)}, "train.optimizer.lr must be > 0 and finite, got +Inf"},
		{Config{Name: "sgd", LR: 0.1, Momentum: 1}, "train.optimizer.momentum must be in [0, 1), got 1"},
		{Config{Name: "sgd", LR: 0.1, Momentum: -0.1}, "train.optimizer.momentum must be in [0, 1), got -0.1"},
		{Config{Name: "sgd", LR: 0.1, Nesterov: true}, "train.optimizer.nesterov needs train.optimizer.momentum > 0"},
		{Config{Name: "sgd", LR: 0.1, Beta2: 0.9}, "train.optimizer.beta2 is not used by sgd, got 0.9"},
		{Config{Name: "adam", LR: 0.1, Momentum: 0.9}, "train.optimizer.momentum is not used by adam"},
		{Config{Name: "adamw", LR: 0.1, Nesterov: true}, "train.optimizer.nesterov is not used by adamw"},
		{Config{Name: "adam", LR: 0.1, Beta1: 1}, "train.optimizer.beta1 must be in [0, 1), got 1"},
		{Config{Name: "adam", LR: 0.1, Beta2: -0.5}, "train.optimizer.beta2 must be in [0, 1), got -0.5"},
		{Config{Name: "adam", LR: 0.1, Eps: -1e-8}, "train.optimizer.eps must be >= 0 and finite, got -1e-08"},
		{Config{Name: "adamw", LR: 0.1, WeightDecay: -0.01}, "train.optimizer.weight_decay must be >= 0 and finite, got -0.01"},
		{Config{Name: "sgd", LR: -1, Momentum: 2}, "train.optimizer.lr must be > 0 and finite, got -1\ntrain.optimizer.momentum must be in [0, 1), got 2"},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%+v: Validate() = %v, want nil", tt.cfg, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%+v: Validate() = %v, want it to contain %q", tt.cfg, err, tt.want)
		}
	}
}

func TestNewRejects(t *testing.T) {
	cfg := Config{Name: "sgd", LR: 0.1, Momentum: 0.9}
	tests := []struct {
		name   string
		cfg    Config
		params []Param
		want   string
	}{
		{"bad config", Config{Name: "sgd"}, []Param{{Name: "w", Value: make([]float32, 2)}}, "train.optimizer.lr"},
		{"no params", cfg, nil, "no parameters"},
		{"unnamed", cfg, []Param{{Value: make([]float32, 2)}}, "parameter 0 has no name"},
		{"duplicate", cfg, []Param{{Name: "w", Value: make([]float32, 2)}, {Name: "w", Value: make([]float32, 3)}}, `duplicate parameter name "w"`},
	}
	for _, tt := range tests {
		_, err := New(tt.cfg, tt.params)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: New error = %v, want it to contain %q", tt.name, err, tt.want)
		}
	}
}

func TestStepPanicsOnOtherParams(t *testing.T) {
	params := []Param{{Name: "w", Value: make([]float32, 3), Grad: make([]float32, 3)}}
	opt, err := New(Config{Name: "adam", LR: 0.1}, params)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		params []Param
		want   string
	}{
		{"fewer", nil, "Step got 0 params, the optimizer was created with 1"},
		{"renamed", []Param{{Name: "v", Value: make([]float32, 3), Grad: make([]float32, 3)}}, `param 0 is "v"`},
		{"short grad", []Param{{Name: "w", Value: make([]float32, 3), Grad: make([]float32, 2)}}, "2 gradients"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, tt.want) {
					t.Errorf("panic %q, want it to contain %q", msg, tt.want)
				}
			}()
			opt.Step(tt.params, 0.1)
		})
	}
}

func TestAdamDefaults(t *testing.T) {
	g := loadGolden(t)
	implicit, explicit := goldenParams(g), goldenParams(g)
	a, err := New(Config{Name: "adamw", LR: 0.1}, implicit)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(Config{Name: "adamw", LR: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, explicit)
	if err != nil {
		t.Fatal(err)
	}
	for step := range g.Grads {
		setGrads(g, implicit, step)
		setGrads(g, explicit, step)
		a.Step(implicit, 0.1)
		b.Step(explicit, 0.1)
	}
	for i := range implicit {
		if !slices.Equal(implicit[i].Value, explicit[i].Value) {
			t.Errorf("%s: zero config %v, explicit defaults %v", implicit[i].Name, implicit[i].Value, explicit[i].Value)
		}
	}
}

func TestStepDoesNotAllocate(t *testing.T) {
	for name, cfg := range testConfigs {
		params := []Param{
			{Name: "w", Value: make([]float32, 64), Grad: make([]float32, 64)},
			{Name: "b", Value: make([]float32, 8), Grad: make([]float32, 8)},
		}
		for i := range params[0].Grad {
			params[0].Grad[i] = float32(i) / 64
		}
		opt, err := New(cfg, params)
		if err != nil {
			t.Fatal(err)
		}
		if allocs := testing.AllocsPerRun(10, func() { opt.Step(params, 0.01) }); allocs != 0 {
			t.Errorf("%s: Step allocates %v times per call, want 0", name, allocs)
		}
	}
}

func BenchmarkAdamStep(b *testing.B) {
	const n = 1 << 20
	params := []Param{{Name: "w", Value: make([]float32, n), Grad: make([]float32, n)}}
	for i := range params[0].Grad {
		params[0].Grad[i] = float32(i%7) - 3
	}
	opt, err := New(Config{Name: "adamw", LR: 1e-3, WeightDecay: 0.01}, params)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(n * 4)
	for b.Loop() {
		opt.Step(params, 1e-3)
	}
}
