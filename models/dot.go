package models

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graphs"
)

// WriteDot draws the model as a Graphviz digraph, as Keras's plot_model does: a box per
// layer (name, kind, parameters, output shape), nested modules such as
// tf.encoder.layers.0 as clusters, the inputs and the loss as their own boxes, and an edge
// wherever one box's output reaches another's ops through parameter-free ops (activations,
// pooling, reshapes, residual additions), labelled with the shape of the tensor arriving.
func (s *Summary) WriteDot(w io.Writer) error {
	f := s.flow
	var b strings.Builder
	b.WriteString("digraph model {\n  rankdir=TB;\n  node [shape=box, style=\"rounded,filled\", fillcolor=\"#eef3fb\", fontname=\"Helvetica\", fontsize=11];\n")
	b.WriteString("  edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\"];\n")
	for _, n := range f.inputNodes() {
		fmt.Fprintf(&b, "  %s [label=%s, shape=oval, fillcolor=\"#fdf2d0\"];\n", f.inputID(n), strconv.Quote(f.inputs[n]+"\n"+s.FormatShape(n.Shape())))
	}
	s.writeClusters(&b, newClusterTree(s.Layers), "  ")
	if f.loss != nil {
		fmt.Fprintf(&b, "  loss [label=%s, shape=oval, fillcolor=\"#f6dede\"];\n", strconv.Quote("loss\n"+graphs.OpKind(f.loss)))
	}
	for _, e := range f.edges() {
		fmt.Fprintf(&b, "  %s -> %s [label=%s];\n", e.from, e.to, strconv.Quote(edgeLabel(s.FormatShape(e.shape), e.via)))
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// edgeLabel is an edge's text: the ops it passes through, then the shape arriving.
func edgeLabel(shape string, via []string) string {
	if len(via) == 0 {
		return " " + shape
	}
	return " " + strings.Join(via, ", ") + "\n " + shape
}

// layerLabel is a layer's box text; path is the cluster it is drawn in.
func (s *Summary) layerLabel(l *Layer, path string) string {
	name := strings.TrimPrefix(strings.TrimPrefix(l.Name, path), ".")
	if name == "" {
		name = l.Name[strings.LastIndexByte(l.Name, '.')+1:]
	}
	return fmt.Sprintf("%s\n%s · %s params\n→ %s", name, l.Kind, thousands(int64(l.Params)), s.FormatShape(l.Output))
}

// clusterTree is the module hierarchy of the layers: a cluster per module path that holds
// layers and is no layer itself (self_attn.out_proj is drawn beside self_attn).
type clusterTree struct {
	path     string
	layers   []*Layer
	children []*clusterTree
}

func newClusterTree(layers []*Layer) *clusterTree {
	isLayer := map[string]bool{}
	for _, l := range layers {
		isLayer[l.Name] = true
	}
	root := &clusterTree{}
	for _, l := range layers {
		segs := moduleSegments(l.Name)
		depth := len(segs) - 1
		for depth > 0 && isLayer[strings.Join(segs[:depth], ".")] {
			depth--
		}
		c := root.at(segs[:depth])
		c.layers = append(c.layers, l)
	}
	return root
}

// at is the cluster of the module path segs, made on first use.
func (t *clusterTree) at(segs []string) *clusterTree {
	c := t
	for i := range segs {
		path := strings.Join(segs[:i+1], ".")
		j := slices.IndexFunc(c.children, func(k *clusterTree) bool { return k.path == path })
		if j < 0 {
			c.children = append(c.children, &clusterTree{path: path})
			j = len(c.children) - 1
		}
		c = c.children[j]
	}
	return c
}

// moduleSegments splits a module path at its dots, keeping an index with the list it
// indexes: tf.encoder.layers.0.norm1 is tf, encoder, layers.0, norm1.
func moduleSegments(name string) []string {
	var segs []string
	for _, p := range strings.Split(name, ".") {
		if _, err := strconv.Atoi(p); err == nil && len(segs) > 0 {
			segs[len(segs)-1] += "." + p
			continue
		}
		segs = append(segs, p)
	}
	return segs
}

func (s *Summary) writeClusters(b *strings.Builder, t *clusterTree, indent string) {
	for _, l := range t.layers {
		if l.out == nil {
			continue // parameters no forward op reads
		}
		fmt.Fprintf(b, "%s%s [label=%s];\n", indent, s.flow.layerID(l), strconv.Quote(s.layerLabel(l, t.path)))
	}
	for _, c := range t.children {
		segs := moduleSegments(c.path)
		label := segs[len(segs)-1]
		fmt.Fprintf(b, "%ssubgraph %s {\n%s  label=%s; style=\"rounded,dashed\"; color=\"#8899aa\"; fontname=\"Helvetica\"; fontsize=10;\n",
			indent, strconv.Quote("cluster_"+c.path), indent, strconv.Quote(label))
		s.writeClusters(b, c, indent+"  ")
		fmt.Fprintf(b, "%s}\n", indent)
	}
}

// dotEdge is an arrow between two boxes, with the shape of the tensor it carries.
type dotEdge struct {
	from, to string
	shape    tensor.Shape
	via      []string // parameter-free ops on the way
}

// edges finds, for every box reading tensors (layers and the loss), the boxes those tensors
// come from, looking through parameter-free ops.
func (f *dataFlow) edges() []dotEdge {
	var out []dotEdge
	seen := map[[2]string]bool{}
	memo := map[*G.Node][]reach{}
	add := func(to string, self *Layer, op *G.Node) {
		for _, c := range children(f.g, op) {
			if f.params[c] {
				continue
			}
			for _, r := range f.sources(c, memo) {
				if (self != nil && r.id == f.layerID(self)) || seen[[2]string{r.id, to}] {
					continue
				}
				seen[[2]string{r.id, to}] = true
				out = append(out, dotEdge{from: r.id, to: to, shape: c.Shape(), via: r.via})
			}
		}
	}
	for _, l := range f.layers {
		for _, op := range l.ops {
			add(f.layerID(l), l, op)
		}
	}
	if f.loss != nil {
		add("loss", nil, f.loss)
	}
	return out
}

// reach is a box whose output reaches a node, and the kinds of the parameter-free ops on
// the way that graphs.OpKind names.
type reach struct {
	id  string
	via []string
}

// sources are the boxes whose outputs reach node n: a layer owning n, an input, or those of
// n's inputs when n is a parameter-free op. Leaves that are no input (constants, dropout
// masks) have none.
func (f *dataFlow) sources(n *G.Node, memo map[*G.Node][]reach) []reach {
	if got, ok := memo[n]; ok {
		return got
	}
	var rs []reach
	switch {
	case f.owner[n] != nil:
		rs = []reach{{id: f.layerID(f.owner[n])}}
	case f.inputs[n] != "":
		rs = []reach{{id: f.inputID(n)}}
	case n.Op() != nil:
		kind := graphs.OpKind(n)
		for _, c := range children(f.g, n) {
			for _, r := range f.sources(c, memo) {
				rs = mergeReach(rs, r, kind)
			}
		}
	}
	memo[n] = rs
	return rs
}

// mergeReach adds r, passed through an op of kind, to rs.
func mergeReach(rs []reach, r reach, kind string) []reach {
	via := slices.Clone(r.via)
	if kind != "" && !slices.Contains(via, kind) {
		via = append(via, kind)
	}
	i := slices.IndexFunc(rs, func(x reach) bool { return x.id == r.id })
	if i < 0 {
		return append(rs, reach{id: r.id, via: via})
	}
	for _, k := range via {
		if !slices.Contains(rs[i].via, k) {
			rs[i].via = append(rs[i].via, k)
		}
	}
	return rs
}

func (f *dataFlow) layerID(l *Layer) string { return "layer" + strconv.Itoa(slices.Index(f.layers, l)) }
func (f *dataFlow) inputID(n *G.Node) string {
	return "input_" + strings.NewReplacer(".", "_", "-", "_").Replace(f.inputs[n])
}

// inputNodes are the inputs in the order they were made.
func (f *dataFlow) inputNodes() []*G.Node {
	var ns []*G.Node
	for n := range f.inputs {
		ns = append(ns, n)
	}
	slices.SortFunc(ns, func(a, b *G.Node) int { return int(a.ID() - b.ID()) })
	return ns
}
