package experiment

import (
	"context"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/config"
	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/internal/testrun"
	"github.com/gorgonet/gorgonet/snapshot"
)

// saveInitial writes the initial weights of cfg's task as a checkpoint.
func saveInitial(t *testing.T, cfg config.Experiment) string {
	t.Helper()
	task, err := LoadTask(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	g, err := task.NewGraph(0, nil, cfg.Seed)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), cfg.Name+".safetensors")
	if err := snapshot.Save(path, snapshot.State{Config: cfg, Info: task.Info(), Params: g.Params(), States: g.Scope.States()}); err != nil {
		t.Fatal(err)
	}
	return path
}

func openModel(t *testing.T, path string) *Model {
	t.Helper()
	m, err := OpenModel(path, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func evaluate(t *testing.T, m *Model, split string, o EvalOptions) Metrics {
	t.Helper()
	got, err := m.Evaluate(context.Background(), split, o)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// checkPictures checks that WritePlots wrote exactly the files names in dir, each a PNG at
// least minSide pixels wide and high.
func checkPictures(t *testing.T, paths []string, dir string, names []string, minSide int) {
	t.Helper()
	var want []string
	for _, n := range names {
		want = append(want, filepath.Join(dir, n))
	}
	if !slices.Equal(paths, want) {
		t.Fatalf("wrote %v, want %v", paths, want)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != len(names) {
		t.Errorf("%s holds %d files, want the %d pictures", dir, len(entries), len(names))
	}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		im, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if b := im.Bounds(); b.Dx() < minSide || b.Dy() < minSide || b.Dx() > 4000 || b.Dy() > 4000 {
			t.Errorf("%s is %d×%d pixels", p, b.Dx(), b.Dy())
		}
	}
}

// TestImagePlots: with Plots an image classifier keeps its 64 most confident mistakes, most
// confident first, each an image of the split that the model really gets wrong with that
// probability, and changes nothing else; it draws confusion.png and mistakes.png.
func TestImagePlots(t *testing.T) {
	cfg, err := testrun.Config()
	if err != nil {
		t.Fatal(err)
	}
	m := openModel(t, saveInitial(t, cfg))
	plain := evaluate(t, m, "val", EvalOptions{})
	kept := evaluate(t, m, "val", EvalOptions{Plots: true})
	if plain.Mistakes != nil || kept.Loss != plain.Loss || !slices.EqualFunc(kept.Confusion, plain.Confusion, slices.Equal) {
		t.Fatalf("Plots changed the metrics or kept mistakes without it: loss %v, %v", kept.Loss, plain.Loss)
	}
	wrong := kept.Examples - trace(kept.Confusion)
	if len(kept.Mistakes) != min(plotMistakes, wrong) || wrong == 0 {
		t.Fatalf("kept %d mistakes of %d, want %d", len(kept.Mistakes), wrong, min(plotMistakes, wrong))
	}
	ev := m.Evaluator.(*imageSplits)
	im, err := ev.data.Split("val")
	if err != nil {
		t.Fatal(err)
	}
	all, err := ev.evaluateImages(context.Background(), "val", im, ev.data.Info.Norm, im.N)
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Mistakes) != wrong || !slices.Equal(kept.Mistakes, all.Mistakes[:len(kept.Mistakes)]) {
		t.Errorf("the kept mistakes are not the most confident of all %d", len(all.Mistakes))
	}
	x, per := ev.Input(), im.Rows*im.Cols
	probs := make([]float64, len(im.Classes))
	for i, mk := range kept.Mistakes {
		if i > 0 && mk.Probability > kept.Mistakes[i-1].Probability {
			t.Errorf("mistake %d is more confident than mistake %d", i, i-1)
		}
		clear(x)
		im.FillNCHW(x[:per], []int{mk.Index}, ev.data.Info.Norm)
		logits, err := ev.Logits()
		if err != nil {
			t.Fatal(err)
		}
		row := logits[:len(im.Classes)]
		Softmax(probs, row)
		if got := argmax(row); got == mk.Label || got != mk.Predicted || int(im.Labels[mk.Index]) != mk.Label || math.Abs(probs[got]-mk.Probability) > 1e-5 {
			t.Errorf("mistake %+v: the model says %d (%.4f) of image %d labelled %d", mk, got, probs[got], mk.Index, im.Labels[mk.Index])
		}
	}
	dir := filepath.Join(t.TempDir(), "new", "plots")
	paths, err := m.WritePlots(dir, kept)
	if err != nil {
		t.Fatal(err)
	}
	checkPictures(t, paths, dir, []string{"confusion.png", "mistakes.png"}, 300)
}

// TestSeq2SeqPlots: with Plots a sequence-to-sequence model keeps the cross-attention of
// its first decoded examples: one row per output token of the sample's hypothesis and one
// for <eos>, one column per source letter, each row summing to 1; it draws one picture each.
func TestSeq2SeqPlots(t *testing.T) {
	m := openModel(t, saveUntrained(t, "cmudict-transformer"))
	o := EvalOptions{Decode: true, Samples: 10}
	plain := evaluate(t, m, "val", o)
	o.Plots = true
	kept := evaluate(t, m, "val", o)
	if plain.Attention != nil || *plain.WER != *kept.WER || *plain.PER != *kept.PER {
		t.Fatalf("Plots changed the metrics or kept attention without it")
	}
	if len(kept.Attention) != min(plotAttention, kept.Examples) {
		t.Fatalf("%d attention maps, want %d", len(kept.Attention), min(plotAttention, kept.Examples))
	}
	info := m.Checkpoint.Info
	var names []string
	for i, a := range kept.Attention {
		s := kept.Samples[i]
		src := info.Vocab.Decode(EncodeSource(info.Vocab, datasets.Spelling(s.Source), info.MaxLen))
		out := strings.Fields(s.Hypothesis)
		if len(out) < info.TargetLen {
			out = append(out, "<eos>")
		}
		if a.Input != s.Source || a.Hypothesis != s.Hypothesis || !slices.Equal(a.Source, src) || !slices.Equal(a.Output, out) {
			t.Errorf("map %d: %q %v → %v; want sample %q %v → %v", i, a.Input, a.Source, a.Output, s.Source, src, out)
		}
		if len(a.Weights) != len(a.Output) || a.Heads != m.Checkpoint.Config.Model.Transformer().Heads {
			t.Fatalf("map %d: %d rows for %d output tokens, %d heads", i, len(a.Weights), len(a.Output), a.Heads)
		}
		for r, row := range a.Weights {
			var sum float64
			for _, w := range row {
				sum += w
			}
			if len(row) != len(a.Source) || math.Abs(sum-1) > 1e-5 {
				t.Errorf("map %d row %d: %d weights summing to %v, want %d summing to 1", i, r, len(row), sum, len(a.Source))
			}
		}
		names = append(names, "attention-"+string(rune('1'+i))+".png")
	}
	dir := t.TempDir()
	paths, err := m.WritePlots(dir, kept)
	if err != nil {
		t.Fatal(err)
	}
	checkPictures(t, paths, dir, names, 150)
}

// TestTextPlots: a text classifier draws its confusion matrix and keeps no mistakes.
func TestTextPlots(t *testing.T) {
	text := openModel(t, saveUntrained(t, "sentiment-lstm"))
	got := evaluate(t, text, "val", EvalOptions{Plots: true})
	dir := t.TempDir()
	paths, err := text.WritePlots(dir, got)
	if err != nil {
		t.Fatal(err)
	}
	checkPictures(t, paths, dir, []string{"confusion.png"}, 250)
	if got.Mistakes != nil {
		t.Errorf("a text classifier kept %d mistakes", len(got.Mistakes))
	}
}

// TestLanguageModelPlots: with Plots a language model keeps the bits of the split's first
// characters in order: read as one stream (batch 1) they are every character's, averaging to
// the split's bits per character, and the first stream of a larger batch gives the same ones.
// It draws surprisal.png.
func TestLanguageModelPlots(t *testing.T) {
	path := saveUntrained(t, "opticks-charlm")
	one, err := OpenModel(path, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	ev := one.Evaluator.(*charSplits)
	all, err := ev.evaluate(context.Background(), "val", ev.task.val, len(ev.task.val))
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, b := range all.Surprisal {
		sum += b
	}
	if len(all.Surprisal) != all.Examples || math.Abs(sum/float64(len(all.Surprisal))-all.BitsPerChar) > 1e-9 {
		t.Fatalf("one stream: %d bits averaging %v, want %d averaging %v", len(all.Surprisal), sum/float64(len(all.Surprisal)), all.Examples, all.BitsPerChar)
	}
	m := openModel(t, path)
	got := evaluate(t, m, "val", EvalOptions{Plots: true})
	lm := m.Evaluator.(*charSplits)
	first := newStreams(len(ev.task.val), lm.batch, lm.cfg.Steps).n // the first stream's targets
	if len(got.Surprisal) != min(plotSurprisal, first) {
		t.Fatalf("kept %d bits, want %d", len(got.Surprisal), min(plotSurprisal, first))
	}
	for i, b := range got.Surprisal {
		if math.Abs(b-all.Surprisal[i]) > 1e-4 {
			t.Fatalf("character %d: %v bits in the first stream, %v read alone", i+1, b, all.Surprisal[i])
		}
	}
	dir := t.TempDir()
	paths, err := m.WritePlots(dir, got)
	if err != nil {
		t.Fatal(err)
	}
	checkPictures(t, paths, dir, []string{"surprisal.png"}, 200)
}
