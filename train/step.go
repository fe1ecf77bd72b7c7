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

// Stepper takes training steps on one model graph: fill the batch, resample dropout, run
// forward and backward, clip, update, zero the gradients and carry recurrent state.
type Stepper struct {
	nets   []*models.Graph // graphs of one model sharing parameter values, e.g. per length
	vms    []G.VM
	opt    optim.Optimizer
	sched  optim.Schedule
	clip   float64
	params []optim.Param
	pcg    *rand.PCG // dropout masks; its state is checkpointed
	rng    *rand.Rand
	steps  int
}

// StepperConfig holds what a Stepper needs besides the graph.
type StepperConfig struct {
	Optimizer optim.Config
	Schedule  optim.Schedule
	ClipNorm  float64
	Seed      uint64
}

// NewStepper compiles net's training machine and creates the optimizer for its parameters.
func NewStepper(net *models.Graph, c StepperConfig) (*Stepper, error) {
	s := &Stepper{sched: c.Schedule, clip: c.ClipNorm, pcg: rand.NewPCG(c.Seed, 0xd209)}
	s.rng = rand.New(s.pcg)
	for _, p := range net.Params() {
		v := p.Value.Data().([]float32)
		s.params = append(s.params, optim.Param{Name: p.Name, Value: v, Grad: make([]float32, len(v))})
	}
	opt, err := optim.New(c.Optimizer, s.params)
	if err != nil {
		return nil, err
	}
	s.opt = opt
	// No NaN/Inf watch (it scans every value, 8% of a step): a diverging step shows in the
	// loss, and our max-pool, unlike Gorgonia's, does not panic on NaN windows.
	s.AddGraph(net)
	return s, nil
}

// AddGraph adds another graph of the same model, built on the first graph's parameter
// values (models.BuildOptions.Shared), for StepOn: a task may keep one graph per sequence
// length so that short batches do not pay for the longest.
func (s *Stepper) AddGraph(net *models.Graph) {
	s.nets = append(s.nets, net)
	s.vms = append(s.vms, G.NewTapeMachine(net.Scope.Graph(), G.BindDualValues(net.ParamNodes()...)))
}

// Close releases the machines.
func (s *Stepper) Close() error {
	for _, vm := range s.vms {
		vm.Close()
	}
	return nil
}

// Params are the parameters being trained.
func (s *Stepper) Params() []*graphs.Param { return s.nets[0].Params() }

// StepResult describes one step.
type StepResult struct {
	Loss     float64 // mean loss of the batch before the update
	LR       float64
	GradNorm float64 // global gradient norm before clipping
}

// ErrNonFinite is returned when the loss is NaN or infinite; the parameters are not updated.
var ErrNonFinite = fmt.Errorf("loss is not finite")

// Step trains on the batch that fill writes into the first graph's inputs.
func (s *Stepper) Step(fill func() error) (StepResult, error) { return s.StepOn(0, fill) }

// StepOn trains on the batch that fill writes into the inputs of graph i (in the order of
// NewStepper and AddGraph).
func (s *Stepper) StepOn(i int, fill func() error) (StepResult, error) {
	if err := fill(); err != nil {
		return StepResult{}, err
	}
	net := s.nets[i]
	for _, m := range net.Scope.Masks() {
		m.Resample(s.rng)
	}
	r, err := s.run(i)
	if err == nil {
		for _, st := range net.Scope.States() {
			st.Carry()
		}
	}
	return r, err
}

func (s *Stepper) run(i int) (StepResult, error) {
	vm, net := s.vms[i], s.nets[i]
	vm.Reset() // without it RunAll silently does nothing
	if err := vm.RunAll(); err != nil {
		return StepResult{}, fmt.Errorf("training step %d: %w", s.steps+1, err)
	}
	r := StepResult{Loss: float64(net.Loss.Value().Data().(float32)), LR: s.sched.LR(s.steps)}
	if err := s.collectGrads(net); err != nil {
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

// collectGrads moves the machine's gradients into the optimizer's buffers and zeroes them
// in the machine, which otherwise accumulates them across runs.
func (s *Stepper) collectGrads(net *models.Graph) error {
	for i, n := range net.ParamNodes() {
		g, err := n.Grad()
		if err != nil {
			return fmt.Errorf("gradient of %s: %w", s.params[i].Name, err)
		}
		data := g.Data().([]float32)
		copy(s.params[i].Grad, data)
		clear(data)
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
