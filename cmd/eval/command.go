package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gorgonet/gorgonet/cmd/internal/cli"
	"github.com/gorgonet/gorgonet/experiment"
	"github.com/gorgonet/gorgonet/models"
	"github.com/gorgonet/gorgonet/plots"
)

// options are eval's flags, completed into the checkpoint path and evaluation options.
type options struct {
	checkpoint string
	split      string
	json       bool
	dataPath   string
	batch      int
	samples    int
	beam       int
	summary    bool
	// lengthPenalty overrides the run's decode.length_penalty when the flag is given.
	lengthPenalty *float64
	plots         string

	// set by complete
	path string
	eval experiment.EvalOptions
	out  io.Writer
}

func newCommand() *cobra.Command {
	o := &options{}
	cmd := &cobra.Command{
		Use:   "eval --checkpoint FILE|RUN_DIR [--split test|val|train] [--json]",
		Short: "Report the loss and task metrics of a checkpoint on a split of its data",
		Long: `Evaluate a trained checkpoint on a split of its data set. The checkpoint carries its
config and vocabularies, so nothing else is needed; a run directory means its best
checkpoint (checkpoints/best.safetensors). The validation and test splits are the ones
training held out, rebuilt from the run's seed.

What is reported depends on the task (all with split, examples and loss):
  classifiers        accuracy and the confusion matrix (rows: true class, columns: predicted)
  language models    next-character accuracy, perplexity and bits per character
  pronunciation      word error rate (wer) and phoneme error rate (per) of decoded outputs,
                     a word counting as right if it matches any of its pronunciations
  translation        corpus BLEU-4 (sacrebleu's default 13a tokenisation), chrF2 and wer
  summarisation      mean ROUGE-1, ROUGE-2 and ROUGE-L F1 (0-100, Porter-stemmed) and the
                     same for the lead baseline (each source's first sentence) as lead_*
Sequence-to-sequence models also report the teacher-forced token accuracy and print
--samples decoded examples. --json prints one JSON object.

--plots DIR writes pictures of the results there: confusion.png for classifiers,
mistakes.png for image classifiers, attention-1.png … for sequence-to-sequence models,
surprisal.png for language models.

Shell completion: eval completion bash|zsh|fish|powershell`,
		Example: `  go run ./cmd/eval --checkpoint runs/mnist-cnn
  go run ./cmd/eval --checkpoint runs/mnist-cnn/checkpoints/last.safetensors --split val --json
  go run ./cmd/eval --checkpoint runs/opticks-charlm --json
  go run ./cmd/eval --checkpoint runs/mnist-cnn --summary
  go run ./cmd/eval --checkpoint runs/cmudict-transformer --beam 4 --samples 10
  go run ./cmd/eval --checkpoint runs/cmudict-transformer --split val --length-penalty 0.6
  go run ./cmd/eval --checkpoint runs/fashion-cnn --plots runs/fashion-cnn/plots`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.complete(cmd); err != nil {
				return err
			}
			if err := o.validate(); err != nil {
				return err
			}
			return o.run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.checkpoint, "checkpoint", "", "checkpoint file or run directory (required)")
	f.StringVar(&o.split, "split", "test", "split to evaluate: test, val or train")
	f.BoolVar(&o.json, "json", false, "print one JSON object instead of a table")
	f.BoolVar(&o.summary, "summary", false, "print the model summary (layers, output shapes, parameters, memory, FLOPs) instead of evaluating")
	f.StringVar(&o.dataPath, "data-path", "", "read the data set from this directory instead of the run's data.path")
	f.IntVar(&o.batch, "batch-size", 0, "examples per evaluation step (default: the run's train.eval_batch_size)")
	f.IntVar(&o.samples, "samples", 5, "sequence-to-sequence: decoded examples to print beside the figures")
	f.IntVar(&o.beam, "beam", 0, "sequence-to-sequence: beam width (default: the run's decode.beam; 1 = greedy)")
	f.StringVar(&o.plots, "plots", "", "write pictures of the results (confusion matrix, mistakes, attention, surprisal) as PNG files in this directory")
	o.lengthPenalty = f.Float64("length-penalty", 0, "sequence-to-sequence: beam scores are log-probabilities over length^this (default: the run's decode.length_penalty)")
	_ = cmd.RegisterFlagCompletionFunc("checkpoint", cli.CompleteCheckpoints)
	_ = cmd.RegisterFlagCompletionFunc("split", cobra.FixedCompletions([]string{"test", "val", "train"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.MarkFlagDirname("data-path")
	_ = cmd.MarkFlagDirname("plots")
	return cmd
}

// report is what --json prints.
type report struct {
	Checkpoint string `json:"checkpoint"`
	experiment.Metrics
	Classes []string `json:"classes,omitempty"`
	Plots   []string `json:"plots,omitempty"` // the pictures --plots wrote
}

func (o *options) validate() error {
	switch o.split {
	case "test", "val", "train":
	default:
		return fmt.Errorf("--split %q: want test, val or train", o.split)
	}
	switch {
	case o.beam < 0:
		return fmt.Errorf("--beam must not be negative, got %d", o.beam)
	case o.samples < 0:
		return fmt.Errorf("--samples must not be negative, got %d", o.samples)
	case o.summary && o.json:
		return errors.New("--summary prints a table; it does not combine with --json")
	case o.summary && o.plots != "":
		return errors.New("--summary describes the model without evaluating it; it does not combine with --plots")
	case o.batch < 0:
		return fmt.Errorf("--batch-size must not be negative, got %d", o.batch)
	case o.lengthPenalty != nil && (!(*o.lengthPenalty >= 0) || math.IsInf(*o.lengthPenalty, 1)):
		return fmt.Errorf("--length-penalty must be a finite number ≥ 0, got %v", *o.lengthPenalty)
	}
	return nil
}

// complete resolves the checkpoint and gathers the evaluation options.
func (o *options) complete(cmd *cobra.Command) error {
	if !cmd.Flags().Changed("length-penalty") {
		o.lengthPenalty = nil
	}
	var err error
	o.path, err = cli.ResolveCheckpoint(o.checkpoint)
	o.eval = experiment.EvalOptions{Decode: true, Samples: o.samples, Beam: o.beam, LengthPenalty: o.lengthPenalty, Plots: o.plots != ""}
	o.out = cmd.OutOrStdout()
	return err
}

// run opens the checkpoint (once) with its data and evaluates it.
func (o *options) run(ctx context.Context) error {
	if o.plots != "" {
		if err := plots.MakeDir(o.plots); err != nil { // before the evaluation, which can take minutes
			return fmt.Errorf("--plots: %w", err)
		}
	}
	m, err := experiment.OpenModel(o.path, o.dataPath, o.batch)
	var tooBig *models.TooBigError
	if errors.As(err, &tooBig) {
		return fmt.Errorf("%w; use a smaller --batch-size (the default is the run's train.eval_batch_size)", err)
	}
	if err != nil {
		return err
	}
	defer m.Close()
	if o.summary {
		return printSummary(o.out, m)
	}
	metrics, err := m.Evaluate(ctx, o.split, o.eval)
	if err != nil {
		return err
	}
	r := report{Checkpoint: o.path, Metrics: metrics, Classes: m.Checkpoint.Info.Classes}
	if o.plots != "" {
		if r.Plots, err = m.WritePlots(o.plots, metrics); err != nil {
			return fmt.Errorf("--plots: %w", err)
		}
	}
	if o.json {
		return json.NewEncoder(o.out).Encode(r)
	}
	l := m.Checkpoint
	fmt.Fprintf(o.out, "checkpoint %s (%s, epoch %d, step %d)\n", r.Checkpoint, l.Config.Name, l.Progress.Epoch, l.Progress.Step)
	fmt.Fprintf(o.out, "split      %s, %d examples\nloss       %.4f\naccuracy   %.2f%%\n", r.Split, r.Examples, r.Loss, 100*r.Accuracy)
	m.WriteReport(o.out, metrics, r.Classes)
	if o.plots != "" {
		fmt.Fprintf(o.out, "\nplots      %s\n", plotList(r.Plots))
	}
	return nil
}

// plotList names the pictures --plots wrote.
func plotList(paths []string) string {
	if len(paths) == 0 {
		return "none: this kind of model has no pictures"
	}
	return strings.Join(paths, "\n           ")
}
