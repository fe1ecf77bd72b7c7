package optim

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// golden is testdata/golden.json, written by testdata/gen_golden.py from PyTorch 1.13.
type golden struct {
	Params []struct {
		Name  string    `json:"name"`
		Value []float32 `json:"value"`
	} `json:"params"`
	Grads      [][][]float32 `json:"grads"` // (step, param, value)
	Optimizers []struct {
		Name        string               `json:"name"`
		Config      goldenConfig         `json:"config"`
		Schedule    goldenSchedule       `json:"schedule"`
		ClipMaxNorm float64              `json:"clip_max_norm"`
		LRs         []float64            `json:"lrs"`
		GradNorms   []float64            `json:"grad_norms"`
		Values      [][][]float32        `json:"values"` // (step, param, value) after each step
		State       map[string][]float32 `json:"state"`
	} `json:"optimizers"`
	Schedules []struct {
		Name       string         `json:"name"`
		Schedule   goldenSchedule `json:"schedule"`
		BaseLR     float64        `json:"base_lr"`
		TotalSteps int            `json:"total_steps"`
		LRs        []float64      `json:"lrs"`
	} `json:"schedules"`
	Clip []struct {
		Name    string      `json:"name"`
		MaxNorm float64     `json:"max_norm"`
		Grads   [][]float32 `json:"grads"`
		Norm    float64     `json:"norm"`
		Clipped [][]float32 `json:"clipped"`
	} `json:"clip"`
}

type goldenConfig struct {
	Name        string  `json:"name"`
	LR          float64 `json:"lr"`
	Momentum    float64 `json:"momentum"`
	Nesterov    bool    `json:"nesterov"`
	Beta1       float64 `json:"beta1"`
	Beta2       float64 `json:"beta2"`
	Eps         float64 `json:"eps"`
	WeightDecay float64 `json:"weight_decay"`
}

func (c goldenConfig) config() Config { return Config(c) }

type goldenSchedule struct {
	Name        string  `json:"name"`
	WarmupSteps int     `json:"warmup_steps"`
	StepSize    int     `json:"step_size"`
	Gamma       float64 `json:"gamma"`
	MinLR       float64 `json:"min_lr"`
}

func (s goldenSchedule) config() ScheduleConfig { return ScheduleConfig(s) }

func loadGolden(t *testing.T) *golden {
	t.Helper()
	data, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatalf("testdata/golden.json: %v", err)
	}
	return &g
}

// goldenParams returns fresh copies of the golden initial parameters with zero gradients.
func goldenParams(g *golden) []Param {
	params := make([]Param, len(g.Params))
	for i, p := range g.Params {
		params[i] = Param{
			Name:  p.Name,
			Value: append([]float32(nil), p.Value...),
			Grad:  make([]float32, len(p.Value)),
		}
	}
	return params
}

// closeTo reports whether got is within 1e-6 relative (1e-7 absolute near zero) of want.
func closeTo(got, want float64) bool {
	return math.Abs(got-want) <= 1e-6*math.Abs(want)+1e-7
}

func TestGoldenOptimizers(t *testing.T) {
	g := loadGolden(t)
	for _, c := range g.Optimizers {
		t.Run(c.Name, func(t *testing.T) {
			params := goldenParams(g)
			opt, err := New(c.Config.config(), params)
			if err != nil {
				t.Fatal(err)
			}
			sched, err := NewSchedule(c.Schedule.config(), c.Config.LR, len(c.LRs))
			if err != nil {
				t.Fatal(err)
			}
			for step, lr := range c.LRs {
				if got := sched.LR(step); math.Abs(got-lr) > 1e-12*lr {
					t.Errorf("step %d: schedule LR = %v, want %v", step, got, lr)
				}
				for i, p := range params {
					copy(p.Grad, g.Grads[step][i])
				}
				if c.ClipMaxNorm > 0 {
					norm := ClipGlobalNorm(params, c.ClipMaxNorm)
					if !closeTo(norm, c.GradNorms[step]) {
						t.Errorf("step %d: grad norm = %v, want %v", step, norm, c.GradNorms[step])
					}
				}
				opt.Step(params, lr)
				for i, p := range params {
					compare(t, "step", step, p.Name, p.Value, c.Values[step][i])
				}
			}
			st := opt.State()
			if st.Steps != len(c.LRs) {
				t.Errorf("State().Steps = %d, want %d", st.Steps, len(c.LRs))
			}
			if len(st.Buffers) != len(c.State) {
				t.Errorf("State() has %d buffers, want %d", len(st.Buffers), len(c.State))
			}
			for key, want := range c.State {
				compare(t, "state", len(c.LRs), key, st.Buffers[key], want)
			}
		})
	}
}

func compare(t *testing.T, what string, step int, name string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s %d %s: %d values, want %d", what, step, name, len(got), len(want))
	}
	for j := range got {
		if !closeTo(float64(got[j]), float64(want[j])) {
			t.Errorf("%s %d %s[%d] = %v, want %v", what, step, name, j, got[j], want[j])
		}
	}
}

func TestGoldenSchedules(t *testing.T) {
	g := loadGolden(t)
	for _, c := range g.Schedules {
		t.Run(c.Name, func(t *testing.T) {
			sched, err := NewSchedule(c.Schedule.config(), c.BaseLR, c.TotalSteps)
			if err != nil {
				t.Fatal(err)
			}
			for step, want := range c.LRs {
				if got := sched.LR(step); math.Abs(got-want) > 1e-12*c.BaseLR {
					t.Errorf("LR(%d) = %v, want %v", step, got, want)
				}
			}
		})
	}
}

func TestGoldenClip(t *testing.T) {
	g := loadGolden(t)
	for _, c := range g.Clip {
		t.Run(c.Name, func(t *testing.T) {
			params := make([]Param, len(c.Grads))
			for i, grad := range c.Grads {
				params[i] = Param{Name: "p", Grad: append([]float32(nil), grad...)}
			}
			if got := ClipGlobalNorm(params, c.MaxNorm); !closeTo(got, c.Norm) {
				t.Errorf("norm = %v, want %v", got, c.Norm)
			}
			for i, p := range params {
				compare(t, "clip", 0, "grad", p.Grad, c.Clipped[i])
			}
		})
	}
}
