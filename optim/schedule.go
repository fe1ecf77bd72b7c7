package optim

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Schedule gives the learning rate for each optimizer step, counted from 0.
type Schedule interface {
	LR(step int) float64
}

// ScheduleConfig selects a learning-rate schedule; it is decoded from train.schedule.
// Every schedule starts with WarmupSteps of linear warmup: lr*(step+1)/WarmupSteps.
type ScheduleConfig struct {
	Name        string  // "constant" | "step" | "cosine"
	WarmupSteps int     // linear warmup steps; 0 means none
	StepSize    int     // "step": multiply the lr by Gamma every StepSize steps after warmup
	Gamma       float64 // "step"
	MinLR       float64 // "cosine": lr decays from the base lr to MinLR over the steps after warmup
}

// Schedule names known to NewSchedule, in the order listed in error messages.
var scheduleNames = []string{"constant", "step", "cosine"}

// Validate reports every bad field of c, naming it by its config key.
func (c ScheduleConfig) Validate() error {
	const prefix = "train.schedule."
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf(prefix+key+" "+format, args...))
	}
	switch c.Name {
	case "constant", "step", "cosine":
	default:
		bad("name", "must be one of %s, got %q", strings.Join(scheduleNames, ", "), c.Name)
		return errors.Join(errs...)
	}
	if c.WarmupSteps < 0 {
		bad("warmup_steps", "must be >= 0, got %d", c.WarmupSteps)
	}
	if c.Name == "step" {
		if c.StepSize <= 0 {
			bad("step_size", "must be > 0, got %d", c.StepSize)
		}
		if !(c.Gamma > 0) || math.IsInf(c.Gamma, 0) {
			bad("gamma", "must be > 0 and finite, got %v", c.Gamma)
		}
	} else {
		if c.StepSize != 0 {
			bad("step_size", "is only used by the step schedule, got %d", c.StepSize)
		}
		if c.Gamma != 0 {
			bad("gamma", "is only used by the step schedule, got %v", c.Gamma)
		}
	}
	if c.Name == "cosine" {
		if !(c.MinLR >= 0) || math.IsInf(c.MinLR, 0) {
			bad("min_lr", "must be >= 0 and finite, got %v", c.MinLR)
		}
	} else if c.MinLR != 0 {
		bad("min_lr", "is only used by the cosine schedule, got %v", c.MinLR)
	}
	return errors.Join(errs...)
}

// NewSchedule returns the schedule c names for base learning rate baseLR over totalSteps
// optimizer steps. Only "cosine" depends on totalSteps; a run no longer than its warmup never
// leaves the warmup ramp, as get_cosine_schedule_with_warmup of Hugging Face transformers does.
func NewSchedule(c ScheduleConfig, baseLR float64, totalSteps int) (Schedule, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if !(baseLR > 0) || math.IsInf(baseLR, 0) {
		return nil, fmt.Errorf("train.optimizer.lr must be > 0 and finite, got %v", baseLR)
	}
	w := warmup{base: baseLR, steps: c.WarmupSteps}
	switch c.Name {
	case "constant":
		return constantSchedule{w}, nil
	case "step":
		return stepSchedule{w, c.StepSize, c.Gamma}, nil
	default: // "cosine"
		if c.MinLR > baseLR {
			return nil, fmt.Errorf("train.schedule.min_lr (%v) must be <= train.optimizer.lr (%v)", c.MinLR, baseLR)
		}
		return cosineSchedule{w, c.MinLR, totalSteps}, nil
	}
}

// warmup is the linear ramp shared by all schedules.
type warmup struct {
	base  float64
	steps int
}

// lr returns the warmup lr and true while step is within warmup; negative steps count as 0.
func (w warmup) lr(step int) (float64, bool) {
	step = max(step, 0)
	if step < w.steps {
		return w.base * float64(step+1) / float64(w.steps), true
	}
	return 0, false
}

type constantSchedule struct{ warmup }

func (s constantSchedule) LR(step int) float64 {
	if lr, ok := s.warmup.lr(step); ok {
		return lr
	}
	return s.base
}

// stepSchedule is torch.optim.lr_scheduler.StepLR started after warmup.
type stepSchedule struct {
	warmup
	stepSize int
	gamma    float64
}

func (s stepSchedule) LR(step int) float64 {
	if lr, ok := s.warmup.lr(step); ok {
		return lr
	}
	return s.base * math.Pow(s.gamma, float64((step-s.steps)/s.stepSize))
}

// cosineSchedule is half a cosine from base to minLR between warmup and totalSteps,
// then minLR.
type cosineSchedule struct {
	warmup
	minLR      float64
	totalSteps int
}

func (s cosineSchedule) LR(step int) float64 {
	if lr, ok := s.warmup.lr(step); ok {
		return lr
	}
	if step >= s.totalSteps {
		return s.minLR
	}
	progress := float64(step-s.steps) / float64(s.totalSteps-s.steps)
	return s.minLR + (s.base-s.minLR)*0.5*(1+math.Cos(math.Pi*progress))
}
