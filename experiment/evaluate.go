package experiment

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/graphs"
	"github.com/gorgonet/gorgonet/models"
)

// Metrics are the results of a classifier on one split.
type Metrics struct {
	Split     string  `json:"split"`
	Examples  int     `json:"examples"`
	Loss      float64 `json:"loss"`     // mean cross-entropy
	Accuracy  float64 `json:"accuracy"` // fraction in [0, 1]
	Confusion [][]int `json:"confusion,omitempty"`
}

// Evaluator runs a classifier's evaluation graph, which shares its parameter values with the
// training graph but has its own batch size and no dropout.
type Evaluator struct {
	net   *models.Classifier
	vm    G.VM
	batch int
	x     []float32
}

// NewEvaluator builds the evaluation graph of spec on the values of params (nil: new
// values, to be restored from a checkpoint).
func NewEvaluator(spec models.Spec, params []*graphs.Param, batch int) (*Evaluator, error) {
	net, err := models.BuildClassifier(spec, models.BuildOptions{Batch: batch, Shared: params})
	if err != nil {
		return nil, err
	}
	return &Evaluator{net: net, vm: G.NewTapeMachine(net.Scope.Graph()), batch: batch, x: net.Input.Value().Data().([]float32)}, nil
}

// Close releases the machine.
func (e *Evaluator) Close() error { return e.vm.Close() }

// Params are the evaluation graph's parameters (the shared values).
func (e *Evaluator) Params() []*graphs.Param { return e.net.Params() }

// Batch is the number of examples per run.
func (e *Evaluator) Batch() int { return e.batch }

// Input is the (batch, …) input buffer that fill functions write to.
func (e *Evaluator) Input() []float32 { return e.x }

// Logits runs the graph on the input buffer as filled and returns the (batch, classes)
// logits, valid until the next run.
func (e *Evaluator) Logits() ([]float32, error) {
	e.vm.Reset() // without it the machine silently does not run again
	if err := e.vm.RunAll(); err != nil {
		return nil, fmt.Errorf("evaluation: %w", err)
	}
	return e.net.Logits.Value().Data().([]float32), nil
}

// Evaluate computes loss, accuracy and the confusion matrix of the classifier on im.
func (e *Evaluator) Evaluate(split string, im *datasets.Images, norm datasets.Normalization) (Metrics, error) {
	classes := len(im.Classes)
	m := Metrics{Split: split, Examples: im.N, Confusion: make([][]int, classes)}
	for i := range m.Confusion {
		m.Confusion[i] = make([]int, classes)
	}
	per := len(e.x) / e.batch
	idx := make([]int, 0, e.batch)
	var correct int
	for start := 0; start < im.N; start += e.batch {
		idx = idx[:0]
		for i := start; i < min(start+e.batch, im.N); i++ {
			idx = append(idx, i)
		}
		im.FillNCHW(e.x[:len(idx)*per], idx, norm)
		clear(e.x[len(idx)*per:]) // padding rows of a short last batch
		logits, err := e.Logits()
		if err != nil {
			return m, err
		}
		for r, i := range idx {
			row := logits[r*classes : (r+1)*classes]
			label := int(im.Labels[i])
			pred := argmax(row)
			m.Loss -= logSoftmaxAt(row, label)
			m.Confusion[label][pred]++
			if pred == label {
				correct++
			}
		}
	}
	if im.N > 0 {
		m.Loss /= float64(im.N)
		m.Accuracy = float64(correct) / float64(im.N)
	}
	return m, nil
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
