package optim

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
)

// Param is one learnable tensor as the optimizer sees it: its flat values and gradient.
type Param struct {
	Name  string    // checkpoint key, e.g. "conv1.weight"
	Value []float32 // updated in place by Step
	Grad  []float32 // read only; the caller zeroes it after Step
}

// Config selects and parameterises an optimizer; it is decoded from train.optimizer.
type Config struct {
	Name     string  // "sgd" | "adam" | "adamw"
	LR       float64 // base learning rate; schedules scale it and Step receives the result
	Momentum float64 // sgd only
	Nesterov bool    // sgd only; needs Momentum > 0

	// Adam and AdamW only; zero means the PyTorch defaults 0.9, 0.999 and 1e-8.
	Beta1, Beta2, Eps float64

	// WeightDecay is L2 added to the gradient for sgd and adam, and the decoupled
	// p *= 1 - lr*wd of PyTorch's AdamW for adamw. Zero means none, for adamw too.
	WeightDecay float64
}

// Optimizer names known to New, in the order listed in error messages.
var optimizerNames = []string{"sgd", "adam", "adamw"}

// PyTorch defaults applied when the Config leaves the Adam hyperparameters zero.
const (
	defaultBeta1 = 0.9
	defaultBeta2 = 0.999
	defaultEps   = 1e-8
)

// Validate reports every bad field of c, naming it by its config key.
func (c Config) Validate() error {
	const prefix = "train.optimizer."
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf(prefix+key+" "+format, args...))
	}
	switch c.Name {
	case "sgd", "adam", "adamw":
	default:
		bad("name", "must be one of %s, got %q", strings.Join(optimizerNames, ", "), c.Name)
		return errors.Join(errs...)
	}
	if !(c.LR > 0) || math.IsInf(c.LR, 0) {
		bad("lr", "must be > 0 and finite, got %v", c.LR)
	}
	if !(c.WeightDecay >= 0) || math.IsInf(c.WeightDecay, 0) {
		bad("weight_decay", "must be >= 0 and finite, got %v", c.WeightDecay)
	}
	if c.Name == "sgd" {
		if !(c.Momentum >= 0 && c.Momentum < 1) {
			bad("momentum", "must be in [0, 1), got %v", c.Momentum)
		}
		if c.Nesterov && c.Momentum == 0 {
			bad("nesterov", "needs train.optimizer.momentum > 0")
		}
		for _, f := range []struct {
			key string
			v   float64
		}{{"beta1", c.Beta1}, {"beta2", c.Beta2}, {"eps", c.Eps}} {
			if f.v != 0 {
				bad(f.key, "is not used by sgd, got %v", f.v)
			}
		}
		return errors.Join(errs...)
	}
	if c.Momentum != 0 {
		bad("momentum", "is not used by %s (it has beta1), got %v", c.Name, c.Momentum)
	}
	if c.Nesterov {
		bad("nesterov", "is not used by %s", c.Name)
	}
	if !(c.Beta1 >= 0 && c.Beta1 < 1) {
		bad("beta1", "must be in [0, 1), got %v", c.Beta1)
	}
	if !(c.Beta2 >= 0 && c.Beta2 < 1) {
		bad("beta2", "must be in [0, 1), got %v", c.Beta2)
	}
	if !(c.Eps >= 0) || math.IsInf(c.Eps, 0) {
		bad("eps", "must be >= 0 and finite, got %v", c.Eps)
	}
	return errors.Join(errs...)
}

// withDefaults fills the zero Adam hyperparameters with PyTorch's defaults.
func (c Config) withDefaults() Config {
	if c.Name == "sgd" {
		return c
	}
	if c.Beta1 == 0 {
		c.Beta1 = defaultBeta1
	}
	if c.Beta2 == 0 {
		c.Beta2 = defaultBeta2
	}
	if c.Eps == 0 {
		c.Eps = defaultEps
	}
	return c
}

// Optimizer updates parameters in place from their gradients.
// It is not safe for concurrent use.
type Optimizer interface {
	// Step applies one update with effective learning rate lr. params must be the
	// parameters the optimizer was created with, in the same order, each with
	// len(Grad) == len(Value); Step panics otherwise. It does not allocate.
	Step(params []Param, lr float64)
	// State returns a copy of everything needed to continue exactly.
	State() State
	// SetState replaces the optimizer's state with a copy of s, after checking that
	// s holds exactly the buffers (names and lengths) this optimizer expects.
	SetState(s State) error
}

// State is everything needed to continue training exactly: the step count plus named buffers.
type State struct {
	Steps int // number of Step calls made so far

	// Buffers are keyed "<buffer>/<param name>" with PyTorch's state names:
	// "momentum_buffer" for sgd with momentum, "exp_avg" and "exp_avg_sq" for adam and adamw.
	Buffers map[string][]float32
}

// Buffer names, as in PyTorch's optimizer state dicts.
const (
	momentumBuffer = "momentum_buffer"
	expAvg         = "exp_avg"
	expAvgSq       = "exp_avg_sq"
)

