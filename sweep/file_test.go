package sweep

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestParseErrors: every mistake in a sweep file is one line naming file:line and the key,
// found before anything runs.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, file string
		wants      []string
	}{
		{"unknown sweep key", "base: mnist-cnn\ngrids:\n  train.epochs: [1]\n", []string{":2:", `"grids"`}},
		{"key the schema lacks, in grid", "base: mnist-cnn\ngrid:\n  train.optimizer.lr: [0.1]\n  model.cnn.dropuot: [0, 0.5]\n",
			[]string{":4:", "model.cnn.dropuot", "did you mean"}},
		{"key the schema lacks, in set", "base: mnist-cnn\nset:\n  data.limt: 100\n", []string{":3:", "data.limt"}},
		{"key the schema lacks, in random", "base: mnist-cnn\nrandom:\n  n: 2\n  params:\n    train.optimizer.wd: {log_uniform: [1.0e-5, 1.0e-2]}\n",
			[]string{":5:", "train.optimizer.wd"}},
		{"value of the wrong type in grid", "base: mnist-cnn\ngrid:\n  train.epochs:\n    - 1\n    - two\n", []string{":5:", "train.epochs", "integer"}},
		{"value of the wrong type in set", "base: mnist-cnn\nset:\n  train.batch_size: 0.5\n", []string{":3:", "train.batch_size", "integer"}},
		{"float range for an integer key", "base: mnist-cnn\nrandom:\n  n: 2\n  params:\n    train.epochs: {uniform: [1, 3.5]}\n", []string{":5:", "train.epochs"}},
		{"list for a number", "base: mnist-cnn\nset:\n  train.optimizer.lr: [1, 2]\n", []string{":3:", "train.optimizer.lr"}},
		{"grid value not a list", "base: mnist-cnn\ngrid:\n  train.epochs: 3\n", []string{":3:", "train.epochs", "list"}},
		{"key set twice", "base: mnist-cnn\nset:\n  train.epochs: 1\ngrid:\n  train.epochs: [1, 2]\n", []string{":5:", "train.epochs", "line 3"}},
		{"seed and seeds", "base: mnist-cnn\nset:\n  seed: 3\nseeds: [1, 2]\n", []string{":3:", "seeds"}},
		{"bad seed", "base: mnist-cnn\nseeds: [1, -2]\n", []string{":2:", `"-2"`}},
		{"unknown metric", "base: mnist-cnn\nmetric: acc\n", []string{":2:", `"acc"`, "accuracy"}},
		{"unknown distribution", "base: mnist-cnn\nrandom:\n  n: 2\n  params:\n    train.optimizer.lr: {loguniform: [1, 2]}\n", []string{":5:", "loguniform"}},
		{"random without n", "base: mnist-cnn\nrandom:\n  params:\n    train.optimizer.lr: {uniform: [0.1, 0.2]}\n", []string{":2:", "n"}},
		{"unknown base", "base: mnist-cnnn\n", []string{":1:", `"mnist-cnnn"`}},
		{"no base", "name: x\n", []string{"base"}},
		{"not a mapping", "- base\n", []string{":1:", "mapping"}},
		{"bad YAML", "base: [\n", []string{"bad.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.yaml")
			if err := os.WriteFile(path, []byte(tt.file), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadFile(path)
			if err == nil {
				t.Fatalf("ReadFile accepted:\n%s", tt.file)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error has several lines: %q", msg)
			}
			if !strings.HasPrefix(msg, path) {
				t.Errorf("error %q does not start with the file %s", msg, path)
			}
			for _, want := range tt.wants {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not name %q", msg, want)
				}
			}
		})
	}
}

const exampleSweep = `name: mnist-lr
base: mnist-cnn
set:
  data.limit: 2000
  train.epochs: 1
grid:
  train.optimizer.lr: [0.0003, 0.001]
  model.cnn.channels: [[4], [8, 16]]
random:
  n: 2
  params:
    train.optimizer.weight_decay: {log_uniform: [1.0e-5, 1.0e-2]}
seeds: [1, 2]
metric: loss
`

func TestExpand(t *testing.T) {
	f, err := Parse("mnist-lr.yaml", []byte(exampleSweep))
	if err != nil {
		t.Fatal(err)
	}
	p := f.Expand()
	if got, want := len(p.Runs), 2*2*2*2; got != want {
		t.Fatalf("%d runs, want %d", got, want)
	}
	if want := []string{"train.optimizer.lr", "model.cnn.channels", "train.optimizer.weight_decay"}; !slices.Equal(p.Keys, want) {
		t.Errorf("keys %v, want %v", p.Keys, want)
	}
	r := p.Runs[5] // lr 0.0003, channels [8, 16], the second draw, seed 1
	if !strings.HasPrefix(r.Name, "005-lr=0.0003-channels=8,16-weight_decay=") || !strings.HasSuffix(r.Name, "-seed=2") {
		t.Errorf("run 5 is %q", r.Name)
	}
	if want := []string{"data.limit=2000", "train.epochs=1", "train.optimizer.lr=0.0003", "model.cnn.channels=[8, 16]"}; !slices.Equal(r.Overrides[:4], want) {
		t.Errorf("run 5 overrides %v, want them to start with %v", r.Overrides, want)
	}
	if last := r.Overrides[len(r.Overrides)-1]; last != "seed=2" {
		t.Errorf("run 5 ends with %q, want seed=2", last)
	}
	// The same file expands to the same runs, random draws included: a rerun resumes them.
	again, _ := Parse("mnist-lr.yaml", []byte(exampleSweep))
	if !sameJSON(p.Runs, again.Expand().Runs) {
		t.Error("two expansions of one file differ")
	}
	draws := map[string]bool{}
	for _, r := range p.Runs {
		v := r.Params[2].Value
		draws[v] = true
		if cfg, err := p.Config(r); err != nil {
			t.Errorf("%s: %v", r.Name, err)
		} else if w := cfg.Train.Optimizer.WeightDecay; w < 1e-5 || w > 1e-2 {
			t.Errorf("%s: weight decay %g outside [1e-5, 1e-2]", r.Name, w)
		}
	}
	if len(draws) != 2 {
		t.Errorf("weight decays %v, want 2 distinct draws", draws)
	}
}

func TestSaveRefusesAnotherSweep(t *testing.T) {
	dir := t.TempDir()
	f, _ := Parse("a.yaml", []byte(exampleSweep))
	if err := f.Expand().Save(dir); err != nil {
		t.Fatal(err)
	}
	if err := f.Expand().Save(dir); err != nil {
		t.Errorf("saving the same sweep again: %v", err)
	}
	other, _ := Parse("a.yaml", []byte(strings.Replace(exampleSweep, "0.0003", "0.003", 1)))
	if err := other.Expand().Save(dir); err == nil || !strings.Contains(err.Error(), "another sweep") {
		t.Errorf("saving another sweep over it: %v, want a refusal", err)
	}
}
