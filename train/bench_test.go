package train

import (
	"fmt"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/graphs"
	"github.com/gorgonet/gorgonet/models"
	"github.com/gorgonet/gorgonet/optim"
)

// BenchmarkCNNStep times the "cnn" training step of the benchmark suite (BENCHMARKS.md): the reference CNN,
// batch 64, float32, random 28×28 images, forward + backward + Adam. Compare with
// `/usr/bin/python3 scripts/bench/pytorch_reference.py --models cnn` in the same session.
func BenchmarkCNNStep(b *testing.B) {
	const batch = 64
	r := rand.New(rand.NewPCG(0, 0))
	im := &datasets.Images{N: batch, Rows: 28, Cols: 28, Pixels: make([]byte, batch*28*28), Labels: make([]uint8, batch), Classes: datasets.MNISTClasses}
	for i := range im.Pixels {
		im.Pixels[i] = byte(r.IntN(256))
	}
	for i := range im.Labels {
		im.Labels[i] = uint8(r.IntN(10))
	}
	net, err := models.BuildClassifier(models.CNNSpec(models.DefaultCNN()), models.BuildOptions{Batch: batch, Training: true})
	if err != nil {
		b.Fatal(err)
	}
	sched, _ := optim.NewSchedule(optim.ScheduleConfig{Name: "constant"}, 1e-3, b.N)
	st, err := NewStepper(oneGraph(net.Graph), StepperConfig{Optimizer: optim.Config{Name: "adam", LR: 1e-3}, Schedule: sched})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	idx := make([]int, batch)
	for i := range idx {
		idx[i] = i
	}
	fill := imageBatch(net, im, datasets.Normalization{})
	warmUp(b, st, fill(idx))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := st.Step(fill(idx)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
}

// imageBatch returns a function that writes the examples idx of im as a batch for net, in
// buffers allocated once.
func imageBatch(net *models.Classifier, im *datasets.Images, norm datasets.Normalization) func(idx []int) models.Batch {
	batch := net.NewBatch()
	labels := make([]int, net.Input.Shape()[0])
	return func(idx []int) models.Batch {
		im.FillNCHW(batch.Inputs["input"], idx, norm)
		for i, j := range idx {
			labels[i] = int(im.Labels[j])
		}
		graphs.FillTargets(batch.Inputs["targets"], labels, len(idx), net.Targets.Shape()[1])
		return batch
	}
}

// oneGraph is the GraphBuilder of a model trained on one graph, g.
func oneGraph(g *models.Graph) GraphBuilder {
	return func(int, []*graphs.Param) (*models.Graph, error) { return g, nil }
}

// benchStep times training steps of g on inputs filled once with random data, as the
// PyTorch reference does: forward + backward + Adam. The inputs go in as a batch, copied into
// the graph at every step as in training.
func benchStep(b *testing.B, g *models.Graph) {
	batch := g.NewBatch()
	for name, n := range g.Scope.Inputs() {
		copy(batch.Inputs[name], graphs.Float32s(n))
	}
	sched, _ := optim.NewSchedule(optim.ScheduleConfig{Name: "constant"}, 1e-3, b.N)
	st, err := NewStepper(oneGraph(g), StepperConfig{Optimizer: optim.Config{Name: "adam", LR: 1e-3}, Schedule: sched})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	warmUp(b, st, batch)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := st.Step(batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
}

// warmUp takes the steps that allocate the graph's buffers before the timed ones, as the
// PyTorch reference times steps after 5 of warm-up, so that allocations per step are the
// steady state's.
func warmUp(b *testing.B, st *Stepper, batch models.Batch) {
	for range 3 {
		if _, err := st.Step(batch); err != nil {
			b.Fatal(err)
		}
	}
}

// randomClassifierInputs fills x with values from fn, the mask (if any) with ones and the
// targets with the weighted one-hot rows of random labels.
func randomClassifierInputs(net *models.Classifier, r *rand.Rand, fn func() float32) {
	for i, x := 0, net.Input.Value().Data().([]float32); i < len(x); i++ {
		x[i] = fn()
	}
	if net.Mask != nil {
		for i, m := 0, net.Mask.Value().Data().([]float32); i < len(m); i++ {
			m[i] = 1
		}
	}
	batch, classes := net.Targets.Shape()[0], net.Targets.Shape()[1]
	labels := make([]int, batch)
	for i := range labels {
		labels[i] = r.IntN(classes)
	}
	graphs.FillTargets(net.Targets.Value().Data().([]float32), labels, batch, classes)
}

// BenchmarkLSTMStep times the "lstm1" and "lstm2" steps of DESIGN.md's suite: an LSTM of 1 or
// 2 layers, hidden 128, over 28 steps of 28 values, fc →10 on the last step, batch 64.
// Compare with `pytorch_reference.py --models lstm1,lstm2` in the same session.
func BenchmarkLSTMStep(b *testing.B) {
	for _, name := range []string{"lstm1", "lstm2"} {
		b.Run(name, func(b *testing.B) { benchSuiteStep(b, name) })
	}
}

// benchLSTM is the suite's "lstm1" or "lstm2" model (layers 1 or 2).
func benchLSTM(layers int) models.RecurrentConfig {
	return models.RecurrentConfig{Cell: models.LSTM, Steps: 28, Features: 28, Hidden: 128, Layers: layers, Classes: 10}
}

// benchLayer is the Transformer layer size of the suite: d 64, 4 heads, ff 256, no dropout.
var benchLayer = graphs.LayerConfig{Dim: 64, Heads: 4, FF: 256}

// benchTFEnc and benchSeq2Seq are the suite's "tfenc" and "seq2seq" models.
var (
	benchTFEnc   = models.TransformerConfig{SourceVocab: 1000, SourceLen: 32, Layer: benchLayer, EncoderLayers: 2, Classes: 10}
	benchSeq2Seq = models.TransformerConfig{SourceVocab: 1000, TargetVocab: 1000, SourceLen: 32, TargetLen: 32,
		Layer: benchLayer, EncoderLayers: 2, DecoderLayers: 2}
)

// BenchmarkTransformerStep times the "tfenc" step (embedding 1000×64 + positions, 2 encoder
// layers, mean-pool, fc →10, sequence 32, batch 32) and the "seq2seq" step (2+2
// encoder-decoder, vocabulary 1000, sequences of 32, causal target mask, batch 32).
func BenchmarkTransformerStep(b *testing.B) {
	for _, name := range []string{"tfenc", "seq2seq"} {
		b.Run(name, func(b *testing.B) { benchSuiteStep(b, name) })
	}
}

func benchSuiteStep(b *testing.B, name string) {
	g, err := suiteGraph(name)
	if err != nil {
		b.Fatal(err)
	}
	benchStep(b, g)
}

// suiteGraph builds the training graph of the suite's step name (lstm1, lstm2, tfenc,
// seq2seq, cnn) with its inputs filled with seeded random data.
func suiteGraph(name string) (*models.Graph, error) {
	r := rand.New(rand.NewPCG(0, 0))
	classifier := func(spec models.Spec, batch int, fn func() float32) (*models.Graph, error) {
		net, err := models.BuildClassifier(spec, models.BuildOptions{Batch: batch, Training: true})
		if err != nil {
			return nil, err
		}
		randomClassifierInputs(net, r, fn)
		return net.Graph, nil
	}
	normal := func() float32 { return float32(r.NormFloat64()) }
	switch name {
	case "cnn":
		return classifier(models.CNNSpec(models.DefaultCNN()), 64, func() float32 { return r.Float32() })
	case "lstm1", "lstm2":
		return classifier(models.RecurrentSpec(benchLSTM(int(name[4]-'0'))), 64, normal)
	case "tfenc":
		return classifier(models.TransformerSpec(benchTFEnc), 32, func() float32 { return float32(r.IntN(1000)) })
	case "seq2seq":
		return seq2seqGraph(r)
	}
	return nil, fmt.Errorf("no suite step %q", name)
}

func seq2seqGraph(r *rand.Rand) (*models.Graph, error) {
	m, err := models.BuildSeq2Seq(benchSeq2Seq, models.BuildOptions{Batch: 32, Training: true})
	if err != nil {
		return nil, err
	}
	fillSeq2Seq(m, r, false)
	return m.Graph, nil
}

// fillSeq2Seq fills m's inputs with random token ids and targets from r, every source token
// real, or about a quarter of them padding.
func fillSeq2Seq(m *models.Seq2Seq, r *rand.Rand, padding bool) {
	vocab := m.Logits.Shape()[1]
	for _, n := range []*G.Node{m.Source, m.TargetIn} {
		for i, x := 0, graphs.Float32s(n); i < len(x); i++ {
			x[i] = float32(r.IntN(vocab))
		}
	}
	for i, x := 0, graphs.Float32s(m.SourceMask); i < len(x); i++ {
		x[i] = 1
		if padding {
			x[i] = float32(min(1, r.IntN(4)))
		}
	}
	labels, weights := graphs.Float32s(m.Labels), graphs.Float32s(m.Weights)
	for i := range labels {
		labels[i], weights[i] = float32(r.IntN(vocab)), 1/float32(len(labels))
	}
}
