package experiment

import (
	"context"
	"fmt"
	"image"
	"io"
	"path/filepath"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/models"
	"github.com/gorgonet/gorgonet/plots"
)

// Plotter is an Evaluator that draws pictures of its results: classifiers their confusion
// matrix and image classifiers their mistakes, sequence-to-sequence models their attention.
type Plotter interface {
	// WritePlots writes the pictures of m, from Evaluate with EvalOptions.Plots, as PNG
	// files in dir, which exists, and returns their paths.
	WritePlots(dir string, m Metrics, classes []string) ([]string, error)
}

// How much EvalOptions.Plots keeps.
const (
	plotMistakes  = 64   // images in mistakes.png
	plotAttention = 4    // decoded examples drawn as attention-1.png …
	plotSurprisal = 1200 // characters in surprisal.png
)

// WritePlots creates dir if needed and writes the pictures of m there (see Plotter), and
// returns their paths: none for a model that draws none (language models).
func (m *Model) WritePlots(dir string, metrics Metrics) ([]string, error) {
	p, ok := m.Evaluator.(Plotter)
	if !ok {
		return nil, nil
	}
	if err := plots.MakeDir(dir); err != nil {
		return nil, err
	}
	return p.WritePlots(dir, metrics, m.Checkpoint.Info.Classes)
}

// writePNG writes a picture to dir/name with draw, appending its path to paths.
func writePNG(paths []string, dir, name string, draw func(w io.Writer) error) ([]string, error) {
	path := filepath.Join(dir, name)
	if err := plots.WriteFile(path, draw); err != nil {
		return paths, err
	}
	return append(paths, path), nil
}

// writeConfusion writes confusion.png, the heat map of m.Confusion.
func writeConfusion(dir string, m Metrics, classes []string) ([]string, error) {
	title := fmt.Sprintf("%s split: %d examples, accuracy %.2f%%\n(colour: share of the true class)", m.Split, m.Examples, 100*m.Accuracy)
	return writePNG(nil, dir, "confusion.png", func(w io.Writer) error { return plots.Confusion(w, m.Confusion, classes, title) })
}

// WritePlots writes confusion.png, and mistakes.png when the split has mistakes.
func (e *imageSplits) WritePlots(dir string, m Metrics, classes []string) ([]string, error) {
	paths, err := writeConfusion(dir, m, classes)
	if err != nil || len(m.Mistakes) == 0 {
		return paths, err
	}
	im, err := e.data.Split(m.Split)
	if err != nil {
		return paths, err
	}
	tiles := make([]plots.Tile, len(m.Mistakes))
	for i, x := range m.Mistakes {
		tiles[i] = plots.Tile{Image: picture(im, x.Index), Said: fmt.Sprintf("%s %.1f%%", classes[x.Predicted], 100*x.Probability), Truth: "true " + classes[x.Label]}
	}
	wrong := m.Examples - trace(m.Confusion)
	title := fmt.Sprintf("the %d most confident of %d mistakes on the %s split (red: predicted class, its probability)", len(tiles), wrong, m.Split)
	return writePNG(paths, dir, "mistakes.png", func(w io.Writer) error { return plots.Grid(w, tiles, title) })
}

// picture is image i of im as it is stored.
func picture(im *datasets.Images, i int) image.Image {
	n := im.Rows * im.Cols
	return &image.Gray{Pix: im.Pixels[i*n:][:n], Stride: im.Cols, Rect: image.Rect(0, 0, im.Cols, im.Rows)}
}

func trace(confusion [][]int) int {
	n := 0
	for i, row := range confusion {
		n += row[i]
	}
	return n
}

// WritePlots writes confusion.png.
func (e *textSplits) WritePlots(dir string, m Metrics, classes []string) ([]string, error) {
	return writeConfusion(dir, m, classes)
}

// WritePlots writes attention-1.png … for the decoded examples m.Attention holds.
func (e *pairEvaluator) WritePlots(dir string, m Metrics, _ []string) ([]string, error) {
	var paths []string
	for i, a := range m.Attention {
		title := fmt.Sprintf("%s → %s\nlast decoder layer, mean of %d heads (colour: weight, white 0 to dark 1)", a.Input, a.Hypothesis, a.Heads)
		var err error
		paths, err = writePNG(paths, dir, fmt.Sprintf("attention-%d.png", i+1), func(w io.Writer) error {
			return plots.Attention(w, a.Source, a.Output, a.Weights, title)
		})
		if err != nil {
			return paths, err
		}
	}
	return paths, nil
}

// keepAttention records in m the cross-attention of tr over the first plotAttention of
// srcs (written as keys) as it wrote hyps.
func (e *pairEvaluator) keepAttention(ctx context.Context, m *Metrics, tr *models.Translator, keys []string, srcs, hyps [][]int) error {
	n := min(plotAttention, len(srcs), tr.Batch())
	if err := interrupted(ctx, 0, n, "attention maps"); err != nil {
		return err
	}
	maps, err := tr.Attention(srcs[:n], hyps[:n])
	if err != nil {
		return err
	}
	sv, tv := e.task.info.Vocab, e.task.info.TargetVocab
	for i, a := range maps {
		out := tokens(tv, hyps[i])
		if a.Steps > len(hyps[i]) {
			out = append(out, "<eos>")
		}
		w := make([][]float64, a.Steps)
		for t := range w {
			w[t] = make([]float64, a.Source)
			for j := range w[t] {
				w[t][j] = a.Mean(t, j)
			}
		}
		m.Attention = append(m.Attention, Attention{Input: keys[i], Hypothesis: TargetText(e.task.info, tv.Decode(hyps[i])), Source: tokens(sv, srcs[i]), Output: out[:a.Steps], Heads: a.Heads, Weights: w})
	}
	return nil
}

// tokens are the tokens of ids one for one, a space shown as an underscore so that it has
// a label on an axis.
func tokens(v *datasets.Vocab, ids []int) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = v.Token(id)
		if out[i] == " " {
			out[i] = "_"
		}
	}
	return out
}

// WritePlots writes surprisal.png: the split's first characters coloured by their bits.
func (e *charSplits) WritePlots(dir string, m Metrics, _ []string) ([]string, error) {
	if len(m.Surprisal) == 0 {
		return nil, nil
	}
	ids, err := pickSplit(m.Split, e.task.train, e.task.val, e.task.test)
	if err != nil {
		return nil, err
	}
	chars := make([]string, len(m.Surprisal))
	for i := range chars {
		chars[i] = e.task.info.Vocab.Token(ids[i+1])
	}
	title := fmt.Sprintf("the first %d characters of the %s split, each coloured by its surprisal −log₂ p (%.3f bits/char on the split)", len(chars), m.Split, m.BitsPerChar)
	return writePNG(nil, dir, "surprisal.png", func(w io.Writer) error { return plots.Surprisal(w, chars, m.Surprisal, title) })
}
