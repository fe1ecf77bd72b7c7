package train

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/checkpoint"
	"github.com/gorgonet/gorgonet/config"
	"github.com/gorgonet/gorgonet/internal/testrun"
	"github.com/gorgonet/gorgonet/snapshot"
)

// tinyConfig is the shared tiny run with dropout, 2 epochs, step checkpoints and logging.
func tinyConfig(t *testing.T, sets ...string) config.Experiment {
	t.Helper()
	base := []string{"model.cnn.dropout=0.25", "train.epochs=2", "train.schedule.warmup_steps=3",
		"train.checkpoint_every=3", "train.keep_last=2", "train.log_every=4"}
	cfg, err := testrun.Config(append(base, sets...)...)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func mustRun(t *testing.T, o Options) *Result {
	t.Helper()
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func weights(t *testing.T, path string) map[string][]float32 {
	t.Helper()
	f, err := checkpoint.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	w := map[string][]float32{}
	for name, tensor := range f.Tensors {
		w[name] = tensor.F32
	}
	return w
}

func resume(t *testing.T, dir string, maxSteps int) *Result {
	t.Helper()
	l, err := snapshot.Load(filepath.Join(dir, "checkpoints", "last.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	return mustRun(t, Options{Config: l.Config, OutDir: dir, Resume: l, MaxSteps: maxSteps})
}

// TestResumeIsExact: stopping after N steps and resuming gives bit-for-bit the parameters
// and optimizer state of an uninterrupted run, with dropout, a schedule and a shuffle each
// epoch — stopping both mid-epoch and at an epoch boundary.
func TestResumeIsExact(t *testing.T) {
	cfg := tinyConfig(t)
	whole := t.TempDir()
	res := mustRun(t, Options{Config: cfg, OutDir: whole})
	if res.Steps != 16 {
		t.Fatalf("uninterrupted run took %d steps, want 16", res.Steps)
	}
	want := weights(t, filepath.Join(whole, "checkpoints", "last.safetensors"))
	// A crash resumes from the last step checkpoint: take step 6's and continue from it.
	crashed := t.TempDir()
	mustRun(t, Options{Config: cfg, OutDir: crashed, MaxSteps: 7})
	ckpts := filepath.Join(crashed, "checkpoints")
	step6, err := os.ReadFile(filepath.Join(ckpts, checkpoint.StepFileName(6)))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ckpts, "last.safetensors"), step6, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := resume(t, crashed, 0); r.Steps != 16 {
		t.Fatalf("resumed from a step checkpoint, ended at step %d, want 16", r.Steps)
	}
	for name, w := range want {
		if !slices.Equal(weights(t, filepath.Join(ckpts, "last.safetensors"))[name], w) {
			t.Errorf("resume from step checkpoint: %s differs from the uninterrupted run", name)
		}
	}
	for _, stopAt := range []int{5, 8} {
		dir := t.TempDir()
		if r := mustRun(t, Options{Config: cfg, OutDir: dir, MaxSteps: stopAt}); r.Stopped != "max steps" || r.Steps != stopAt {
			t.Fatalf("first leg: stopped %q after %d steps, want max steps after %d", r.Stopped, r.Steps, stopAt)
		}
		if r := resume(t, dir, 0); r.Steps != 16 {
			t.Fatalf("resumed run ended at step %d, want 16", r.Steps)
		}
		got := weights(t, filepath.Join(dir, "checkpoints", "last.safetensors"))
		if len(got) != len(want) {
			t.Fatalf("stop at %d: %d tensors, want %d", stopAt, len(got), len(want))
		}
		for name, w := range want {
			if !slices.Equal(got[name], w) {
				t.Errorf("stop at %d and resume: %s differs from the uninterrupted run", stopAt, name)
			}
		}
	}
}

// TestRunDirectory checks the files a run leaves: the resolved config, metrics lines, last
// and best checkpoints and at most keep_last step checkpoints.
func TestRunDirectory(t *testing.T) {
	cfg := tinyConfig(t)
	dir := t.TempDir()
	mustRun(t, Options{Config: cfg, OutDir: dir})
	b, err := os.ReadFile(filepath.Join(dir, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if back, err := config.Parse("config.yaml", b); err != nil || back.Train.Epochs != 2 || back.Data.Limit != 256 {
		t.Errorf("config.yaml does not hold the resolved config: %v", err)
	}
	splits := map[string]int{}
	f, err := os.Open(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for sc := bufio.NewScanner(f); sc.Scan(); {
		var line struct {
			Split string
			Loss  *float64
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil || line.Loss == nil {
			t.Fatalf("metrics line %q: %v", sc.Text(), err)
		}
		splits[line.Split]++
	}
	if splits["val"] != 2 || splits["train"] < 4 {
		t.Errorf("metrics.jsonl has %v lines by split, want 2 val and at least 4 train", splits)
	}
	steps, _ := filepath.Glob(filepath.Join(dir, "checkpoints", "step-*.safetensors"))
	if len(steps) != 2 {
		t.Errorf("kept %d step checkpoints, want keep_last=2: %v", len(steps), steps)
	}
	for _, name := range []string{"last", "best"} {
		if _, err := snapshot.Load(filepath.Join(dir, "checkpoints", name+".safetensors")); err != nil {
			t.Errorf("%s checkpoint: %v", name, err)
		}
	}
	if _, err := Run(context.Background(), Options{Config: cfg, OutDir: dir}); err == nil || !strings.Contains(err.Error(), "--resume") {
		t.Errorf("a new run over an existing one: got %v, want an error pointing to --resume", err)
	}
}

// TestInterrupt: a cancelled context stops training with a checkpoint to resume from.
func TestInterrupt(t *testing.T) {
	cfg := tinyConfig(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, Options{Config: cfg, OutDir: dir})
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("got %v, want ErrInterrupted", err)
	}
	if r := resume(t, dir, 0); r.Steps != 16 {
		t.Errorf("resume after interrupt ended at step %d, want 16", r.Steps)
	}
}

// TestDivergenceKeepsLastGoodCheckpoint: a huge learning rate makes the loss overflow;
// training stops with a clear error and the last checkpoint stays loadable and finite.
func TestDivergenceKeepsLastGoodCheckpoint(t *testing.T) {
	cfg := tinyConfig(t, "train.optimizer.name=sgd", "train.optimizer.lr=1e30", "train.schedule.name=constant",
		"train.schedule.warmup_steps=0", "train.checkpoint_every=1")
	dir := t.TempDir()
	_, err := Run(context.Background(), Options{Config: cfg, OutDir: dir})
	if err == nil || !strings.Contains(err.Error(), "last good checkpoint") {
		t.Fatalf("got %v, want a divergence error naming the last good checkpoint", err)
	}
	last := filepath.Join(dir, "checkpoints", "last.safetensors")
	if _, statErr := os.Stat(last); statErr == nil {
		for name, w := range weights(t, last) {
			for _, v := range w {
				if v != v {
					t.Fatalf("last checkpoint holds NaN in %s", name)
				}
			}
		}
	}
}

// TestEarlyStopping: with no improvement for patience epochs the run stops early.
func TestEarlyStopping(t *testing.T) {
	cfg := tinyConfig(t, "train.epochs=6", "train.patience=1", "train.optimizer.lr=1e-12", "train.schedule.name=constant",
		"train.schedule.min_lr=0", "model.cnn.dropout=0")
	res := mustRun(t, Options{Config: cfg, OutDir: t.TempDir()})
	if res.Stopped != "early stopping" || res.Epochs != 2 || res.BestEpoch != 1 {
		t.Errorf("got stopped %q after %d epochs (best %d), want early stopping after 2 (best 1)", res.Stopped, res.Epochs, res.BestEpoch)
	}
}
