package config

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestSet(t *testing.T) {
	tests := []struct {
		kv   string
		want func(e *Experiment)
	}{
		{"train.epochs=1", func(e *Experiment) { e.Train.Epochs = 1 }},
		{"train.optimizer.lr=1e-2", func(e *Experiment) { e.Train.Optimizer.LR = 0.01 }},
		{"train.optimizer.lr=1", func(e *Experiment) { e.Train.Optimizer.LR = 1 }},
		{"train.optimizer.nesterov=true", func(e *Experiment) { e.Train.Optimizer.Nesterov = true }},
		{"model.cnn.channels=[16,32]", func(e *Experiment) { cnn(e, func(c *CNN) { c.Channels = []int{16, 32} }) }},
		{"model.cnn.hidden=[]", func(e *Experiment) { cnn(e, func(c *CNN) { c.Hidden = []int{} }) }},
		{"data.name=fashion-mnist", func(e *Experiment) { e.Data.Name = "fashion-mnist" }},
		{"data.path=/tmp/a=b", func(e *Experiment) { e.Data.Path = "/tmp/a=b" }},
		{"name=#1 run", func(e *Experiment) { e.Name = "#1 run" }},
		{"seed=42", func(e *Experiment) { e.Seed = 42 }},
		{"train.optimizer={name: sgd, momentum: 0.9}", func(e *Experiment) {
			e.Train.Optimizer.Name, e.Train.Optimizer.Momentum = "sgd", 0.9
		}},
	}
	for _, tt := range tests {
		t.Run(tt.kv, func(t *testing.T) {
			got, want := Default(), Default()
			tt.want(&want)
			if err := got.Set(tt.kv); err != nil {
				t.Fatalf("Set(%q): %v", tt.kv, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Set(%q) = %+v, want %+v", tt.kv, got, want)
			}
		})
	}
}

func TestSetErrors(t *testing.T) {
	tests := []struct{ kv, want string }{
		{"train.epoch=3", `--set train.epoch=3: unknown key "train.epoch" (did you mean train.epochs?)`},
		{"lr=0.1", `--set lr=0.1: unknown key "lr" (did you mean train.optimizer.lr?)`},
		{"train.batchsize=3", `--set train.batchsize=3: unknown key "train.batchsize" (did you mean train.batch_size?)`},
		{"zzzzzz=1", `--set zzzzzz=1: unknown key "zzzzzz"`},
		{"train.epochs=abc", `--set train.epochs=abc: train.epochs must be an integer`},
		{"train.epochs=1.5", `--set train.epochs=1.5: train.epochs must be an integer`},
		{"train.epochs=", `--set train.epochs=: train.epochs must be an integer`},
		{"seed=-1", `--set seed=-1: seed must be a non-negative integer`},
		{"train.optimizer.lr=fast", `--set train.optimizer.lr=fast: train.optimizer.lr must be a number`},
		{"train.optimizer.nesterov=1", `--set train.optimizer.nesterov=1: train.optimizer.nesterov must be true or false`},
		{"model.cnn.channels=16", `--set model.cnn.channels=16: model.cnn.channels must be a list of integers`},
		{"model.cnn.channels=[16,x]", `--set model.cnn.channels=[16,x]: model.cnn.channels[1] must be an integer`},
		{"model.cnn.channels=[16", `--set model.cnn.channels=[16: model.cnn.channels is not valid YAML: did not find expected ',' or ']'`},
		{"train.optimizer=adam", `--set train.optimizer=adam: train.optimizer must be a mapping of keys`},
		{"train.optimizer={lr: x}", `--set train.optimizer={lr: x}: train.optimizer.lr must be a number`},
		{"train.optimizer={betta1: 0.8}", `--set train.optimizer={betta1: 0.8}: unknown key "train.optimizer.betta1" (did you mean train.optimizer.beta1?)`},
		{"train.epochs", `--set train.epochs: want key=value, e.g. --set train.epochs=1`},
	}
	for _, tt := range tests {
		t.Run(tt.kv, func(t *testing.T) {
			e := Default()
			err := e.Set(tt.kv)
			if got := errString(err); got != tt.want {
				t.Errorf("Set(%q) error = %q, want %q", tt.kv, got, tt.want)
			}
			if !reflect.DeepEqual(e, Default()) {
				t.Errorf("Set(%q) failed but changed the experiment: %+v", tt.kv, e)
			}
		})
	}
}

func TestSetAfterLoad(t *testing.T) {
	e, _, err := Load("mnist-cnn")
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range []string{"train.epochs=1", "data.limit=512", "model.cnn.channels=[8]"} {
		if err := e.Set(kv); err != nil {
			t.Fatalf("Set(%q): %v", kv, err)
		}
	}
	if err := e.Validate(); err != nil {
		t.Fatal(err)
	}
	if e.Train.Epochs != 1 || e.Data.Limit != 512 || !slices.Equal(e.Model.CNN().Channels, []int{8}) {
		t.Errorf("after Set: epochs %d, limit %d, channels %v; want 1, 512, [8]", e.Train.Epochs, e.Data.Limit, e.Model.CNN().Channels)
	}
	if e.Train.Schedule.Name != "cosine" {
		t.Errorf("Set lost a loaded value: schedule %q, want cosine", e.Train.Schedule.Name)
	}
}

func TestKeys(t *testing.T) {
	keys := Keys()
	for _, want := range []string{"name", "seed", "data.limit", "data.path", "model.kind", "model.cnn.channels",
		"train.epochs", "train.batch_size", "train.optimizer.name", "train.optimizer.lr", "train.schedule.min_lr"} {
		if !slices.Contains(keys, want) {
			t.Errorf("Keys() lacks %q", want)
		}
	}
	if !slices.IsSorted(keys) {
		t.Errorf("Keys() is not sorted: %v", keys)
	}
	for _, k := range keys {
		e := Default()
		v, key := reflect.ValueOf(e), k
		if kind, rest, ok := strings.Cut(strings.TrimPrefix(k, "model."), "."); ok && strings.HasPrefix(k, "model.") {
			if err := e.Set("model.kind=" + kind); err != nil {
				t.Fatal(err)
			}
			v, key = reflect.ValueOf(e.Model.Block), rest
		}
		if _, ok := lookup(v, key); !ok && k != "model.kind" {
			t.Errorf("key %q from Keys() does not resolve", k)
		}
	}
	if slices.Contains(keys, "train.optimizer") {
		t.Errorf("Keys() lists the section train.optimizer; want only leaves")
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"epoch", "epochs", 1}, {"batchsize", "batch_size", 1}, {"kitten", "sitting", 3}, {"lr", "", 2},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
