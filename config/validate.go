package config

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// The names a config may use. Model kinds are registered (RegisterModel) and data sets live
// in other packages; these lists only make typos fail before any work starts.
var (
	Activations = []string{"relu", "gelu"}
	Optimizers  = []string{"sgd", "adam", "adamw"}
	Schedules   = []string{"constant", "step", "cosine"}
	Metrics     = []string{"accuracy", "loss"}
	Units       = []string{"", "words", "chars", "bpe"}
)

// Validate checks every range and name. The error lists all problems, one per line, each naming its key.
func (e Experiment) Validate() error {
	v := &validator{}
	v.require(e.Name != "", "name must not be empty")
	v.require(e.Data.Name != "", "data.name must not be empty")
	atLeast(v, "data.limit", e.Data.Limit, 0)
	if fraction(v, "data.val_fraction", e.Data.ValFraction) && fraction(v, "data.test_fraction", e.Data.TestFraction) {
		v.require(e.Data.ValFraction+e.Data.TestFraction < 1, "data.val_fraction + data.test_fraction must be < 1, got %v", e.Data.ValFraction+e.Data.TestFraction)
	}
	above(v, "data.max_len", e.Data.MaxLen, 0)
	atLeast(v, "data.target_len", e.Data.TargetLen, 0)
	v.require(slices.Contains(Units, e.Data.Units), "data.units must be words, chars, bpe or empty (the data set's own), got %q", e.Data.Units)
	v.require(e.Data.Units != "bpe" || e.Data.VocabSize > 0, "data.vocab_size must be > 0 with data.units bpe (the subword vocabulary learned per side, four special tokens included)")
	above(v, "data.min_count", e.Data.MinCount, 0)
	v.require(e.Data.VocabSize == 0 || e.Data.VocabSize >= 5, "data.vocab_size must be 0 (no cap) or at least 5 (four special tokens and one more), got %d", e.Data.VocabSize)
	e.Model.validate(v)
	e.Train.validate(v)
	above(v, "decode.beam", e.Decode.Beam, 0)
	atLeast(v, "decode.length_penalty", e.Decode.LengthPenalty, 0)
	v.require(e.Train.Patience == 0 || e.Data.ValFraction > 0,
		"train.patience needs a validation set: data.val_fraction must be > 0")
	return v.err()
}

// The blocks validate under key, the block's own dotted key (model.cnn, model.lstm, ...).

func (c CNN) validate(v *validator, key string) {
	sizes(v, key+".channels", c.Channels, true)
	v.require(c.Kernel > 0 && c.Kernel%2 == 1, "%s.kernel must be odd and > 0, got %d", key, c.Kernel)
	sizes(v, key+".hidden", c.Hidden, false)
	fraction(v, key+".dropout", c.Dropout)
}

func (r Recurrent) validate(v *validator, key string) {
	above(v, key+".embedding", r.Embedding, 0)
	above(v, key+".hidden", r.Hidden, 0)
	above(v, key+".layers", r.Layers, 0)
	fraction(v, key+".dropout", r.Dropout)
}

func (t Transformer) validate(v *validator, key string) {
	above(v, key+".dim", t.Dim, 0)
	if above(v, key+".heads", t.Heads, 0) && t.Dim > 0 {
		v.require(t.Dim%t.Heads == 0, "%s.heads (%d) must divide %s.dim (%d)", key, t.Heads, key, t.Dim)
	}
	v.require(t.Dim%2 == 0, "%s.dim must be even for the sinusoidal positions, got %d", key, t.Dim)
	above(v, key+".ff", t.FF, 0)
	above(v, key+".encoder_layers", t.EncoderLayers, 0)
	atLeast(v, key+".decoder_layers", t.DecoderLayers, 0)
	fraction(v, key+".dropout", t.Dropout)
	oneOf(v, key+".activation", t.Activation, Activations)
}

func (t Train) validate(v *validator) {
	above(v, "train.epochs", t.Epochs, 0)
	above(v, "train.batch_size", t.BatchSize, 0)
	above(v, "train.eval_batch_size", t.EvalBatchSize, 0)
	t.Optimizer.validate(v)
	t.Schedule.validate(v, t.Optimizer.LR)
	atLeast(v, "train.clip_norm", t.ClipNorm, 0)
	atLeast(v, "train.patience", t.Patience, 0)
	oneOf(v, "train.metric", t.Metric, Metrics)
	fraction(v, "train.label_smoothing", t.LabelSmoothing)
	above(v, "train.log_every", t.LogEvery, 0)
	atLeast(v, "train.checkpoint_every", t.CheckpointEvery, 0)
	atLeast(v, "train.keep_last", t.KeepLast, 0)
}

func (o Optimizer) validate(v *validator) {
	oneOf(v, "train.optimizer.name", o.Name, Optimizers)
	above(v, "train.optimizer.lr", o.LR, 0)
	fraction(v, "train.optimizer.momentum", o.Momentum)
	v.require(!o.Nesterov || o.Name != "sgd" || o.Momentum > 0,
		"train.optimizer.nesterov needs train.optimizer.momentum > 0")
	fraction(v, "train.optimizer.beta1", o.Beta1)
	fraction(v, "train.optimizer.beta2", o.Beta2)
	above(v, "train.optimizer.eps", o.Eps, 0)
	atLeast(v, "train.optimizer.weight_decay", o.WeightDecay, 0)
}

func (s Schedule) validate(v *validator, lr float64) {
	oneOf(v, "train.schedule.name", s.Name, Schedules)
	atLeast(v, "train.schedule.warmup_steps", s.WarmupSteps, 0)
	if s.Name == "step" {
		above(v, "train.schedule.step_size", s.StepSize, 0)
		above(v, "train.schedule.gamma", s.Gamma, 0)
	}
	if s.Name == "cosine" {
		atLeast(v, "train.schedule.min_lr", s.MinLR, 0)
		v.require(s.MinLR <= lr, "train.schedule.min_lr must be <= train.optimizer.lr (%v), got %v", lr, s.MinLR)
	}
}

// validator collects the problems found, in order.
type validator struct{ problems []string }

func (v *validator) require(ok bool, format string, args ...any) bool {
	if !ok {
		v.problems = append(v.problems, fmt.Sprintf(format, args...))
	}
	return ok
}

func (v *validator) err() error {
	if len(v.problems) == 0 {
		return nil
	}
	return errors.New(strings.Join(v.problems, "\n"))
}

// The comparisons are written so that NaN fails them; infinities fail too.

func above[T int | float64](v *validator, key string, x, low T) bool {
	return v.require(x > low && !math.IsInf(float64(x), 0), "%s must be > %v, got %v", key, low, x)
}

func atLeast[T int | float64](v *validator, key string, x, low T) bool {
	return v.require(x >= low && !math.IsInf(float64(x), 0), "%s must be >= %v, got %v", key, low, x)
}

func fraction(v *validator, key string, x float64) bool {
	return v.require(x >= 0 && x < 1, "%s must be in [0, 1), got %v", key, x)
}

func oneOf(v *validator, key, s string, names []string) bool {
	return v.require(slices.Contains(names, s), "%s must be one of %s, got %q", key, strings.Join(names, ", "), s)
}

// sizes checks a list of layer sizes: all > 0, and at least one if required.
func sizes(v *validator, key string, xs []int, required bool) {
	v.require(!required || len(xs) > 0, "%s must list at least one size", key)
	for i, x := range xs {
		v.require(x > 0, "%s[%d] must be > 0, got %d", key, i, x)
	}
}
