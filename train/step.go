package train

import (
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"

	"github.com/gorgonet/gorgonet/graphs"
	"github.com/gorgonet/gorgonet/models"
	"github.com/gorgonet/gorgonet/optim"
)

// Stepper takes training steps on one model: it picks the graph of a batch's shape (building
// it on first use, on the model's parameter values), fills it, resamples dropout, runs forward
// and backward, clips, updates, zeroes the gradients and carries recurrent state.
type Stepper struct {
	build  GraphBuilder
	nets   map[int]*stepGraph // by models.Batch.Shape; 0 is the full graph
	opt    optim.Optimizer
	sched  optim.Schedule
	clip   float64
	params []optim.Param
	pcg    *rand.PCG // dropout masks; its state is checkpointed
	rng    *rand.Rand
	steps  int
	arena  graphs.Arena
}

// GraphBuilder builds the training graph of batches of shape on the values of shared, or with
// new parameters when shared is nil (only shape 0, the full graph, is built so).
type GraphBuilder func(shape int, shared []*graphs.Param) (*models.Graph, error)

type stepGraph struct {
	net    *models.Graph
	prog   *graphs.Program
	params []*G.Node // net.ParamNodes(), made once: the gradients are read off them every step
}

// StepperConfig holds what a Stepper needs besides the graphs.
type StepperConfig struct {
	Optimizer optim.Config
	Schedule  optim.Schedule
	ClipNorm  float64
	Seed      uint64
}

// NewStepper builds the full graph (shape 0), compiles its training machine and creates the
// optimizer for its parameters.
func NewStepper(build GraphBuilder, c StepperConfig) (*Stepper, error) {
	net, err := build(0, nil)
	if err != nil {
		return nil, err
	}
	s := &Stepper{build: build, nets: map[int]*stepGraph{}, sched: c.Schedule, clip: c.ClipNorm, pcg: rand.NewPCG(c.Seed, 0xd209)}
	s.rng = rand.New(s.pcg)
	for _, p := range net.Params() {
		v := p.Value.Data().([]float32)
		s.params = append(s.params, optim.Param{Name: p.Name, Value: v, Grad: make([]float32, len(v))})
	}
	if s.opt, err = optim.New(c.Optimizer, s.params); err != nil {
		return nil, err
	}
	// No NaN/Inf watch (it scans every value, 8% of a step): a diverging step shows in the
	// loss, and our max-pool, unlike Gorgonia's, does not panic on NaN windows.
	if _, err := s.add(0, net); err != nil {
		return nil, err
	}
	return s, nil
}

// add compiles net's program (not Gorgonia's tape machine: see graphs.Program).
func (s *Stepper) add(shape int, net *models.Graph) (*stepGraph, error) {
	prog, err := compileStep(net)
	if err != nil {
		return nil, fmt.Errorf("the training graph of batch shape %d: %w", shape, err)
	}
	prog.UseArena(&s.arena) // the graphs of different shapes share their buffers
	g := &stepGraph{net: net, prog: prog, params: net.ParamNodes()}
	s.nets[shape] = g
	return g, nil
}

// compileStep compiles what a training step of net needs: its loss and its parameters'
// gradients.
func compileStep(net *models.Graph) (*graphs.Program, error) {
	outputs := []*G.Node{net.Loss}
	for _, n := range net.ParamNodes() {
		if d := n.Deriv(); d != nil {
			outputs = append(outputs, d)
		}
	}
	return graphs.Compile(net.Scope.Graph(), outputs...)
}

// graph is the graph of batches of shape, built on first use: a task may keep one graph per
// sequence length so that short batches do not pay for the longest.
func (s *Stepper) graph(shape int) (*stepGraph, error) {
	if g, ok := s.nets[shape]; ok {
		return g, nil
	}
	net, err := s.build(shape, s.Graph().Params())
	if err != nil {
		return nil, fmt.Errorf("the training graph of batch shape %d: %w", shape, err)
	}
	return s.add(shape, net)
}

// Arena holds the training graphs' buffers; evaluation graphs that run between steps may
// share it (experiment.SharesBuffers).
func (s *Stepper) Arena() *graphs.Arena { return &s.arena }

// Close releases the graphs.
func (s *Stepper) Close() error { return nil }

// Graph is the full graph: the parameters being trained and the states it carries.
func (s *Stepper) Graph() *models.Graph { return s.nets[0].net }

// Params are the parameters being trained.
func (s *Stepper) Params() []*graphs.Param { return s.Graph().Params() }

// StepResult describes one step.
type StepResult struct {
	Loss     float64 // mean loss of the batch before the update
	LR       float64
	GradNorm float64 // global gradient norm before clipping
}

// ErrNonFinite is returned when the loss is NaN or infinite; the parameters are not updated.
var ErrNonFinite = fmt.Errorf("loss is not finite")

// Step trains on batch b, in the graph of its shape.
func (s *Stepper) Step(b models.Batch) (StepResult, error) {
	g, err := s.graph(b.Shape)
	if err != nil {
		return StepResult{}, err
	}
	if err := g.net.Fill(b); err != nil {
		return StepResult{}, err
	}
	for _, m := range g.net.Scope.Masks() {
		m.Resample(s.rng)
	}
	r, err := s.run(g)
	if err == nil {
		for _, st := range g.net.Scope.States() {
			st.Carry()
		}
	}
	return r, err
}

func (s *Stepper) run(g *stepGraph) (StepResult, error) {
	if err := g.prog.Run(); err != nil {
		return StepResult{}, fmt.Errorf("training step %d: %w", s.steps+1, err)
	}
	r := StepResult{Loss: float64(g.net.Loss.Value().Data().(float32)), LR: s.sched.LR(s.steps)}
	if err := s.collectGrads(g); err != nil {
		return r, err
	}
	if math.IsNaN(r.Loss) || math.IsInf(r.Loss, 0) {
		return r, ErrNonFinite
	}
	r.GradNorm = optim.ClipGlobalNorm(s.params, s.clip)
	if math.IsNaN(r.GradNorm) || math.IsInf(r.GradNorm, 0) {
		return r, ErrNonFinite
	}
	s.opt.Step(s.params, r.LR)
	s.steps++
	return r, nil
}

// collectGrads copies the gradients the run of g computed into the optimizer's buffers.
func (s *Stepper) collectGrads(g *stepGraph) error {
	for i, n := range g.params {
		grad, err := n.Grad()
		if err != nil {
			return fmt.Errorf("gradient of %s: %w", s.params[i].Name, err)
		}
		copy(s.params[i].Grad, graphs.ValueFloat32s(grad))
	}
	return nil
}

// State returns the optimizer state and the dropout generator's state.
func (s *Stepper) State() (optim.State, []byte) {
	rng, _ := s.pcg.MarshalBinary()
	return s.opt.State(), rng
}

// Restore continues from a saved optimizer state and dropout generator state.
func (s *Stepper) Restore(o optim.State, rng []byte) error {
	if err := s.opt.SetState(o); err != nil {
		return err
	}
	if err := s.pcg.UnmarshalBinary(rng); err != nil {
		return fmt.Errorf("dropout generator state: %w", err)
	}
	s.steps = o.Steps
	return nil
}
