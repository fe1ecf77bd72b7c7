package models

import (
	"encoding/json"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graphs"
	"github.com/gorgonet/gorgonet/internal/golden"
)

// TestCNNGolden checks logits, loss and every parameter gradient against the PyTorch module
// of testdata/gen_cnn_golden.py, with the same parameter values.
func TestCNNGolden(t *testing.T) {
	cases, err := golden.Load("testdata/cnn_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"small", "mnist_shape_no_hidden"} {
		t.Run(name, func(t *testing.T) {
			gc := cases[name]
			var cfgJSON struct {
				Channels, Hidden []int
				Kernel, Classes  int
				Input            []int
				Batch            int
			}
			if err := json.Unmarshal(gc.Config, &cfgJSON); err != nil {
				t.Fatal(err)
			}
			cfg := CNNConfig{Input: [3]int(cfgJSON.Input), Classes: cfgJSON.Classes, Channels: cfgJSON.Channels,
				Kernel: cfgJSON.Kernel, Hidden: cfgJSON.Hidden}
			c, err := BuildClassifier(CNNSpec(cfg), BuildOptions{Batch: cfgJSON.Batch, Training: true, Dtype: tensor.Float64})
			if err != nil {
				t.Fatal(err)
			}
			copy(c.Input.Value().Data().([]float64), gc.Tensors["x"].Data)
			labels := make([]int, cfgJSON.Batch)
			for i, l := range gc.Tensors["labels"].Data {
				labels[i] = int(l)
			}
			graphs.FillTargets(c.Targets.Value().Data().([]float64), labels, cfgJSON.Batch, cfg.Classes)
			for _, p := range c.Params() {
				want, ok := gc.Tensors[p.Name]
				if !ok {
					t.Fatalf("parameter %s is not in the PyTorch state_dict", p.Name)
				}
				if !tensor.Shape(p.Shape).Eq(tensor.Shape(want.Shape)) {
					t.Fatalf("%s: PyTorch shape %v, ours %v", p.Name, want.Shape, p.Shape)
				}
				copy(p.Value.Data().([]float64), want.Data)
			}
			vm := G.NewTapeMachine(c.Scope.Graph(), G.BindDualValues(c.ParamNodes()...))
			defer vm.Close()
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			check := func(what string, got []float64) {
				if err := golden.Compare(what, got, gc.Tensors[what].Data, 1e-9); err != nil {
					t.Error(err)
				}
			}
			check("logits", c.Logits.Value().Data().([]float64))
			check("loss", []float64{c.Loss.Value().Data().(float64)})
			for _, p := range c.Params() {
				g, err := p.Node.Grad()
				if err != nil {
					t.Fatal(err)
				}
				check("grad."+p.Name, g.Data().([]float64))
			}
		})
	}
}

// TestDefaultCNNMatchesReference pins the default CNN to the PyTorch reference MnistCNN of
// scripts/bench/pytorch_reference.py: names, shapes and the flatten size computed from the input.
func TestDefaultCNNMatchesReference(t *testing.T) {
	want := map[string][]int{
		"conv1.weight": {32, 1, 3, 3}, "conv1.bias": {32},
		"conv2.weight": {64, 32, 3, 3}, "conv2.bias": {64},
		"fc1.weight": {128, 3136}, "fc1.bias": {128},
		"fc2.weight": {10, 128}, "fc2.bias": {10},
	}
	cfg := DefaultCNN()
	if got := cfg.FlattenSize(); got != 3136 {
		t.Errorf("FlattenSize: got %d, want 3136 (64·7·7)", got)
	}
	c, err := BuildClassifier(CNNSpec(cfg), BuildOptions{Batch: 4})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Logits.Shape(); !got.Eq(tensor.Shape{4, 10}) {
		t.Errorf("logits shape %v, want (4, 10)", got)
	}
	if len(c.Params()) != len(want) {
		t.Errorf("got %d parameters, want %d", len(c.Params()), len(want))
	}
	for _, p := range c.Params() {
		if w, ok := want[p.Name]; !ok || !tensor.Shape(p.Shape).Eq(tensor.Shape(w)) {
			t.Errorf("%s %v: want %v", p.Name, p.Shape, w)
		}
	}
}

func TestCNNValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*CNNConfig)
		want   string
	}{
		{"default ok", func(*CNNConfig) {}, ""},
		{"even kernel", func(c *CNNConfig) { c.Kernel = 4 }, "kernel"},
		{"no conv", func(c *CNNConfig) { c.Channels = nil }, "channels"},
		{"one class", func(c *CNNConfig) { c.Classes = 1 }, "classes"},
		{"dropout 1", func(c *CNNConfig) { c.Dropout = 1 }, "dropout"},
		{"zero hidden", func(c *CNNConfig) { c.Hidden = []int{0} }, "positive"},
		{"too many pools", func(c *CNNConfig) { c.Channels = []int{8, 8, 8, 8, 8} }, "to nothing"},
		{"bad input", func(c *CNNConfig) { c.Input = [3]int{1, 0, 28} }, "input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultCNN()
			tt.mutate(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("got error %v, want none", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}

func TestTrainingGraphHasDropoutMasks(t *testing.T) {
	cfg := DefaultCNN()
	cfg.Dropout = 0.5
	train, err := BuildClassifier(CNNSpec(cfg), BuildOptions{Batch: 2, Training: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(train.Scope.Masks()); n != 2 {
		t.Errorf("training graph has %d dropout masks, want 2 (before fc1 and fc2)", n)
	}
	eval, err := BuildClassifier(CNNSpec(cfg), BuildOptions{Batch: 8, Shared: train.Params()})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(eval.Scope.Masks()); n != 0 || eval.Loss != nil {
		t.Errorf("evaluation graph has %d masks and loss %v, want none", n, eval.Loss)
	}
}
