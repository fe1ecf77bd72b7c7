package graphs

import (
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Param is one learnable tensor of a model.
type Param struct {
	Name  string        // PyTorch state_dict key, e.g. "conv1.weight"
	Node  *G.Node       // the graph node holding the value
	Shape []int         // shape in the PyTorch module (same data order as Node's value)
	Value *tensor.Dense // shared by every graph built with the same values
}

// Scope carries what layer functions need while they add nodes: the graph, the name path of
// the current module, the parameters made so far, the dropout masks and whether the graph
// trains. Scopes made by Sub share the parameter and mask lists of their parent.
type Scope struct {
	g        *G.ExprGraph
	dtype    tensor.Dtype
	path     string
	training bool
	state    *scopeState
}

type scopeState struct {
	inputs map[string]*G.Node
	params []*Param
	masks  []*DropoutMask
	states []*State
	init   *rand.Rand
	shared map[string]*tensor.Dense
}

// NewScope starts a root scope on a new graph. Parameters are initialised as PyTorch does
// (uniform ±1/√fan_in) from a generator seeded with seed.
func NewScope(dtype tensor.Dtype, seed uint64, training bool) *Scope {
	return &Scope{
		g:        G.NewGraph(),
		dtype:    dtype,
		training: training,
		state:    &scopeState{init: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))},
	}
}

// NewSharedScope starts a root scope on a new graph whose parameters reuse the values of
// params (matched by name), so that two graphs, such as a training and an evaluation graph,
// see the same weights without copying.
func NewSharedScope(dtype tensor.Dtype, params []*Param, training bool) *Scope {
	s := NewScope(dtype, 0, training)
	s.state.shared = make(map[string]*tensor.Dense, len(params))
	for _, p := range params {
		s.state.shared[p.Name] = p.Value
	}
	return s
}

// Sub returns a scope for the child module name ("conv1", "fc2", "layers.0").
func (s *Scope) Sub(name string) *Scope {
	c := *s
	if c.path != "" {
		name = c.path + "." + name
	}
	c.path = name
	return &c
}

// Graph is the expression graph the scope adds nodes to.
func (s *Scope) Graph() *G.ExprGraph { return s.g }

// Dtype is the element type of every node the scope makes.
func (s *Scope) Dtype() tensor.Dtype { return s.dtype }

// Params lists the parameters made so far, in creation order.
func (s *Scope) Params() []*Param { return s.state.params }

// Masks lists the dropout masks the graph needs filled before every run.
func (s *Scope) Masks() []*DropoutMask { return s.state.masks }

// States lists the recurrent states the graph carries between runs (see State).
func (s *Scope) States() []*State { return s.state.states }

// Input adds an input node of the given shape, fed by the caller before each run; Inputs
// finds it by its qualified name.
func (s *Scope) Input(name string, shape ...int) *G.Node {
	v := tensor.New(tensor.WithShape(shape...), tensor.Of(s.dtype))
	n := G.NewTensor(s.g, s.dtype, len(shape), G.WithShape(shape...), G.WithName(s.qualify(name)), G.WithValue(v))
	if s.state.inputs == nil {
		s.state.inputs = map[string]*G.Node{}
	}
	s.state.inputs[n.Name()] = n
	return n
}

// Inputs are the graph's input nodes by name.
func (s *Scope) Inputs() map[string]*G.Node { return s.state.inputs }

func (s *Scope) qualify(name string) string {
	if s.path == "" {
		return name
	}
	return s.path + "." + name
}

// param adds the learnable parameter name with the given graph shape; torchShape is its shape
// in PyTorch (equal, or a reshape of it). bound is the half-width of its uniform initialisation.
func (s *Scope) param(name string, shape, torchShape []int, bound float64) *G.Node {
	return s.paramInit(name, shape, torchShape, Uniform(bound))
}

// Init fills a new parameter's values from r.
type Init func(v *tensor.Dense, r *rand.Rand)

// Uniform draws from U(−bound, bound).
func Uniform(bound float64) Init {
	return func(v *tensor.Dense, r *rand.Rand) { fillUniform(v, r, bound) }
}

// Normal draws from N(0, std²), as nn.Embedding does with std 1.
func Normal(std float64) Init {
	return func(v *tensor.Dense, r *rand.Rand) {
		fill(v, func() float64 { return r.NormFloat64() * std })
	}
}

// Constant sets every value to c (LayerNorm: weight 1, bias 0).
func Constant(c float64) Init {
	return func(v *tensor.Dense, _ *rand.Rand) { fill(v, func() float64 { return c }) }
}

// XavierUniform is U(±√(6/(fanIn+fanOut))) for a (fanOut, fanIn) matrix, as nn.Transformer
// initialises its weight matrices.
func XavierUniform(fanIn, fanOut int) Init {
	return Uniform(math.Sqrt(6 / float64(fanIn+fanOut)))
}

func fill(v *tensor.Dense, next func() float64) {
	switch data := v.Data().(type) {
	case []float32:
		for i := range data {
			data[i] = float32(next())
		}
	case []float64:
		for i := range data {
			data[i] = next()
		}
	default:
		panic(fmt.Sprintf("graphs: unsupported parameter type %T", data))
	}
}

// paramInit is param with any initialisation.
func (s *Scope) paramInit(name string, shape, torchShape []int, init Init) *G.Node {
	full := s.qualify(name)
	for _, p := range s.state.params {
		if p.Name == full {
			panic(fmt.Sprintf("graphs: parameter %q defined twice", full))
		}
	}
	v := s.state.shared[full]
	if s.state.shared != nil && v == nil {
		panic(fmt.Sprintf("graphs: shared scope has no value for parameter %q", full))
	}
	if v == nil {
		v = tensor.New(tensor.WithShape(shape...), tensor.Of(s.dtype))
		init(v, s.state.init)
	} else if !v.Shape().Eq(tensor.Shape(shape)) {
		panic(fmt.Sprintf("graphs: shared parameter %q has shape %v, want %v", full, v.Shape(), shape))
	}
	n := G.NewTensor(s.g, s.dtype, len(shape), G.WithShape(shape...), G.WithName(full), G.WithValue(v))
	s.state.params = append(s.state.params, &Param{Name: full, Node: n, Shape: torchShape, Value: v})
	return n
}

func fillUniform(v *tensor.Dense, r *rand.Rand, bound float64) {
	fill(v, func() float64 { return (2*r.Float64() - 1) * bound })
}

// fanInBound is PyTorch's default bound for Linear and Conv weights and biases:
// kaiming_uniform(a=√5) gives 1/√fan_in.
func fanInBound(fanIn int) float64 { return 1 / math.Sqrt(float64(fanIn)) }

func must(n *G.Node, err error) *G.Node {
	if err != nil {
		panic(fmt.Sprintf("graphs: %v", err))
	}
	return n
}

// Float32s is the float32 buffer of n's value: what a batch is written into before a run of
// the graph (for an input) or read from after it (for an output).
func Float32s(n *G.Node) []float32 { return data[float32](n.Value()) }

// ValueFloat32s is the float32 buffer of v, read without the allocation of v.Data().
func ValueFloat32s(v G.Value) []float32 { return data[float32](v) }
