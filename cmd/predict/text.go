package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/gorgonet/gorgonet/experiment"
)

// lines expands the inputs: "-" stands for the lines of standard input.
func (o *options) lines(inputs []string) ([]string, error) {
	var out []string
	for _, in := range inputs {
		if in != "-" {
			out = append(out, in)
			continue
		}
		sc := bufio.NewScanner(o.stdin)
		sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
		for sc.Scan() {
			out = append(out, sc.Text())
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("reading standard input: %w", err)
		}
	}
	return out, nil
}

// sentences classifies each sentence with a text classifier.
func (o *options) sentences(ctx context.Context, w io.Writer, path string, inputs []string) error {
	texts, err := o.lines(inputs)
	if err != nil {
		return err
	}
	m, l, err := experiment.OpenClassifier(path, max(min(len(texts), 64), 1))
	if err != nil {
		return err
	}
	defer m.Close()
	info := l.Info
	for start := 0; start < len(texts); start += m.Batch() {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch := texts[start:min(start+m.Batch(), len(texts))]
		rows := make([][]int, len(batch))
		for i, t := range batch {
			rows[i] = experiment.EncodeText(info.Vocab, t, info.MaxLen)
		}
		experiment.FillSentences(m.Input(), m.Mask(), rows, info.MaxLen)
		preds, err := predictions(m, batch, info.Classes, o.top)
		if err != nil {
			return err
		}
		for _, p := range preds {
			o.print(w, p)
		}
	}
	return nil
}

// predictions runs the classifier on its filled inputs and ranks the classes of each.
func predictions(m *experiment.ClassifierEvaluator, names []string, classes []string, top int) ([]prediction, error) {
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

// generate continues the prompt with a language model.
func (o *options) generate(ctx context.Context, w io.Writer, path string, inputs []string) error {
	prompt := strings.Join(inputs, " ")
	if len(inputs) == 1 && inputs[0] == "-" {
		b, err := io.ReadAll(o.stdin)
		if err != nil {
			return fmt.Errorf("reading standard input: %w", err)
		}
		prompt = string(b)
	}
	g, _, err := experiment.OpenGenerator(path)
	if err != nil {
		return err
	}
	defer g.Close()
	opts := experiment.GenerateOptions{Length: o.length, Temperature: o.temperature, TopK: o.topK, Seed: o.seed}
	if o.json {
		text, err := g.Continue(ctx, prompt, opts)
		if err != nil {
			return err
		}
		return json.NewEncoder(w).Encode(struct {
			Prompt       string `json:"prompt"`
			Continuation string `json:"continuation"`
		}{prompt, text})
	}
	// The text appears as it is written, so a long generation shows progress.
	if _, err := io.WriteString(w, prompt); err != nil {
		return err
	}
	err = g.Stream(ctx, prompt, opts, func(s string) error {
		_, err := io.WriteString(w, s)
		return err
	})
	fmt.Fprintln(w)
	return err
}

// convert decodes each word or phrase with a sequence-to-sequence model.
func (o *options) convert(ctx context.Context, w io.Writer, path string, inputs []string) error {
	words, err := o.lines(inputs)
	if err != nil {
		return err
	}
	t, l, err := experiment.OpenTranslator(path, max(min(len(words), 64), 1), o.beam)
	if err != nil {
		return err
	}
	defer t.Close()
	out, err := t.Convert(ctx, words)
	if err != nil {
		return err
	}
	for _, c := range out {
		if o.json {
			_ = json.NewEncoder(w).Encode(c)
			continue
		}
		note := ""
		if c.Truncated {
			note = fmt.Sprintf("  (input cut to %d tokens)", l.Info.MaxLen)
		}
		fmt.Fprintf(w, "%s\t%s%s\n", c.Input, c.Output, note)
	}
	return nil
}
