// Package testrun is the tiny training run that tests across packages share: a small CNN on
// 256 real MNIST images, 8 steps an epoch, seconds to train.
package testrun

import (
	"github.com/gorgonet/gorgonet/config"
)

// Sets are the --set overrides of the tiny run, on top of the mnist-cnn config: one epoch
// of 8 steps, a 1200-image validation split.
var Sets = []string{
	"data.limit=256", "data.val_fraction=0.02", "model.cnn.channels=[4,8]", "model.cnn.hidden=[16]",
	"train.epochs=1", "train.batch_size=32", "train.eval_batch_size=200", "train.schedule.warmup_steps=2",
}

// Config is mnist-cnn with Sets and then extra applied, validated.
func Config(extra ...string) (config.Experiment, error) {
	return load("mnist-cnn", Sets, extra)
}

// load is the embedded config name with sets and then extra applied, validated.
func load(name string, sets, extra []string) (config.Experiment, error) {
	cfg, _, err := config.Load(name)
	if err != nil {
		return cfg, err
	}
	for _, kv := range append(append([]string{}, sets...), extra...) {
		if err := cfg.Set(kv); err != nil {
			return cfg, err
		}
	}
	return cfg, cfg.Validate()
}

// Args are Sets as train command-line flags.
func Args() []string {
	var args []string
	for _, kv := range Sets {
		args = append(args, "--set", kv)
	}
	return args
}
