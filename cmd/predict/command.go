package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/spf13/cobra"

	"github.com/gorgonet/gorgonet/cmd/internal/cli"
	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/experiment"
)

type options struct {
	checkpoint string
	top        int
	invert     string
	json       bool
	stdin      io.Reader
}

func newCommand() *cobra.Command {
	o := &options{}
	cmd := &cobra.Command{
		Use:   "predict --checkpoint FILE|RUN_DIR IMAGE...",
		Short: "Classify your own images with a trained checkpoint",
		Long: `Classify PNG, JPEG or GIF images with a trained image classifier and print the most
likely classes with their probabilities. Images of any size and colour are converted to
grey, scaled to the model's input size with their aspect ratio kept, and normalised as in
training. MNIST-style models saw light strokes on a dark background; --invert auto (the
default) inverts pictures whose border is mostly light, such as dark ink on white paper.
An IMAGE of "-" reads one image from standard input.

Shell completion: predict completion bash|zsh|fish|powershell`,
		Example: `  go run ./cmd/predict --checkpoint runs/mnist-cnn digit.png
  go run ./cmd/predict --checkpoint runs/mnist-cnn --top 1 --json scans/*.jpg
  convert drawing.svg png:- | go run ./cmd/predict --checkpoint runs/mnist-cnn -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.stdin = cmd.InOrStdin()
			return o.run(cmd.OutOrStdout(), args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.checkpoint, "checkpoint", "", "checkpoint file or run directory (required)")
	f.IntVar(&o.top, "top", 3, "number of classes to show per image")
	f.StringVar(&o.invert, "invert", "auto", "invert dark and light: auto, always or never")
	f.BoolVar(&o.json, "json", false, "print one JSON object per image")
	_ = cmd.RegisterFlagCompletionFunc("checkpoint", cli.CompleteCheckpoints)
	_ = cmd.RegisterFlagCompletionFunc("invert", cobra.FixedCompletions([]string{"auto", "always", "never"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// guess is one class and its probability.
type guess struct {
	Class       string  `json:"class"`
	Probability float64 `json:"probability"`
}

type prediction struct {
	Input string  `json:"input"`
	Top   []guess `json:"top"`
}

func (o *options) run(w io.Writer, inputs []string) error {
	inv := datasets.Invert(o.invert)
	if inv != datasets.InvertAuto && inv != datasets.InvertAlways && inv != datasets.InvertNever {
		return fmt.Errorf("--invert %q: want auto, always or never", o.invert)
	}
	if o.top < 1 {
		return fmt.Errorf("--top must be at least 1, got %d", o.top)
	}
	path, err := cli.ResolveCheckpoint(o.checkpoint)
	if err != nil {
		return err
	}
	m, err := experiment.OpenModel(path, min(len(inputs), 64))
	if err != nil {
		return err
	}
	defer m.Close()
	info := m.Checkpoint.Info
	pixels, err := o.readAll(inputs, info, inv)
	if err != nil {
		return err
	}
	for start := 0; start < len(inputs); start += m.Batch() {
		end := min(start+m.Batch(), len(inputs))
		preds, err := classify(m, inputs[start:end], pixels[start:end], info.Classes, o.top)
		if err != nil {
			return err
		}
		for _, p := range preds {
			o.print(w, p)
		}
	}
	return nil
}

// readAll decodes every input before running the model, so a bad file fails fast.
func (o *options) readAll(inputs []string, info experiment.DataInfo, inv datasets.Invert) ([][]float32, error) {
	all := make([][]float32, len(inputs))
	for i, in := range inputs {
		b, err := o.read(in)
		if err != nil {
			return nil, err
		}
		px, err := datasets.DecodePicture(in, bytes.NewReader(b), info.Input[1], info.Input[2], inv)
		if err != nil {
			return nil, err
		}
		datasets.Normalize(px, info.Norm)
		all[i] = px
	}
	return all, nil
}

func (o *options) read(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(o.stdin)
	}
	return os.ReadFile(name)
}

func classify(m *experiment.Model, names []string, pixels [][]float32, classes []string, top int) ([]prediction, error) {
	x := m.Input()
	per := len(x) / m.Batch()
	clear(x)
	for i, px := range pixels {
		copy(x[i*per:(i+1)*per], px)
	}
	logits, err := m.Logits()
	if err != nil {
		return nil, err
	}
	probs := make([]float64, len(classes))
	out := make([]prediction, len(names))
	for i, name := range names {
		experiment.Softmax(probs, logits[i*len(classes):(i+1)*len(classes)])
		out[i] = prediction{Input: name, Top: topK(probs, classes, top)}
	}
	return out, nil
}

func topK(probs []float64, classes []string, k int) []guess {
	g := make([]guess, len(probs))
	for i, p := range probs {
		g[i] = guess{Class: classes[i], Probability: p}
	}
	sort.SliceStable(g, func(a, b int) bool { return g[a].Probability > g[b].Probability })
	return g[:min(k, len(g))]
}

func (o *options) print(w io.Writer, p prediction) {
	if o.json {
		_ = json.NewEncoder(w).Encode(p)
		return
	}
	fmt.Fprintf(w, "%s:", p.Input)
	for i, g := range p.Top {
		sep := ","
		if i == 0 {
			sep = ""
		}
		fmt.Fprintf(w, "%s %s (%.1f%%)", sep, g.Class, 100*g.Probability)
	}
	fmt.Fprintln(w)
}
