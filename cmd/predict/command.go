package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"

	"github.com/spf13/cobra"

	"github.com/gorgonet/gorgonet/cmd/internal/cli"
	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/experiment"
)

type options struct {
	checkpoint  string
	top         int
	invert      string
	json        bool
	length      int
	temperature float64
	topK        int
	seed        uint64
	beam        int
	stdin       io.Reader
}

func newCommand() *cobra.Command {
	o := &options{}
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

Sequence-to-sequence models: each INPUT is a word (pronunciation models) or a phrase
(translation models) ("-": one per line), decoded with beam search of width --beam.
Unknown characters or words read as unknown, inputs longer than the model's data.max_len
are cut to it (and marked), and an empty input gives an empty output.

Shell completion: predict completion bash|zsh|fish|powershell`,
		Example: `  go run ./cmd/predict --checkpoint runs/mnist-cnn digit.png
  go run ./cmd/predict --checkpoint runs/mnist-cnn --top 1 --json scans/*.jpg
  go run ./cmd/predict --checkpoint runs/sentiment-lstm "The food was great" "Never again."
  go run ./cmd/predict --checkpoint runs/opticks-charlm --length 300 --temperature 0.8 "Light is"
  go run ./cmd/predict --checkpoint runs/cmudict-transformer --beam 4 gorgonet blorptastic
  cat words.txt | go run ./cmd/predict --checkpoint runs/cmudict-transformer -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.stdin = cmd.InOrStdin()
			return o.run(cmd.Context(), cmd.OutOrStdout(), args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.checkpoint, "checkpoint", "", "checkpoint file or run directory (required)")
	f.IntVar(&o.top, "top", 3, "classifiers: number of classes to show per input")
	f.StringVar(&o.invert, "invert", "auto", "image classifiers: invert dark and light: auto, always or never")
	f.BoolVar(&o.json, "json", false, "print one JSON object per input")
	f.IntVar(&o.length, "length", 200, "language models: characters to generate")
	f.Float64Var(&o.temperature, "temperature", 0.8, "language models: sampling temperature; 0 = most likely character")
	f.IntVar(&o.topK, "top-k", 0, "language models: sample among the k most likely characters; 0 = all")
	f.Uint64Var(&o.seed, "seed", 1, "language models: seed of the sampling generator")
	f.IntVar(&o.beam, "beam", 0, "sequence-to-sequence models: beam width (default: the run's decode.beam)")
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

func (o *options) run(ctx context.Context, w io.Writer, inputs []string) error {
	if err := o.validate(); err != nil {
		return err
	}
	path, err := cli.ResolveCheckpoint(o.checkpoint)
	if err != nil {
		return err
	}
	l, err := experiment.Load(path)
	if err != nil {
		return err
	}
	switch l.Info.Kind {
	case experiment.KindImages:
		return o.images(ctx, w, path, inputs)
	case experiment.KindText:
		return o.sentences(ctx, w, path, inputs)
	case experiment.KindChars:
		return o.generate(ctx, w, path, inputs)
	case experiment.KindPairs:
		return o.convert(ctx, w, path, inputs)
	}
	return fmt.Errorf("checkpoint %s: unknown data kind %q", path, l.Info.Kind)
}

func (o *options) validate() error {
	inv := datasets.Invert(o.invert)
	if inv != datasets.InvertAuto && inv != datasets.InvertAlways && inv != datasets.InvertNever {
		return fmt.Errorf("--invert %q: want auto, always or never", o.invert)
	}
	switch {
	case o.top < 1:
		return fmt.Errorf("--top must be at least 1, got %d", o.top)
	case o.length < 0:
		return fmt.Errorf("--length must not be negative, got %d", o.length)
	case o.length > experiment.MaxGenerateLength:
		return fmt.Errorf("--length %d is more than the maximum of %d characters", o.length, experiment.MaxGenerateLength)
	case math.IsNaN(o.temperature):
		return errors.New("--temperature must be a number ≥ 0, got NaN")
	case o.temperature < 0:
		return fmt.Errorf("--temperature must not be negative, got %v", o.temperature)
	case o.topK < 0:
		return fmt.Errorf("--top-k must not be negative, got %d", o.topK)
	case o.beam < 0:
		return fmt.Errorf("--beam must not be negative, got %d", o.beam)
	}
	return nil
}

func (o *options) images(ctx context.Context, w io.Writer, path string, inputs []string) error {
	m, l, err := experiment.OpenClassifier(path, min(len(inputs), 64))
	if err != nil {
		return err
	}
	defer m.Close()
	info := l.Info
	pixels, err := o.readAll(ctx, inputs, info, datasets.Invert(o.invert))
	if err != nil {
		return err
	}
	for start := 0; start < len(inputs); start += m.Batch() {
		if err := ctx.Err(); err != nil {
			return err
		}
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
func (o *options) readAll(ctx context.Context, inputs []string, info experiment.DataInfo, inv datasets.Invert) ([][]float32, error) {
	all := make([][]float32, len(inputs))
	for i, in := range inputs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
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

func classify(m *experiment.ClassifierEvaluator, names []string, pixels [][]float32, classes []string, top int) ([]prediction, error) {
	x := m.Input()
	per := len(x) / m.Batch()
	clear(x)
	for i, px := range pixels {
		copy(x[i*per:(i+1)*per], px)
	}
	return predictions(m, names, classes, top)
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
