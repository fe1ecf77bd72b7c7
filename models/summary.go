package models

import (
	"fmt"
	"io"
	"slices"
	"strings"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graphs"
)

// Layer is one row of a model summary: the parameters whose checkpoint names share a
// prefix, which is the PyTorch module owning them, and the graph's forward ops reading them.
type Layer struct {
	Name   string       // module path: "conv1", "tf.encoder.layers.0.self_attn"
	Kind   string       // what its output op computes: "conv2d", "linear", "attention", …
	Output tensor.Shape // shape of its output, batch included (see Summary.FormatShape)
	Params int          // values of its own parameters (not those of its sub-modules)
	FLOPs  int64        // forward flops per example, graphs.ForwardFLOPs' convention

	out *G.Node   // the output: the last forward op reading its parameters
	ops []*G.Node // the forward ops reading its parameters, in graph order
}

// Summary describes a built model, as Keras's model.summary() does: one row per layer with
// its output shape and parameter count, then the totals. Shapes come from the static shapes
// of the Gorgonia graph; nothing is run.
type Summary struct {
	Batch      int // the graph's batch size, shown as N in shapes
	Layers     []*Layer
	Params     int   // all parameters: PyTorch's sum(p.numel() for p in model.parameters())
	ParamBytes int64 // their memory in the graph's dtype
	FLOPs      int64 // forward flops per example of the whole graph (graphs.ForwardFLOPs)

	// Optimizer and OptimizerFloats (float32 values kept per parameter: 2 for Adam, 1 for
	// SGD with momentum, 0 without) are set by the caller, which knows the optimizer.
	Optimizer       string
	OptimizerFloats int

	flow *dataFlow
}

// OptimizerBytes is the memory of the optimizer's state.
func (s *Summary) OptimizerBytes() int64 { return int64(s.Params) * int64(s.OptimizerFloats) * 4 }

