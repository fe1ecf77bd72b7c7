package graphs

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/gorgonet/gorgonet/internal/golden"
)

// setValue copies a fixture into a float64 node's value, checking the size.
func setValue(t *testing.T, n *G.Node, f golden.Tensor) {
	t.Helper()
	if n.Shape().TotalSize() != len(f.Data) {
		t.Fatalf("%s: shape %v, fixture %v", n.Name(), n.Shape(), f.Shape)
	}
	copy(n.Value().Data().([]float64), f.Data)
}

func loadGolden(t *testing.T, path string) map[string]golden.Case {
	t.Helper()
	cases, err := golden.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cases
}

func assertClose(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if err := golden.Compare(what, got, want, tol); err != nil {
		t.Fatal(err)
	}
}

func values(n *G.Node) []float64 {
	switch v := n.Value().(type) {
	case *G.F64:
		return []float64{float64(*v)}
	default:
		return n.Value().Data().([]float64)
	}
}

func gradOf(t *testing.T, n *G.Node) []float64 {
	t.Helper()
	g, err := n.Grad()
	if err != nil {
		t.Fatalf("grad of %s: %v", n.Name(), err)
	}
	return append([]float64(nil), g.Data().([]float64)...)
}

// weightedSum returns Σ out⊙U for a fixed random U, a scalar whose gradient w.r.t. out is U.
func weightedSum(s *Scope, out *G.Node, r *rand.Rand) (*G.Node, *G.Node) {
	if out.IsScalar() {
		return out, nil
	}
	u := s.Input("upstream", out.Shape().Clone()...)
	for i, d := 0, u.Value().Data().([]float64); i < len(d); i++ {
		d[i] = r.NormFloat64()
	}
	return must(G.Sum(must(G.HadamardProd(out, u)))), u
}

// gradCheck compares the symbolic gradients of Σ out⊙U w.r.t. wrt with central finite
// differences on up to 25 elements of each node.
func gradCheck(t *testing.T, s *Scope, out *G.Node, wrt []*G.Node) {
	t.Helper()
	r := rand.New(rand.NewPCG(7, 7))
	loss, _ := weightedSum(s, out, r)
	if _, err := G.Grad(loss, wrt...); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(s.Graph(), G.BindDualValues(wrt...))
	defer vm.Close()
	eval := func() float64 {
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		return values(loss)[0]
	}
	eval()
	// Read every gradient before perturbing: the machine accumulates gradients across runs.
	analytics := make([][]float64, len(wrt))
	for k, n := range wrt {
		analytics[k] = gradOf(t, n)
	}
	for k, n := range wrt {
		analytic := analytics[k]
		data := n.Value().Data().([]float64)
		for _, i := range sampleIndices(len(data), 25, r) {
			const eps = 1e-6
			orig := data[i]
			data[i] = orig + eps
			plus := eval()
			data[i] = orig - eps
			minus := eval()
			data[i] = orig
			numeric := (plus - minus) / (2 * eps)
			if d := math.Abs(numeric - analytic[i]); d > 1e-6*(1+math.Abs(numeric)) {
				t.Errorf("d loss/d %s[%d]: symbolic %.10g, finite difference %.10g", n.Name(), i, analytic[i], numeric)
			}
		}
	}
}

func sampleIndices(n, k int, r *rand.Rand) []int {
	if n <= k {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	return r.Perm(n)[:k]
}

func randomInput(s *Scope, name string, r *rand.Rand, shape ...int) *G.Node {
	x := s.Input(name, shape...)
	for i, d := 0, x.Value().Data().([]float64); i < len(d); i++ {
		d[i] = r.NormFloat64()
	}
	return x
}

func paramNodes(s *Scope) []*G.Node {
	var ns []*G.Node
	for _, p := range s.Params() {
		ns = append(ns, p.Node)
	}
	return ns
}

// runReused runs one machine for loss once per seed, with x filled from the seed and the
// gradients of wrt cleared before each run, and returns the last run's loss and gradients.
func runReused(t *testing.T, s *Scope, x, loss *G.Node, wrt []*G.Node, seeds ...uint64) [][]float64 {
	t.Helper()
	if _, err := G.Grad(loss, wrt...); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(s.Graph(), G.BindDualValues(wrt...))
	defer vm.Close()
	for _, seed := range seeds {
		fillRandom(x, seed)
		for _, n := range wrt {
			if g, err := n.Grad(); err == nil && g != nil {
				clear(g.Data().([]float64))
			}
		}
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
	}
	got := [][]float64{slices.Clone(values(loss))}
	for _, n := range wrt {
		got = append(got, gradOf(t, n))
	}
	return got
}

func fillRandom(n *G.Node, seed uint64) {
	r := rand.New(rand.NewPCG(seed, seed))
	for i, d := 0, n.Value().Data().([]float64); i < len(d); i++ {
		d[i] = r.NormFloat64()
	}
}
