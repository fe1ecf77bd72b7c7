package experiment

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	G "gorgonia.org/gorgonia"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/graphs"
	"github.com/gorgonet/gorgonet/models"
)

// ClassifierEvaluator runs a classifier's evaluation graph, which shares its parameter values
// with the training graph but has its own batch size and no dropout.
type ClassifierEvaluator struct {
	net   *models.Classifier
	vm    G.VM
	batch int
	in    models.Batch // written through Input and Mask, filled into the graph by Logits
}

// NewClassifierEvaluator builds the evaluation graph of spec on the values of params (nil: new
// values, to be restored from a checkpoint).
func NewClassifierEvaluator(spec models.Spec, params []*graphs.Param, batch int) (*ClassifierEvaluator, error) {
	net, err := models.BuildClassifier(spec, models.BuildOptions{Batch: batch, Shared: params})
	if err != nil {
		return nil, err
	}
	return &ClassifierEvaluator{net: net, vm: newMachine(net.Graph), batch: batch, in: net.NewBatch()}, nil
}

// Close releases the machine.
func (e *ClassifierEvaluator) Close() error { return e.vm.Close() }

// Params are the evaluation graph's parameters (the shared values).
func (e *ClassifierEvaluator) Params() []*graphs.Param { return e.net.Params() }

// Batch is the number of examples per run.
func (e *ClassifierEvaluator) Batch() int { return e.batch }

// Input is the (batch, …) input buffer of the evaluator's batch, which fill functions write to.
func (e *ClassifierEvaluator) Input() []float32 { return e.in.Inputs["input"] }

// Mask is the (batch, steps) mask buffer of sequence inputs, nil for others.
func (e *ClassifierEvaluator) Mask() []float32 { return e.in.Inputs["mask"] }

// Logits runs the graph on the batch as written and returns the (batch, classes) logits,
// valid until the next run.
func (e *ClassifierEvaluator) Logits() ([]float32, error) {
	if err := e.net.Fill(e.in); err != nil {
		return nil, err
	}
	e.vm.Reset() // without it the machine silently does not run again
	if err := e.vm.RunAll(); err != nil {
		return nil, fmt.Errorf("evaluation: %w", err)
	}
	return graphs.Float32s(e.net.Logits), nil
}

// EvaluateImages computes loss, accuracy and the confusion matrix of an image classifier on im.
func (e *ClassifierEvaluator) EvaluateImages(ctx context.Context, split string, im *datasets.Images, norm datasets.Normalization) (Metrics, error) {
	return e.evaluateImages(ctx, split, im, norm, 0)
}

// evaluateImages is EvaluateImages keeping the keep most confident mistakes.
func (e *ClassifierEvaluator) evaluateImages(ctx context.Context, split string, im *datasets.Images, norm datasets.Normalization, keep int) (Metrics, error) {
	x := e.Input()
	per := len(x) / e.batch
	fill := func(idx []int) {
		im.FillNCHW(x[:len(idx)*per], idx, norm)
		clear(x[len(idx)*per:]) // padding rows of a short last batch
	}
	return e.evaluate(ctx, split, im.N, len(im.Classes), fill, func(i int) int { return int(im.Labels[i]) }, keep)
}

// Evaluate computes loss, accuracy and the confusion matrix over examples 0..n-1, which fill
// writes into the input buffers a batch at a time, until ctx is done.
func (e *ClassifierEvaluator) Evaluate(ctx context.Context, split string, n, classes int, fill func(idx []int), label func(i int) int) (Metrics, error) {
	return e.evaluate(ctx, split, n, classes, fill, label, 0)
}

