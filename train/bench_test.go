package train

import (
	"math/rand/v2"
	"testing"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/graphs"
	"github.com/gorgonet/gorgonet/models"
	"github.com/gorgonet/gorgonet/optim"
)

// BenchmarkCNNStep times the "cnn" training step of DESIGN.md's suite: the reference CNN,
// batch 64, float32, random 28×28 images, forward + backward + Adam. Compare with
// `/usr/bin/python3 ../shared/bench/pytorch_reference.py --models cnn` in the same session.
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
	st, err := NewStepper(net.Graph, StepperConfig{Optimizer: optim.Config{Name: "adam", LR: 1e-3}, Schedule: sched})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	idx := make([]int, batch)
	for i := range idx {
		idx[i] = i
	}
	fill := imageFill(net, im, datasets.Normalization{}, idx)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := st.Step(fill); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
}

// imageFill returns a fill function that writes the examples idx of im into net's inputs.
func imageFill(net *models.Classifier, im *datasets.Images, norm datasets.Normalization, idx []int) func() error {
	x, tgt := net.Input.Value().Data().([]float32), net.Targets.Value().Data().([]float32)
	labels := make([]int, len(idx))
	return func() error {
		im.FillNCHW(x, idx, norm)
		for i, j := range idx {
			labels[i] = int(im.Labels[j])
		}
		graphs.FillTargets(tgt, labels, len(idx), net.Targets.Shape()[1])
		return nil
	}
}
