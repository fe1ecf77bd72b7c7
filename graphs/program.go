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

// Compile orders g's nodes for running. It fails on a graph Gorgonia cannot sort (a cycle).
func Compile(g *G.ExprGraph) (*Program, error) {
	sorted, err := G.Sort(g)
	if err != nil {
		return nil, err
	}
	p := &Program{}
	for i := len(sorted) - 1; i >= 0; i-- { // Sort puts the root first
		n := sorted[i]
		if n.Op() == nil { // inputs and parameters
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
