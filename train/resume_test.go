package train

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/checkpoint"
	"github.com/gorgonet/gorgonet/config"
	"github.com/gorgonet/gorgonet/snapshot"
)

func writeYAML(t *testing.T, path string, cfg config.Experiment) {
	t.Helper()
	b, err := cfg.YAML()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestResumeRefusesAnotherRun: a checkpoint whose config is not the run's config.yaml (a
// sentiment LSTM's checkpoint dropped into a CNN run, say) is refused in one line unless
// forced; a difference in train.* only, which --set makes on resume, is not.
func TestResumeRefusesAnotherRun(t *testing.T) {
	cfg := tinyConfig(t)
	dir := t.TempDir()
	mustRun(t, Options{Config: cfg, OutDir: dir, MaxSteps: 3})
	other, _, err := config.Load("sentiment-lstm")
	if err != nil {
		t.Fatal(err)
	}
	writeYAML(t, filepath.Join(dir, "config.yaml"), other)
	_, err = OpenResume(dir, false)
	for _, want := range []string{"cannot resume " + dir, "last.safetensors belongs to another run", "name mnist-cnn, model cnn", "name sentiment-lstm, model lstm", "--force-resume"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want an error with %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q is not one line", err)
	}
	if l, err := OpenResume(dir, true); err != nil || l.Config.Name != "mnist-cnn" {
		t.Errorf("--force-resume: got %v, want the checkpoint", err)
	}
	changed := cfg
	changed.Train.Epochs = 5
	writeYAML(t, filepath.Join(dir, "config.yaml"), changed)
	if _, err := OpenResume(dir, false); err != nil {
		t.Errorf("config.yaml differing in train.epochs only: got %v, want the checkpoint", err)
	}
}

// TestResumeFromStepCheckpoint: a run killed after its first step checkpoint but before
// last.safetensors resumes from the step checkpoint and ends as the uninterrupted run does.
func TestResumeFromStepCheckpoint(t *testing.T) {
	cfg := tinyConfig(t)
	whole := t.TempDir()
	mustRun(t, Options{Config: cfg, OutDir: whole})
	want := weights(t, filepath.Join(whole, "checkpoints", "last.safetensors"))

	dir := t.TempDir()
	mustRun(t, Options{Config: cfg, OutDir: dir, MaxSteps: 3}) // writes step 3, then last
	if err := os.Remove(filepath.Join(dir, "checkpoints", "last.safetensors")); err != nil {
		t.Fatal(err)
	}
	l, err := OpenResume(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if base := filepath.Base(l.Path); base != checkpoint.StepFileName(3) {
		t.Errorf("resumes from %s, want %s", base, checkpoint.StepFileName(3))
	}
	mustRun(t, Options{Config: l.Config, OutDir: dir, Resume: l})
	got := weights(t, filepath.Join(dir, "checkpoints", "last.safetensors"))
	for name, w := range want {
		if !slices.Equal(got[name], w) {
			t.Errorf("%s differs from the uninterrupted run", name)
		}
	}
}

// TestResumeWithoutCheckpoint says how to start again when a run has none.
func TestResumeWithoutCheckpoint(t *testing.T) {
	dir := t.TempDir()
	writeYAML(t, filepath.Join(dir, "config.yaml"), tinyConfig(t))
	_, err := OpenResume(dir, false)
	want := "it holds no checkpoint"
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "--config "+filepath.Join(dir, "config.yaml")+" --out "+dir) {
		t.Errorf("got %v, want %q and the command that starts it again", err, want)
	}
	empty := t.TempDir()
	if _, err := OpenResume(empty, false); err == nil || !strings.Contains(err.Error(), "cannot resume "+empty+": it holds no run") {
		t.Errorf("an empty directory: got %v, want it to hold no run", err)
	}
	// That command works: a directory without checkpoints is not a run yet.
	cfg := tinyConfig(t, "train.epochs=1")
	if _, err := Run(context.Background(), Options{Config: cfg, OutDir: dir, MaxSteps: 1}); err != nil {
		t.Errorf("starting again over a run without checkpoints: %v", err)
	}
}

// TestBestIsWrittenBeforeLast: a crash while the final epoch's best checkpoint is written
// leaves last at the previous epoch, so resuming redoes the epoch and best and last agree
// (last used to say the run was complete while best still held the previous epoch).
func TestBestIsWrittenBeforeLast(t *testing.T) {
	cfg := tinyConfig(t, "train.metric=loss") // the validation loss of the tiny run falls in both epochs
	dir := t.TempDir()
	crash := errors.New("killed while writing best")
	crashed := false
	saveSnapshot = func(path string, s snapshot.State) error {
		if filepath.Base(path) == "best.safetensors" && s.Progress.Epoch == cfg.Train.Epochs {
			crashed = true
			return crash
		}
		return snapshot.Save(path, s)
	}
	_, err := Run(context.Background(), Options{Config: cfg, OutDir: dir})
	saveSnapshot = snapshot.Save
	if !crashed {
		t.Fatalf("the final epoch wrote no best checkpoint (did not improve); the test needs one")
	}
	if !errors.Is(err, crash) {
		t.Fatalf("got %v, want the write error", err)
	}
	resume(t, dir, 0)
	ckpts := filepath.Join(dir, "checkpoints")
	last, err := snapshot.Load(filepath.Join(ckpts, "last.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	best, err := snapshot.Load(filepath.Join(ckpts, "best.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if last.Progress.BestEpoch != best.Progress.Epoch {
		t.Errorf("last records best epoch %d, best.safetensors holds epoch %d", last.Progress.BestEpoch, best.Progress.Epoch)
	}
	lw, bw := weights(t, last.Path), weights(t, best.Path)
	for name, w := range lw {
		if !slices.Equal(bw[name], w) {
			t.Errorf("best and last hold the same epoch but %s differs", name)
		}
	}
}

// TestNewRunRefusesAnyCheckpoint: a directory with only best.safetensors (or only a step
// checkpoint) is a run too; a new run over it would replace its weights.
func TestNewRunRefusesAnyCheckpoint(t *testing.T) {
	for _, name := range []string{"best.safetensors", checkpoint.StepFileName(3)} {
		dir := t.TempDir()
		ckpts := filepath.Join(dir, "checkpoints")
		if err := os.MkdirAll(ckpts, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(ckpts, name), []byte("weights"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Run(context.Background(), Options{Config: tinyConfig(t), OutDir: dir})
		if err == nil || !strings.Contains(err.Error(), "already holds a run ("+name+")") || !strings.Contains(err.Error(), "--resume "+dir) {
			t.Errorf("%s only: got %v, want a refusal pointing to --resume", name, err)
		}
		if b, _ := os.ReadFile(filepath.Join(ckpts, name)); string(b) != "weights" {
			t.Errorf("%s was changed", name)
		}
	}
}

// TestDivergenceBeforeAnyCheckpoint: the error must not name a last good checkpoint that
// was never written.
func TestDivergenceBeforeAnyCheckpoint(t *testing.T) {
	cfg := tinyConfig(t, "train.optimizer.name=sgd", "train.optimizer.lr=1e30", "train.schedule.name=constant",
		"train.schedule.warmup_steps=0", "train.checkpoint_every=0")
	dir := t.TempDir()
	_, err := Run(context.Background(), Options{Config: cfg, OutDir: dir})
	if err == nil || !strings.Contains(err.Error(), "no checkpoint was written yet") || strings.Contains(err.Error(), "last good checkpoint") {
		t.Errorf("got %v, want a divergence error saying no checkpoint was written", err)
	}
}
