package main

import (
	"context"
	"maps"
	"slices"

	"github.com/spf13/cobra"

	"github.com/gorgonet/gorgonet/cmd/internal/cli"
	"github.com/gorgonet/gorgonet/predict"
	"github.com/gorgonet/gorgonet/snapshot"
)

// options are predict's flags; each kind of model's own flags belong to its predict.Task.
type options struct {
	checkpoint string
	json       bool
	tasks      map[string]predict.Task

	// set by complete
	loaded *snapshot.Loaded
	task   predict.Task
	io     predict.IO
}

func newCommand() *cobra.Command {
	o := &options{tasks: predict.Tasks()}
	cmd := &cobra.Command{
		Use:   "predict --checkpoint FILE|RUN_DIR INPUT...",
		Short: "Run a trained checkpoint on your own images, sentences, prompts or words",
		Long: `Run a trained model on your own inputs. What an INPUT is depends on the model in the
checkpoint; an INPUT of "-" reads standard input.

Image classifiers: each INPUT is a PNG, JPEG or GIF file ("-": one image). Images of any
size and colour are converted to grey, scaled to the model's input size with their aspect
ratio kept, and normalised as in training. MNIST-style models saw light strokes on a dark
background; --invert auto (the default) inverts pictures whose border is mostly light.

Text classifiers: each INPUT is a sentence ("-": one sentence per line). The label and its
probability are printed. Words never seen in training count as unknown; sentences longer
than the model's data.max_len are cut to it; an empty sentence is read as one unknown word.

Language models: the INPUTs, joined by spaces, are the prompt ("-": all of standard input);
the model writes --length more characters after it, sampling with --temperature and
--top-k (--temperature 0: always the most likely character) from a generator seeded with
--seed. Characters never seen in training read as unknown; an empty prompt starts from a
line break.

Sequence-to-sequence models: each INPUT is a word (pronunciation models), a phrase or
sentence (translation models) or a paragraph (summarisers; quote it as one argument) ("-":
one per line), decoded with beam search of width --beam. Subword models cut it with the
checkpoint's BPE units. Unknown characters or words read as unknown, inputs longer than the
model's data.max_len units are cut to it (and marked), and an empty input gives an empty
output.

Shell completion: predict completion bash|zsh|fish|powershell`,
		Example: `  go run ./cmd/predict --checkpoint runs/mnist-cnn digit.png
  go run ./cmd/predict --checkpoint runs/mnist-cnn --top 1 --json scans/*.jpg
  go run ./cmd/predict --checkpoint runs/sentiment-lstm "The food was great" "Never again."
  go run ./cmd/predict --checkpoint runs/opticks-charlm --length 300 --temperature 0.8 "Light is"
  go run ./cmd/predict --checkpoint runs/cmudict-transformer --beam 4 gorgonet blorptastic
  cat words.txt | go run ./cmd/predict --checkpoint runs/cmudict-transformer -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.complete(cmd, args); err != nil {
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
	f.BoolVar(&o.json, "json", false, "print one JSON object per input")
	for _, kind := range slices.Sorted(maps.Keys(o.tasks)) {
		o.tasks[kind].AddFlags(f)
	}
	_ = cmd.RegisterFlagCompletionFunc("checkpoint", cli.CompleteCheckpoints)
	_ = cmd.RegisterFlagCompletionFunc("invert", cobra.FixedCompletions([]string{"auto", "always", "never"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// complete opens the checkpoint, once, and picks the task of its kind of data.
func (o *options) complete(cmd *cobra.Command, args []string) error {
	path, err := cli.ResolveCheckpoint(o.checkpoint)
	if err != nil {
		return err
	}
	if o.loaded, err = snapshot.Load(path); err != nil {
		return err
	}
	if o.task, err = predict.For(o.tasks, o.loaded); err != nil {
		return err
	}
	o.io = predict.IO{Inputs: args, Stdin: cmd.InOrStdin(), Out: cmd.OutOrStdout(), JSON: o.json}
	return nil
}

// validate checks every task's flags, so that a bad value fails whatever the checkpoint.
func (o *options) validate() error {
	for _, kind := range slices.Sorted(maps.Keys(o.tasks)) {
		if err := o.tasks[kind].Validate(); err != nil {
			return err
		}
	}
	return nil
}

func (o *options) run(ctx context.Context) error {
	return o.task.Run(ctx, o.loaded, o.io)
}