// New returns the optimizer cfg names, with its state buffers allocated once for params
// (by name and length). Later Steps must pass the same params.
func New(cfg Config, params []Param) (Optimizer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	shapes, err := shapesOf(params)
	if err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	switch cfg.Name {
	case "sgd":
		o := &sgd{cfg: cfg, state: newBuffers(shapes)}
		if cfg.Momentum != 0 {
			o.momentum = o.state.add(momentumBuffer)
		}
		return o, nil
	default: // "adam", "adamw"; Validate rejected the rest
		o := &adam{cfg: cfg, decoupled: cfg.Name == "adamw", state: newBuffers(shapes)}
		o.expAvg = o.state.add(expAvg)
		o.expAvgSq = o.state.add(expAvgSq)
		return o, nil
	}
}

// paramShape is what an optimizer remembers about each parameter it was created with.
type paramShape struct {
	name string
	size int
}

func shapesOf(params []Param) ([]paramShape, error) {
	if len(params) == 0 {
		return nil, errors.New("optim: no parameters to optimize")
	}
	shapes := make([]paramShape, len(params))
	seen := make(map[string]bool, len(params))
	for i, p := range params {
		if p.Name == "" {
			return nil, fmt.Errorf("optim: parameter %d has no name", i)
		}
		if seen[p.Name] {
			return nil, fmt.Errorf("optim: duplicate parameter name %q", p.Name)
		}
		seen[p.Name] = true
		shapes[i] = paramShape{p.Name, len(p.Value)}
	}
	return shapes, nil
}

// buffers holds an optimizer's step count and per-parameter state buffers.
type buffers struct {
	shapes []paramShape
	steps  int
	names  []string      // buffer names, e.g. "exp_avg"
	data   [][][]float32 // data[buffer][param]
}

func newBuffers(shapes []paramShape) buffers {
	return buffers{shapes: shapes}
}

// add allocates a zeroed buffer named name for every parameter and returns them.
func (b *buffers) add(name string) [][]float32 {
	bufs := make([][]float32, len(b.shapes))
	for i, s := range b.shapes {
		bufs[i] = make([]float32, s.size)
	}
	b.names = append(b.names, name)
	b.data = append(b.data, bufs)
	return bufs
}

// check panics unless params match the parameters the optimizer was created with.
func (b *buffers) check(params []Param) {
	if len(params) != len(b.shapes) {
		panic(fmt.Sprintf("optim: Step got %d params, the optimizer was created with %d", len(params), len(b.shapes)))
	}
	for i, p := range params {
		s := b.shapes[i]
		if p.Name != s.name || len(p.Value) != s.size || len(p.Grad) != s.size {
			panic(fmt.Sprintf("optim: Step param %d is %q with %d values and %d gradients, want %q with %d of each",
				i, p.Name, len(p.Value), len(p.Grad), s.name, s.size))
		}
	}
}

func (b *buffers) state() State {
	s := State{Steps: b.steps, Buffers: make(map[string][]float32)}
	for k, name := range b.names {
		for i, sh := range b.shapes {
			s.Buffers[name+"/"+sh.name] = append([]float32(nil), b.data[k][i]...)
		}
	}
	return s
}

// setState copies s into b after checking it has exactly the expected keys and lengths.
func (b *buffers) setState(optimizer string, s State) error {
	var problems []string
	if s.Steps < 0 {
		problems = append(problems, fmt.Sprintf("steps is %d, want >= 0", s.Steps))
	}
	want := make(map[string]bool)
	for k, name := range b.names {
		for i, sh := range b.shapes {
			key := name + "/" + sh.name
			want[key] = true
			got, ok := s.Buffers[key]
			switch {
			case !ok:
				problems = append(problems, "missing "+key)
			case len(got) != len(b.data[k][i]):
				problems = append(problems, fmt.Sprintf("%s has %d values, want %d", key, len(got), len(b.data[k][i])))
			}
		}
	}
	var unexpected []string
	for key := range s.Buffers {
		if !want[key] {
			unexpected = append(unexpected, "unexpected "+key)
		}
	}
	sort.Strings(unexpected)
	problems = append(problems, unexpected...)
	if len(problems) > 0 {
		return fmt.Errorf("optim: state does not fit this %s optimizer: %s", optimizer, strings.Join(problems, "; "))
	}
	b.steps = s.Steps
	for k, name := range b.names {
		for i, sh := range b.shapes {
			copy(b.data[k][i], s.Buffers[name+"/"+sh.name])
		}
	}
	return nil
}

// fma32 returns a*b + c rounded once, like the fused multiply-adds PyTorch's CPU kernels
// compile to. The float32 product is exact in float64, so only the sum is rounded
// (twice: to float64, then float32, which differs from one rounding only in rare ties).
func fma32(a, b, c float32) float32 { return float32(float64(a)*float64(b) + float64(c)) }

// StateFloats is how many float32 values the optimizer cfg names keeps per parameter value:
// 2 for adam and adamw (exp_avg, exp_avg_sq), 1 for sgd with momentum, 0 for plain sgd. It
// counts the buffers New allocates, so it cannot drift from them.
func StateFloats(cfg Config) (int, error) {
	one := []Param{{Name: "p", Value: make([]float32, 1), Grad: make([]float32, 1)}}
	o, err := New(cfg, one)
	if err != nil {
		return 0, err
	}
	return len(o.State().Buffers), nil
}
