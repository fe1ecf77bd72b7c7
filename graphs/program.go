package graphs

import (
	"fmt"
	"hash"
	"reflect"
	"strings"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
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
		if isPlainAdd(n, s.args) {
			s.op = &addOp{}
		}
		s.in = make([]G.Value, len(s.args))
		p.steps = append(p.steps, s)
	}
	return p, nil
}

// isPlainAdd says whether n is Gorgonia's element-wise addition of two tensors of its own
// shape, such as differentiation makes to sum the gradients of a value used twice: its
// UsePreallocDo infers types and allocates on every run, so a Program runs addOp instead.
func isPlainAdd(n *G.Node, args []*G.Node) bool {
	if reflect.TypeOf(n.Op()).String() != "gorgonia.elemBinOp" || !strings.HasPrefix(n.Op().String(), "+") || len(args) != 2 {
		return false
	}
	return !n.IsScalar() && n.Shape().Eq(args[0].Shape()) && n.Shape().Eq(args[1].Shape()) &&
		n.Dtype() == args[0].Dtype() && n.Dtype() == args[1].Dtype()
}

// addOp is a + b into a buffer of its own, for Programs only (it is never in a graph).
type addOp struct{ out buffer }

func (op *addOp) Do(vals ...G.Value) (G.Value, error) {
	dt := vals[0].Dtype()
	out := op.out.get(dt, vals[0].Shape())
	switch dt {
	case tensor.Float32:
		vecAdd(data[float32](out), data[float32](vals[0]), data[float32](vals[1]))
	case tensor.Float64:
		vecAdd(data[float64](out), data[float64](vals[0]), data[float64](vals[1]))
	default:
		return nil, fmt.Errorf("graphs: add: unsupported type %v", dt)
	}
	return out, nil
}

// The rest of G.Op, which a Program never calls.
func (op *addOp) Arity() int                                     { return 2 }
func (op *addOp) Type() hm.Type                                  { return fnType(1, 1, 1) }
func (op *addOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return nil, nil }
func (op *addOp) ReturnsPtr() bool                               { return false }
func (op *addOp) CallsExtern() bool                              { return false }
func (op *addOp) OverwritesInput() int                           { return -1 }
func (op *addOp) WriteHash(h hash.Hash)                          { fmt.Fprint(h, "program-add") }
func (op *addOp) Hashcode() uint32                               { return 0 }
func (op *addOp) String() string                                 { return "program-add" }

// UseArena makes the program's float32 op buffers, allocated on its first run, come from a,
// which other programs may share (see Arena). Call it before the first run.
func (p *Program) UseArena(a *Arena) {
	c := &arenaCursor{a: a}
	for _, s := range p.steps {
		useArena(s.op, c)
	}
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
