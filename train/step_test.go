package train

import (
	"context"
	"testing"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/experiment"
	"github.com/gorgonet/gorgonet/models"
	"github.com/gorgonet/gorgonet/optim"
)

func tinyMNIST(t testing.TB) *datasets.Images {
	t.Helper()
	train, _, err := datasets.LoadMNIST("")
	if err != nil {
		t.Fatal(err)
	}
	return train.Limit(512)
}

// TestStepperLearns trains the reference CNN for a few steps on real MNIST images and checks
// the loss falls and that the evaluation graph sees the updated weights.
func TestStepperLearns(t *testing.T) {
	im := tinyMNIST(t)
	spec := models.CNNSpec(models.DefaultCNN())
	net, err := models.BuildClassifier(spec, models.BuildOptions{Batch: 32, Training: true, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	sched, _ := optim.NewSchedule(optim.ScheduleConfig{Name: "constant"}, 1e-3, 100)
	st, err := NewStepper(oneGraph(net.Graph), StepperConfig{Optimizer: optim.Config{Name: "adam", LR: 1e-3}, Schedule: sched, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ev, err := experiment.NewClassifierEvaluator(spec, net.Params(), 128)
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	before, err := ev.EvaluateImages(context.Background(), "train", im, datasets.MNISTNorm)
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int, 32)
	batch := imageBatch(net, im, datasets.MNISTNorm)
	var first, last float64
	for step := 0; step < 30; step++ {
		for i := range idx {
			idx[i] = (step*32 + i) % im.N
		}
		r, err := st.Step(batch(idx))
		if err != nil {
			t.Fatal(err)
		}
		if step == 0 {
			first = r.Loss
		}
		last = r.Loss
	}
	after, err := ev.EvaluateImages(context.Background(), "train", im, datasets.MNISTNorm)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loss %.3f → %.3f; eval loss %.3f → %.3f, accuracy %.3f → %.3f", first, last, before.Loss, after.Loss, before.Accuracy, after.Accuracy)
	if last > first/2 {
		t.Errorf("training loss went from %.3f to %.3f in 30 steps, want at least halved", first, last)
	}
	if after.Accuracy < 0.7 || after.Loss >= before.Loss {
		t.Errorf("evaluation graph: accuracy %.3f, loss %.3f → %.3f; it does not see the trained weights", after.Accuracy, before.Loss, after.Loss)
	}
}