// evaluate is Evaluate keeping the keep most confident mistakes in m.Mistakes.
func (e *ClassifierEvaluator) evaluate(ctx context.Context, split string, n, classes int, fill func(idx []int), label func(i int) int, keep int) (Metrics, error) {
	m := Metrics{Split: split, Examples: n, Confusion: make([][]int, classes)}
	for i := range m.Confusion {
		m.Confusion[i] = make([]int, classes)
	}
	idx := make([]int, 0, e.batch)
	var correct int
	for start := 0; start < n; start += e.batch {
		if err := interrupted(ctx, start, n, "examples"); err != nil {
			return m, err
		}
		idx = idx[:0]
		for i := start; i < min(start+e.batch, n); i++ {
			idx = append(idx, i)
		}
		fill(idx)
		logits, err := e.Logits()
		if err != nil {
			return m, err
		}
		for r, i := range idx {
			row := logits[r*classes : (r+1)*classes]
			y := label(i)
			pred := argmax(row)
			m.Loss -= logSoftmaxAt(row, y)
			m.Confusion[y][pred]++
			if pred == y {
				correct++
			} else if keep > 0 {
				m.Mistakes = keepConfident(m.Mistakes, keep, Mistake{Index: i, Label: y, Predicted: pred, Probability: math.Exp(logSoftmaxAt(row, pred))})
			}
		}
	}
	slices.SortFunc(m.Mistakes, func(a, b Mistake) int {
		return cmp.Or(cmp.Compare(b.Probability, a.Probability), cmp.Compare(a.Index, b.Index))
	})
	if n > 0 {
		m.Loss /= float64(n)
		m.Accuracy = float64(correct) / float64(n)
	}
	return m, nil
}

// keepConfident adds x to the at most keep mistakes of ms, dropping the least confident
// when they are too many; ties keep the earlier example.
func keepConfident(ms []Mistake, keep int, x Mistake) []Mistake {
	if len(ms) < keep {
		return append(ms, x)
	}
	least := 0
	for i, m := range ms {
		if m.Probability < ms[least].Probability {
			least = i
		}
	}
	if x.Probability > ms[least].Probability {
		ms[least] = x
	}
	return ms
}

func argmax(row []float32) int {
	best := 0
	for i, v := range row {
		if v > row[best] {
			best = i
		}
	}
	return best
}

// logSoftmaxAt is log softmax(row)[k], computed stably in float64.
func logSoftmaxAt(row []float32, k int) float64 {
	mx := float64(row[argmax(row)])
	var sum float64
	for _, v := range row {
		sum += math.Exp(float64(v) - mx)
	}
	return float64(row[k]) - mx - math.Log(sum)
}

// Softmax writes softmax(row) into dst.
func Softmax(dst []float64, row []float32) {
	mx := float64(row[argmax(row)])
	var sum float64
	for i, v := range row {
		dst[i] = math.Exp(float64(v) - mx)
		sum += dst[i]
	}
	for i := range dst {
		dst[i] /= sum
	}
}

// newMachine compiles an evaluation machine for g: a graphs.Program, which computes what
// Gorgonia's tape machine would without its allocations per op.
func newMachine(g *models.Graph) G.VM {
	p, err := graphs.Compile(g.Scope.Graph())
	return &machine{p: p, err: err}
}

// machine is a graphs.Program as a G.VM.
type machine struct {
	p   *graphs.Program
	err error // from compiling
}

func (m *machine) RunAll() error {
	if m.err != nil {
		return m.err
	}
	return m.p.Run()
}

func (m *machine) Reset()       {}
func (m *machine) Close() error { return nil }

// SharesBuffers is an evaluator whose graph can take its buffers from the training graphs'
// arena: validation runs between training steps, and needs none of their buffers.
type SharesBuffers interface {
	UseArena(a *graphs.Arena)
}

// useArena gives vm's program the arena a, before its first run.
func useArena(vm G.VM, a *graphs.Arena) {
	if m, ok := vm.(*machine); ok && m.err == nil {
		m.p.UseArena(a)
	}
}

// UseArena: see SharesBuffers.
func (e *ClassifierEvaluator) UseArena(a *graphs.Arena) { useArena(e.vm, a) }
