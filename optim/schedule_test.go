package optim

import (
	"math"
	"strings"
	"testing"
)

func TestScheduleBoundaries(t *testing.T) {
	tests := []struct {
		name  string
		cfg   ScheduleConfig
		total int
		step  int
		want  float64
	}{
		{"constant", ScheduleConfig{Name: "constant"}, 10, 0, 0.4},
		{"constant negative step", ScheduleConfig{Name: "constant", WarmupSteps: 4}, 10, -3, 0.1},
		{"constant last", ScheduleConfig{Name: "constant"}, 10, 9, 0.4},
		{"constant past total", ScheduleConfig{Name: "constant"}, 10, 1000, 0.4},
		{"warmup first", ScheduleConfig{Name: "constant", WarmupSteps: 4}, 10, 0, 0.1},
		{"warmup last", ScheduleConfig{Name: "constant", WarmupSteps: 4}, 10, 3, 0.4},
		{"after warmup", ScheduleConfig{Name: "constant", WarmupSteps: 4}, 10, 4, 0.4},
		{"warmup 1", ScheduleConfig{Name: "constant", WarmupSteps: 1}, 10, 0, 0.4},
		{"step before first drop", ScheduleConfig{Name: "step", StepSize: 3, Gamma: 0.5}, 10, 2, 0.4},
		{"step first drop", ScheduleConfig{Name: "step", StepSize: 3, Gamma: 0.5}, 10, 3, 0.2},
		{"step second drop", ScheduleConfig{Name: "step", StepSize: 3, Gamma: 0.5}, 10, 6, 0.1},
		{"step in warmup", ScheduleConfig{Name: "step", WarmupSteps: 2, StepSize: 3, Gamma: 0.5}, 10, 1, 0.4},
		{"step counts after warmup", ScheduleConfig{Name: "step", WarmupSteps: 2, StepSize: 3, Gamma: 0.5}, 10, 4, 0.4},
		{"step drop after warmup", ScheduleConfig{Name: "step", WarmupSteps: 2, StepSize: 3, Gamma: 0.5}, 10, 5, 0.2},
		{"cosine start", ScheduleConfig{Name: "cosine", MinLR: 0.1}, 10, 0, 0.4},
		{"cosine middle", ScheduleConfig{Name: "cosine", MinLR: 0.1}, 10, 5, 0.25},
		{"cosine last step", ScheduleConfig{Name: "cosine", MinLR: 0.1}, 10, 9, 0.1 + 0.3*0.5*(1+math.Cos(math.Pi*0.9))},
		{"cosine at total", ScheduleConfig{Name: "cosine", MinLR: 0.1}, 10, 10, 0.1},
		{"cosine past total", ScheduleConfig{Name: "cosine", MinLR: 0.1}, 10, 50, 0.1},
		{"cosine warmup last", ScheduleConfig{Name: "cosine", WarmupSteps: 2}, 10, 1, 0.4},
		{"cosine after warmup", ScheduleConfig{Name: "cosine", WarmupSteps: 2}, 10, 2, 0.4},
		{"cosine middle after warmup", ScheduleConfig{Name: "cosine", WarmupSteps: 2}, 10, 6, 0.2},
		{"cosine one step", ScheduleConfig{Name: "cosine"}, 1, 0, 0.4},
	}
	for _, tt := range tests {
		s, err := NewSchedule(tt.cfg, 0.4, tt.total)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := s.LR(tt.step); math.Abs(got-tt.want) > 1e-15 {
			t.Errorf("%s: LR(%d) = %v, want %v", tt.name, tt.step, got, tt.want)
		}
	}
}

func TestScheduleConfigValidate(t *testing.T) {
	tests := []struct {
		cfg  ScheduleConfig
		want string // substring of the error; "" means valid
	}{
		{ScheduleConfig{Name: "constant"}, ""},
		{ScheduleConfig{Name: "constant", WarmupSteps: 100}, ""},
		{ScheduleConfig{Name: "step", StepSize: 10, Gamma: 0.1}, ""},
		{ScheduleConfig{Name: "cosine", WarmupSteps: 5, MinLR: 1e-5}, ""},
		{ScheduleConfig{Name: "linear"}, `train.schedule.name must be one of constant, step, cosine, got "linear"`},
		{ScheduleConfig{}, `train.schedule.name must be one of constant, step, cosine, got ""`},
		{ScheduleConfig{Name: "constant", WarmupSteps: -1}, "train.schedule.warmup_steps must be >= 0, got -1"},
		{ScheduleConfig{Name: "step", Gamma: 0.1}, "train.schedule.step_size must be > 0, got 0"},
		{ScheduleConfig{Name: "step", StepSize: 10}, "train.schedule.gamma must be > 0 and finite, got 0"},
		{ScheduleConfig{Name: "step", StepSize: 10, Gamma: math.NaN()}, "train.schedule.gamma must be > 0 and finite, got NaN"},
		{ScheduleConfig{Name: "cosine", MinLR: -1}, "train.schedule.min_lr must be >= 0 and finite, got -1"},
		{ScheduleConfig{Name: "constant", Gamma: 0.5}, "train.schedule.gamma is only used by the step schedule, got 0.5"},
		{ScheduleConfig{Name: "cosine", StepSize: 3}, "train.schedule.step_size is only used by the step schedule, got 3"},
		{ScheduleConfig{Name: "step", StepSize: 1, Gamma: 1, MinLR: 0.1}, "train.schedule.min_lr is only used by the cosine schedule, got 0.1"},
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

// A run shorter than its warmup stays on the warmup ramp and never divides by zero.
func TestCosineShorterThanWarmup(t *testing.T) {
	s, err := NewSchedule(ScheduleConfig{Name: "cosine", WarmupSteps: 10}, 0.1, 4)
	if err != nil {
		t.Fatal(err)
	}
	for step, want := range []float64{0.01, 0.02, 0.03, 0.04} {
		if got := s.LR(step); math.Abs(got-want) > 1e-12 {
			t.Errorf("LR(%d) = %v, want %v", step, got, want)
		}
	}
	if got := s.LR(10); got != 0 {
		t.Errorf("LR past the end = %v, want min_lr 0", got)
	}
}

func TestNewScheduleRejects(t *testing.T) {
	tests := []struct {
		cfg    ScheduleConfig
		baseLR float64
		total  int
		want   string
	}{
		{ScheduleConfig{Name: "step"}, 0.1, 10, "train.schedule.step_size"},
		{ScheduleConfig{Name: "constant"}, 0, 10, "train.optimizer.lr must be > 0 and finite, got 0"},
		{ScheduleConfig{Name: "cosine", MinLR: 0.2}, 0.1, 10, "train.schedule.min_lr (0.2) must be <= train.optimizer.lr (0.1)"},
	}
	for _, tt := range tests {
		_, err := NewSchedule(tt.cfg, tt.baseLR, tt.total)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewSchedule(%+v, %v, %d) error = %v, want it to contain %q", tt.cfg, tt.baseLR, tt.total, err, tt.want)
		}
	}
}
