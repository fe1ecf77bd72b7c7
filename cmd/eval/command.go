package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gorgonet/gorgonet/cmd/internal/cli"
	"github.com/gorgonet/gorgonet/experiment"
)

type options struct {
	checkpoint string
	split      string
	json       bool
	dataPath   string
	batch      int
}

func newCommand() *cobra.Command {
	o := &options{}
	cmd := &cobra.Command{
		Use:   "eval --checkpoint FILE|RUN_DIR [--split test|val|train] [--json]",
		Short: "Report loss, accuracy and the confusion matrix of a checkpoint",
		Long: `Evaluate a trained checkpoint on a split of its data set. The checkpoint carries its
config, so nothing else is needed; a run directory means its best checkpoint
(checkpoints/best.safetensors). The validation split is the one training held out,
rebuilt from the run's seed. --json prints one JSON object with split, examples, loss,
accuracy, classes and confusion (rows: true class, columns: predicted class).

Shell completion: eval completion bash|zsh|fish|powershell`,
		Example: `  go run ./cmd/eval --checkpoint runs/mnist-cnn
  go run ./cmd/eval --checkpoint runs/mnist-cnn/checkpoints/last.safetensors --split val --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.OutOrStdout()) },
	}
	f := cmd.Flags()
	f.StringVar(&o.checkpoint, "checkpoint", "", "checkpoint file or run directory (required)")
	f.StringVar(&o.split, "split", "test", "split to evaluate: test, val or train")
	f.BoolVar(&o.json, "json", false, "print one JSON object instead of a table")
	f.StringVar(&o.dataPath, "data-path", "", "read the data set from this directory instead of the run's data.path")
	f.IntVar(&o.batch, "batch-size", 0, "examples per evaluation step (default: the run's train.eval_batch_size)")
	_ = cmd.RegisterFlagCompletionFunc("checkpoint", cli.CompleteCheckpoints)
	_ = cmd.RegisterFlagCompletionFunc("split", cobra.FixedCompletions([]string{"test", "val", "train"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.MarkFlagDirname("data-path")
	return cmd
}

// report is what --json prints.
type report struct {
	Checkpoint string `json:"checkpoint"`
	experiment.Metrics
	Classes []string `json:"classes"`
}

func (o *options) run(w io.Writer) error {
	switch o.split {
	case "test", "val", "train":
	default:
		return fmt.Errorf("--split %q: want test, val or train", o.split)
	}
	path, err := cli.ResolveCheckpoint(o.checkpoint)
	if err != nil {
		return err
	}
	m, err := experiment.OpenModel(path, o.batch)
	if err != nil {
		return err
	}
	defer m.Close()
	cfg := m.Checkpoint.Config
	if o.dataPath != "" {
		cfg.Data.Path = o.dataPath
	}
	data, err := experiment.LoadImageData(cfg.Data, cfg.Seed)
	if err != nil {
		return err
	}
	if err := m.CheckData(data); err != nil {
		return err
	}
	split, err := data.Split(o.split)
	if err != nil {
		return err
	}
	metrics, err := m.Evaluate(o.split, split, m.Checkpoint.Info.Norm)
	if err != nil {
		return err
	}
	r := report{Checkpoint: path, Metrics: metrics, Classes: m.Checkpoint.Info.Classes}
	if o.json {
		return json.NewEncoder(w).Encode(r)
	}
	printReport(w, r, m.Checkpoint)
	return nil
}

func printReport(w io.Writer, r report, l *experiment.Loaded) {
	fmt.Fprintf(w, "checkpoint %s (%s, epoch %d, step %d)\n", r.Checkpoint, l.Config.Name, l.Progress.Epoch, l.Progress.Step)
	fmt.Fprintf(w, "split      %s, %d examples\nloss       %.4f\naccuracy   %.2f%%\n\n", r.Split, r.Examples, r.Loss, 100*r.Accuracy)
	fmt.Fprintln(w, "confusion matrix (rows: true class, columns: predicted class)")
	width := 6
	for _, c := range r.Classes {
		width = max(width, len(c)+1)
	}
	fmt.Fprintf(w, "%*s", width, "")
	for i := range r.Classes {
		fmt.Fprintf(w, "%6d", i)
	}
	fmt.Fprintln(w)
	for i, row := range r.Confusion {
		fmt.Fprintf(w, "%*s", width, r.Classes[i])
		for _, n := range row {
			fmt.Fprintf(w, "%6d", n)
		}
		fmt.Fprintln(w)
	}
	if len(r.Classes) > 0 && !strings.EqualFold(r.Classes[0], "0") {
		fmt.Fprintln(w, "\ncolumns:", strings.Join(indexed(r.Classes), ", "))
	}
}

func indexed(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = fmt.Sprintf("%d=%s", i, n)
	}
	return out
}
