package experiment

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/config"
	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/models"
	"github.com/gorgonet/gorgonet/optim"
	"github.com/gorgonet/gorgonet/snapshot"
)

var mnistInfo = snapshot.DataInfo{Input: [3]int{1, 28, 28}, Classes: datasets.MNISTClasses, Norm: datasets.MNISTNorm}

func smallSpec(t *testing.T, channels ...int) (config.Experiment, models.Spec) {
	t.Helper()
	cfg := config.Default()
	c := cfg.Model.CNN()
	c.Channels, c.Hidden = channels, []int{8}
	cfg.Model.Block = c
	spec, err := ModelSpec(cfg.Model, mnistInfo)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, spec
}

// TestSaveLoadRoundTrip: a checkpoint gives back the config, data description, progress,
// weights and optimizer state it was written with.
func TestSaveLoadRoundTrip(t *testing.T) {
	cfg, spec := smallSpec(t, 2, 3)
	net, err := models.BuildClassifier(spec, models.BuildOptions{Batch: 2, Training: true, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	state := optim.State{Steps: 5, Buffers: map[string][]float32{"exp_avg/fc1.bias": {1, 2, 3, 4, 5, 6, 7, 8}}}
	prog := snapshot.Progress{Epoch: 2, Batch: 3, Step: 5, Best: 0.5, BestEpoch: 1, RNG: []byte{1, 2, 3}}
	path := filepath.Join(t.TempDir(), "c.safetensors")
	if err := snapshot.Save(path, snapshot.State{Config: cfg, Info: mnistInfo, Progress: prog, Params: net.Params(), Optimizer: state}); err != nil {
		t.Fatal(err)
	}
	l, err := snapshot.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if l.Config.Model.CNN().Channels[1] != 3 || l.Info.Classes[9] != "9" || l.Info.Norm != mnistInfo.Norm {
		t.Errorf("config or data description changed: %+v %+v", l.Config.Model, l.Info)
	}
	if l.Progress.Step != 5 || l.Progress.Batch != 3 || !slices.Equal(l.Progress.RNG, prog.RNG) {
		t.Errorf("progress: got %+v, want %+v", l.Progress, prog)
	}
	got, err := l.OptimizerState()
	if err != nil || got.Steps != 5 || !slices.Equal(got.Buffers["exp_avg/fc1.bias"], state.Buffers["exp_avg/fc1.bias"]) {
		t.Errorf("optimizer state: got %+v, %v", got, err)
	}
	other, err := models.BuildClassifier(spec, models.BuildOptions{Batch: 5, Seed: 99})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.RestoreParams(other.Params()); err != nil {
		t.Fatal(err)
	}
	for i, p := range other.Params() {
		if !slices.Equal(p.Value.Data().([]float32), net.Params()[i].Value.Data().([]float32)) {
			t.Errorf("%s: restored weights differ", p.Name)
		}
	}
}

// TestRestoreRefusesAnotherModel: weights of another architecture are refused by name or
// shape, with the checkpoint's path in the message.
func TestRestoreRefusesAnotherModel(t *testing.T) {
	cfg, spec := smallSpec(t, 2, 3)
	net, _ := models.BuildClassifier(spec, models.BuildOptions{Batch: 1})
	path := filepath.Join(t.TempDir(), "c.safetensors")
	if err := snapshot.Save(path, snapshot.State{Config: cfg, Info: mnistInfo, Params: net.Params()}); err != nil {
		t.Fatal(err)
	}
	l, err := snapshot.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		channels []int
		want     string
	}{
		{"wider conv", []int{4, 3}, "conv1.weight"},
		{"one conv block", []int{2}, "another model"},
		{"three conv blocks", []int{2, 3, 4}, "conv3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, spec := smallSpec(t, tt.channels...)
			other, _ := models.BuildClassifier(spec, models.BuildOptions{Batch: 1})
			err := l.RestoreParams(other.Params())
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("got %v, want an error naming %s and %q", err, path, tt.want)
			}
		})
	}
}

func TestModelSpecErrors(t *testing.T) {
	m := config.Default().Model
	m.Kind = "rnn"
	if _, err := ModelSpec(m, mnistInfo); err == nil || !strings.Contains(err.Error(), `model.kind: unknown model "rnn" (known: cnn, gru, lstm, transformer)`) {
		t.Errorf("unknown kind: %v", err)
	}
	m = config.Default().Model
	c := m.CNN()
	c.Channels = []int{8, 8, 8, 8, 8}
	m.Block = c
	if _, err := ModelSpec(m, mnistInfo); err == nil || !strings.Contains(err.Error(), "model.cnn") {
		t.Errorf("a CNN too deep for 28×28: %v", err)
	}
}

// TestFormat1CheckpointStillLoads opens a checkpoint written before configs held only their
// kind's block, and evaluates it.
func TestFormat1CheckpointStillLoads(t *testing.T) {
	m, err := OpenModel("testdata/gorgonet1-mnist-cnn.safetensors", "", 100)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if c := m.Checkpoint.Config.Model; c.Kind != "cnn" || !slices.Equal(c.CNN().Channels, []int{2}) {
		t.Errorf("model = %+v, want cnn with channels [2]", c)
	}
	got, err := m.Evaluate(context.Background(), "test", EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Examples != 10000 || got.Accuracy <= 0 || got.Accuracy > 1 {
		t.Errorf("test metrics = %+v", got)
	}
}

// TestDataSets: every data set of the registry says what it is and loads as a task; the
// image sets carry their own normalisation, and only text sets name units.
func TestDataSets(t *testing.T) {
	for name, set := range DataSets {
		if set.About == "" || set.Task == nil {
			t.Errorf("DataSets[%q] = %+v, want a description and a task", name, set)
		}
	}
	for name, norm := range map[string]datasets.Normalization{"mnist": datasets.MNISTNorm, "fashion-mnist": datasets.FashionMNISTNorm} {
		cfg := config.Default()
		cfg.Data.Name, cfg.Data.Limit = name, 100
		task, err := LoadTask(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if info := task.Info(); info.Norm != norm || len(info.Classes) != 10 || len(DataSets[name].Units) != 0 {
			t.Errorf("%s: norm %v, %d classes, units %v; want norm %v, 10 classes, no units", name, info.Norm, len(info.Classes), DataSets[name].Units, norm)
		}
	}
}
