package graphs

import (
	"fmt"

	G "gorgonia.org/gorgonia"
)

// Program runs a training graph's nodes in topological order, as Gorgonia's tape machine does,
// without the machine's per-op bookkeeping: its register moves, its log calls (whose arguments
// are boxed even with logging off) and its argument slices allocate on every op of every step.
// A Program gathers each op's arguments into a slice made once, runs the op (UsePreallocDo
// into the op's previous result where the op offers it) and binds the result to its node, so
// that Node.Value and, for parameters, Node.Grad (the value of the parameter's gradient node)
// read what the run computed. Parameters and inputs keep the values bound to them.
//
// The graph must be differentiated symbolically (G.Grad) and not bound to dual values: a
// Program computes gradient nodes like any other, and they are overwritten, not accumulated,
// by each run.
type Program struct {
	steps []programStep
}

type programStep struct {
	node *G.Node
	op   G.Op
	args []*G.Node
	in   []G.Value
	out  G.Value
}

// Compile orders the nodes of g that outputs depend on for running (every node when outputs
// is empty). A training step wants the loss and the parameters' gradients: differentiation
// also makes the gradients of the inputs (an image's, say), which nothing reads. It fails on a
// graph Gorgonia cannot sort (a cycle).
func Compile(g *G.ExprGraph, outputs ...*G.Node) (*Program, error) {
	sorted, err := G.Sort(g)
	if err != nil {
		return nil, err
	}
	wanted := ancestors(g, outputs)
	p := &Program{}
	for i := len(sorted) - 1; i >= 0; i-- { // Sort puts the root first
		n := sorted[i]
		if n.Op() == nil || wanted != nil && !wanted[n.ID()] { // inputs and parameters, or unwanted
			continue
		}
		s := programStep{node: n, op: n.Op()}
		for it := g.From(n.ID()); it.Next(); {
			s.args = append(s.args, it.Node().(*G.Node))
		}
		s.in = make([]G.Value, len(s.args))
		p.steps = append(p.steps, s)
	}
	return p, nil
}

// ancestors are the IDs of outputs and of every node they depend on; nil for no outputs.
func ancestors(g *G.ExprGraph, outputs []*G.Node) map[int64]bool {
	if len(outputs) == 0 {
		return nil
	}
	seen := map[int64]bool{}
	stack := append([]*G.Node(nil), outputs...)
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[n.ID()] {
			continue
		}
		seen[n.ID()] = true
		for it := g.From(n.ID()); it.Next(); {
			stack = append(stack, it.Node().(*G.Node))
		}
	}
	return seen
}

// Run computes every node once. It stops at the first op that fails.
func (p *Program) Run() error {
	for i := range p.steps {
		if err := p.steps[i].run(); err != nil {
			return err
		}
	}
	return nil
}

func (s *programStep) run() error {
	for i, a := range s.args {
		v := a.Value()
		if v == nil {
			return fmt.Errorf("graphs: running %v: argument %d (%v) has no value", s.node, i, a)
		}
		s.in[i] = v
	}
	var v G.Value
	var err error
	if pd, ok := s.op.(G.UsePreallocDoer); ok && s.out != nil {
		v, err = pd.UsePreallocDo(s.out, s.in...)
	} else {
		v, err = s.op.Do(s.in...)
	}
	clear(s.in) // the arguments' values may be replaced before the next run
	if err != nil {
		return fmt.Errorf("graphs: running %v: %w", s.node, err)
	}
	if v == s.out { // the op wrote into its last result, which stays bound (binding allocates)
		return nil
	}
	s.out = v
	return G.UnsafeLet(s.node, v)
}
