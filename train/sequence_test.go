package train

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/checkpoint"
	"github.com/gorgonet/gorgonet/config"
	"github.com/gorgonet/gorgonet/internal/testrun"
)

func taskConfig(t *testing.T, name string, sets ...string) config.Experiment {
	t.Helper()
	cfg, err := testrun.TaskConfig(name, sets...)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// checkSameTensors compares every tensor of two checkpoints: weights, optimizer buffers and
// carried states alike.
func checkSameTensors(t *testing.T, what string, want, got map[string][]float32) {
	t.Helper()
	if !slices.Equal(sortedNames(got), sortedNames(want)) {
		t.Fatalf("%s: tensors %v, want %v", what, sortedNames(got), sortedNames(want))
	}
	for name, w := range want {
		if !slices.Equal(got[name], w) {
			t.Errorf("%s: %s differs from the uninterrupted run", what, name)
		}
	}
}

func sortedNames(m map[string][]float32) []string { return slices.Sorted(maps.Keys(m)) }

// countPrefix counts the tensors whose name starts with prefix, and those of them that hold
// a value other than zero.
func countPrefix(w map[string][]float32, prefix string) (n, nonzero int) {
	for name, v := range w {
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		n++
		if slices.ContainsFunc(v, func(x float32) bool { return x != 0 }) {
			nonzero++
		}
	}
	return n, nonzero
}

// uninterrupted trains cfg without a break and returns its steps and the tensors of its
// last checkpoint.
func uninterrupted(t *testing.T, cfg config.Experiment) (int, map[string][]float32) {
	t.Helper()
	dir := t.TempDir()
	res := mustRun(t, Options{Config: cfg, OutDir: dir})
	return res.Steps, weights(t, filepath.Join(dir, "checkpoints", "last.safetensors"))
}

// checkResumes trains cfg stopped after each of stops steps and resumed, and compares every
// tensor of the final checkpoint with want, the uninterrupted run's of wantSteps steps.
func checkResumes(t *testing.T, cfg config.Experiment, want map[string][]float32, wantSteps int, stops ...int) {
	t.Helper()
	for _, stopAt := range stops {
		dir := t.TempDir()
		if r := mustRun(t, Options{Config: cfg, OutDir: dir, MaxSteps: stopAt}); r.Stopped != "max steps" || r.Steps != stopAt {
			t.Fatalf("first leg: stopped %q after %d steps, want max steps after %d", r.Stopped, r.Steps, stopAt)
		}
		if r := resume(t, dir, 0); r.Steps != wantSteps {
			t.Fatalf("resumed after %d steps, ended at step %d, want %d", stopAt, r.Steps, wantSteps)
		}
		got := weights(t, filepath.Join(dir, "checkpoints", "last.safetensors"))
		checkSameTensors(t, fmt.Sprintf("stop at step %d and resume", stopAt), want, got)
		checkEvents(t, dir)
	}
}

// TestResumeCharLMIsExact: the character language model carries its LSTM state from chunk to
// chunk, so a resumed run must restore it as well as the weights and the optimizer: stopped
// mid-epoch in either epoch and resumed, it ends with the very tensors of an uninterrupted
// run, carried state ("state/…") included.
func TestResumeCharLMIsExact(t *testing.T) {
	cfg := taskConfig(t, "opticks-charlm", "train.epochs=2", "model.lstm.layers=2", "model.lstm.dropout=0.1")
	// 5000 characters in 8 streams of 625 make 32 chunks of 20 an epoch.
	steps, want := uninterrupted(t, cfg)
	if steps != 64 {
		t.Fatalf("uninterrupted run took %d steps, want 64", steps)
	}
	checkResumes(t, cfg, want, steps, 13, 45)
	if n, nonzero := countPrefix(want, "state/"); n != 2 || nonzero != 2 {
		t.Errorf("final checkpoint has %d state tensors, %d not all zero; want the 2 layers' carried states", n, nonzero)
	}
	if n, _ := countPrefix(want, "optimizer/"); n == 0 {
		t.Error("final checkpoint has no optimizer tensors")
	}
}

// TestResumeCharLMNeedsTheState shows the state in the checkpoint is what makes the resume
// exact (so that TestResumeCharLMIsExact tests something): resuming mid-epoch from a
// checkpoint without its state tensors starts the chunks from zero and ends elsewhere.
func TestResumeCharLMNeedsTheState(t *testing.T) {
	cfg := taskConfig(t, "opticks-charlm")
	_, want := uninterrupted(t, cfg)

	dir := t.TempDir()
	mustRun(t, Options{Config: cfg, OutDir: dir, MaxSteps: 10})
	last := filepath.Join(dir, "checkpoints", "last.safetensors")
	f, err := checkpoint.Read(last)
	if err != nil {
		t.Fatal(err)
	}
	dropped := 0
	for name := range f.Tensors {
		if strings.HasPrefix(name, "state/") {
			delete(f.Tensors, name)
			dropped++
		}
	}
	if dropped == 0 {
		t.Fatal("mid-epoch checkpoint holds no state/ tensors")
	}
	if err := checkpoint.Write(last, f); err != nil {
		t.Fatal(err)
	}
	resume(t, dir, 0)
	got := weights(t, last)
	if slices.Equal(got["lstm.weight_hh_l0"], want["lstm.weight_hh_l0"]) {
		t.Error("resuming without the carried state gave the same weights as the uninterrupted run; the state is not used")
	}
}

// TestResumeSeq2SeqIsExact: cmudict trains on three graphs of different lengths that share
// their parameters, picking one per batch; with dropout and label smoothing, a run stopped
// mid-epoch (in the first and in the second epoch) and resumed ends with the weights and
// optimizer state of an uninterrupted run.
func TestResumeSeq2SeqIsExact(t *testing.T) {
	cfg := taskConfig(t, "cmudict-transformer", "train.epochs=2")
	steps, want := uninterrupted(t, cfg)
	if steps%2 != 0 || steps < 8 {
		t.Fatalf("uninterrupted run took %d steps, want two equal epochs of at least 4", steps)
	}
	perEpoch := steps / 2
	checkResumes(t, cfg, want, steps, perEpoch/2, perEpoch+perEpoch/2+1)
	if n, _ := countPrefix(want, "optimizer/"); n == 0 {
		t.Error("final checkpoint has no optimizer tensors")
	}
}