// Summarize analyses g: its parameters grouped by module, each module's output node, and the
// flops of its forward ops (the ancestors of the loss in a training graph, every node
// otherwise).
func Summarize(g *Graph) *Summary {
	s := &Summary{Batch: max(g.Batch, 1)}
	s.flow = newDataFlow(g)
	for _, p := range g.Params() {
		n := numel(p.Shape)
		s.Params += n
		s.ParamBytes += int64(n) * int64(p.Value.Dtype().Size())
	}
	s.Layers = s.flow.layers
	for _, l := range s.Layers {
		var total int64
		for _, op := range l.ops {
			total += graphs.ForwardFLOPs(op)
		}
		l.FLOPs = total / int64(s.Batch)
	}
	for _, n := range s.flow.forward {
		s.FLOPs += graphs.ForwardFLOPs(n)
	}
	s.FLOPs /= int64(s.Batch)
	return s
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// FormatShape writes shape with its first axis in terms of the batch, as Keras writes None:
// (N, 32, 28, 28) for an image batch, (N·32, 64) for the rows of a batch of sequences.
func (s *Summary) FormatShape(shape tensor.Shape) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = fmt.Sprint(d)
	}
	if len(shape) > 0 && shape[0]%s.Batch == 0 {
		parts[0] = "N"
		if k := shape[0] / s.Batch; k > 1 {
			parts[0] = fmt.Sprintf("N·%d", k)
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// Write prints the summary as a table and its totals.
func (s *Summary) Write(w io.Writer) error {
	rows := [][]string{{"layer", "kind", "output shape", "params", "FLOPs"}}
	for _, l := range s.Layers {
		rows = append(rows, []string{l.Name, l.Kind, s.FormatShape(l.Output), thousands(int64(l.Params)), shortCount(l.FLOPs)})
	}
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "model summary (N = batch of %d; FLOPs per example, a multiply-add counted as 2)\n", s.Batch)
	for i, r := range rows {
		fmt.Fprintf(&b, "  %s  %s  %s  %s  %s\n", pad(r[0], widths[0], false), pad(r[1], widths[1], false),
			pad(r[2], widths[2], false), pad(r[3], widths[3], true), pad(r[4], widths[4], true))
		if i == 0 {
			fmt.Fprintf(&b, "  %s\n", strings.Repeat("─", widths[0]+widths[1]+widths[2]+widths[3]+widths[4]+8))
		}
	}
	fmt.Fprintf(&b, "  total parameters   %s\n", thousands(int64(s.Params)))
	fmt.Fprintf(&b, "  parameter memory   %s\n", humanBytes(s.ParamBytes))
	if s.Optimizer != "" {
		fmt.Fprintf(&b, "  optimizer state    %s (%s: %d float32 per parameter)\n", humanBytes(s.OptimizerBytes()), s.Optimizer, s.OptimizerFloats)
	}
	fmt.Fprintf(&b, "  forward FLOPs      %s per example (matrix products and convolutions)\n", humanCount(s.FLOPs))
	_, err := io.WriteString(w, b.String())
	return err
}

// pad fills c with spaces to width runes, on the left when right-aligned.
func pad(c string, width int, right bool) string {
	fill := strings.Repeat(" ", width-len([]rune(c)))
	if right {
		return fill + c
	}
	return c + fill
}

// thousands writes n with commas between groups of three digits: 421,642.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// humanBytes writes n bytes in binary units: 1.61 MiB.
func humanBytes(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	v, u := float64(n), 0
	for v >= 1024 && u < len(units)-1 {
		v, u = v/1024, u+1
	}
	if u == 0 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.2f %s (%s bytes)", v, units[u], thousands(n))
}

// shortCount writes a flop count in three significant digits: 452k, 7.23M.
func shortCount(n int64) string {
	units := []string{"", "k", "M", "G", "T"}
	v, u := float64(n), 0
	for v >= 1000 && u < len(units)-1 {
		v, u = v/1000, u+1
	}
	switch {
	case u == 0:
		return fmt.Sprint(n)
	case v >= 100:
		return fmt.Sprintf("%.0f%s", v, units[u])
	case v >= 10:
		return fmt.Sprintf("%.1f%s", v, units[u])
	}
	return fmt.Sprintf("%.2f%s", v, units[u])
}

// humanCount writes a flop count in decimal units: 8.48 MFLOPs.
func humanCount(n int64) string {
	units := []string{"", "k", "M", "G", "T"}
	v, u := float64(n), 0
	for v >= 1000 && u < len(units)-1 {
		v, u = v/1000, u+1
	}
	return fmt.Sprintf("%.2f %sFLOPs", v, units[u])
}

// dataFlow is the forward part of a graph seen at the level of layers: which op nodes belong
// to which layer, and the model's inputs.
type dataFlow struct {
	g       *G.ExprGraph
	forward []*G.Node // in graph (topological) order
	layers  []*Layer
	owner   map[*G.Node]*Layer // forward op nodes reading a layer's parameters
	params  map[*G.Node]bool
	inputs  map[*G.Node]string
	loss    *G.Node
}

func newDataFlow(m *Graph) *dataFlow {
	f := &dataFlow{g: m.Scope.Graph(), owner: map[*G.Node]*Layer{}, params: map[*G.Node]bool{}, inputs: map[*G.Node]string{}, loss: m.Loss}
	f.forward = forwardNodes(f.g, m.Loss)
	for name, n := range m.Scope.Inputs() {
		f.inputs[n] = name
	}
	byParam := map[*G.Node]*Layer{}
	byName := map[string]*Layer{}
	for _, p := range m.Params() {
		name := p.Name[:max(strings.LastIndexByte(p.Name, '.'), 0)]
		if name == "" {
			name = p.Name
		}
		l := byName[name]
		if l == nil {
			l = &Layer{Name: name}
			byName[name] = l
			f.layers = append(f.layers, l)
		}
		l.Params += numel(p.Shape)
		byParam[p.Node] = l
		f.params[p.Node] = true
	}
	// An op reading the parameters of several modules belongs to its last one: a tied output
	// layer (x, src_emb.weight, out.bias) is out's.
	for _, n := range f.forward {
		var owner *Layer
		for _, c := range children(f.g, n) {
			if l := byParam[c]; l != nil {
				owner = l
			}
		}
		if owner != nil {
			f.owner[n] = owner
			owner.ops = append(owner.ops, n)
		}
	}
	for _, l := range f.layers {
		if len(l.ops) > 0 {
			l.out = l.ops[len(l.ops)-1]
			l.Output, l.Kind = l.out.Shape(), graphs.OpKind(l.out)
		}
	}
	return f
}

// forwardNodes lists the nodes the loss depends on (all nodes without a loss), in ID order,
// which is topological: Gorgonia numbers a node after its inputs. Gradient nodes are left
// out: none of them feeds the loss.
func forwardNodes(g *G.ExprGraph, loss *G.Node) []*G.Node {
	all := g.AllNodes()
	if loss == nil {
		return slices.Clone(all)
	}
	seen := map[*G.Node]bool{loss: true}
	stack := []*G.Node{loss}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, c := range children(g, n) {
			if !seen[c] {
				seen[c] = true
				stack = append(stack, c)
			}
		}
	}
	var fwd []*G.Node
	for _, n := range all {
		if seen[n] {
			fwd = append(fwd, n)
		}
	}
	slices.SortFunc(fwd, func(a, b *G.Node) int { return int(a.ID() - b.ID()) })
	return fwd
}

// children are the input nodes of n.
func children(g *G.ExprGraph, n *G.Node) []*G.Node {
	it := g.From(n.ID())
	var cs []*G.Node
	for it.Next() {
		cs = append(cs, it.Node().(*G.Node))
	}
	return cs
}
