package config

import (
	"math"
	"strings"
	"testing"
)

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Errorf("Default().Validate() = %v", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		key    string // must appear in the error
		mutate func(e *Experiment)
	}{
		{"name", func(e *Experiment) { e.Name = "" }},
		{"data.name", func(e *Experiment) { e.Data.Name = "" }},
		{"data.limit", func(e *Experiment) { e.Data.Limit = -1 }},
		{"data.val_fraction", func(e *Experiment) { e.Data.ValFraction = 1 }},
		{"data.val_fraction", func(e *Experiment) { e.Data.ValFraction = -0.1 }},
		{"data.units", func(e *Experiment) { e.Data.Units = "subwords" }},
		{"data.vocab_size", func(e *Experiment) { e.Data.Units, e.Data.VocabSize = "bpe", 0 }},
		{"model.kind", func(e *Experiment) { e.Model.Kind = "rnn" }},
		{"model.cnn.channels", func(e *Experiment) { cnn(e, func(c *CNN) { c.Channels = nil }) }},
		{"model.cnn.channels[1]", func(e *Experiment) { cnn(e, func(c *CNN) { c.Channels = []int{8, 0} }) }},
		{"model.cnn.kernel", func(e *Experiment) { cnn(e, func(c *CNN) { c.Kernel = 4 }) }},
		{"model.cnn.kernel", func(e *Experiment) { cnn(e, func(c *CNN) { c.Kernel = -1 }) }},
		{"model.cnn.hidden[0]", func(e *Experiment) { cnn(e, func(c *CNN) { c.Hidden = []int{-5} }) }},
		{"model.cnn.dropout", func(e *Experiment) { cnn(e, func(c *CNN) { c.Dropout = 1 }) }},
		{"model.cnn.dropout", func(e *Experiment) { cnn(e, func(c *CNN) { c.Dropout = math.NaN() }) }},
		{"train.epochs", func(e *Experiment) { e.Train.Epochs = 0 }},
		{"train.batch_size", func(e *Experiment) { e.Train.BatchSize = 0 }},
		{"train.eval_batch_size", func(e *Experiment) { e.Train.EvalBatchSize = -1 }},
		{"train.optimizer.name", func(e *Experiment) { e.Train.Optimizer.Name = "adagrad" }},
		{"train.optimizer.lr", func(e *Experiment) { e.Train.Optimizer.LR = 0 }},
		{"train.optimizer.lr", func(e *Experiment) { e.Train.Optimizer.LR = math.Inf(1) }},
		{"train.optimizer.momentum", func(e *Experiment) { e.Train.Optimizer.Momentum = 1 }},
		{"train.optimizer.nesterov", func(e *Experiment) { e.Train.Optimizer.Name, e.Train.Optimizer.Nesterov = "sgd", true }},
		{"train.optimizer.beta1", func(e *Experiment) { e.Train.Optimizer.Beta1 = 1 }},
		{"train.optimizer.beta2", func(e *Experiment) { e.Train.Optimizer.Beta2 = -0.5 }},
		{"train.optimizer.eps", func(e *Experiment) { e.Train.Optimizer.Eps = 0 }},
		{"train.optimizer.weight_decay", func(e *Experiment) { e.Train.Optimizer.WeightDecay = -1 }},
		{"train.schedule.name", func(e *Experiment) { e.Train.Schedule.Name = "linear" }},
		{"train.schedule.warmup_steps", func(e *Experiment) { e.Train.Schedule.WarmupSteps = -1 }},
		{"train.schedule.step_size", func(e *Experiment) { e.Train.Schedule.Name = "step" }},
		{"train.schedule.gamma", func(e *Experiment) { e.Train.Schedule = Schedule{Name: "step", StepSize: 10} }},
		{"train.schedule.min_lr", func(e *Experiment) { e.Train.Schedule = Schedule{Name: "cosine", MinLR: 1} }},
		{"train.schedule.min_lr", func(e *Experiment) { e.Train.Schedule = Schedule{Name: "cosine", MinLR: -1} }},
		{"train.clip_norm", func(e *Experiment) { e.Train.ClipNorm = -1 }},
		{"train.patience", func(e *Experiment) { e.Train.Patience = -1 }},
		{"train.patience", func(e *Experiment) { e.Train.Patience, e.Data.ValFraction = 2, 0 }},
		{"train.metric", func(e *Experiment) { e.Train.Metric = "acc" }},
		{"train.log_every", func(e *Experiment) { e.Train.LogEvery = 0 }},
		{"train.checkpoint_every", func(e *Experiment) { e.Train.CheckpointEvery = -1 }},
		{"train.keep_last", func(e *Experiment) { e.Train.KeepLast = -1 }},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			e := Default()
			tt.mutate(&e)
			err := e.Validate()
			if err == nil {
				t.Fatalf("Validate() = nil, want an error naming %s", tt.key)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, tt.key+" ") || strings.Contains(msg, "\n") {
				t.Errorf("Validate() = %q, want one line starting with %q", msg, tt.key)
			}
		})
	}
}

func TestValidateListsEveryProblem(t *testing.T) {
	e := Default()
	e.Train.Epochs, e.Train.BatchSize = 0, 0
	want := "train.epochs must be > 0, got 0\ntrain.batch_size must be > 0, got 0"
	if got := errString(e.Validate()); got != want {
		t.Errorf("Validate() = %q, want %q", got, want)
	}
}

func TestValidSettings(t *testing.T) {
	for _, kv := range []string{"data.val_fraction=0", "model.cnn.hidden=[]", "train.optimizer.name=sgd",
		"train.schedule={name: step, step_size: 100}", "train.optimizer.nesterov=true"} {
		e := Default()
		if err := e.Set(kv); err != nil {
			t.Fatal(err)
		}
		if err := e.Validate(); err != nil {
			t.Errorf("after --set %s: Validate() = %v, want nil", kv, err)
		}
	}
}
