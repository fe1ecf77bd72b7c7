package train

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/gorgonet/gorgonet/checkpoint"
	"github.com/gorgonet/gorgonet/config"
	"github.com/gorgonet/gorgonet/snapshot"
)

// OpenResume loads the checkpoint to resume the run in dir from: the newest of
// checkpoints/last.safetensors and the step checkpoints that loads, so a run killed before
// its first last.safetensors resumes from a step checkpoint. Unless force is set, it refuses
// a checkpoint whose config (train.* aside, which a resume may change) is not the run's
// config.yaml: a checkpoint of another run.
func OpenResume(dir string, force bool) (*snapshot.Loaded, error) {
	l, err := newestCheckpoint(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot resume %s: %w", dir, err)
	}
	if force {
		return l, nil
	}
	if err := checkBelongs(dir, l); err != nil {
		return nil, fmt.Errorf("cannot resume %s: %w", dir, err)
	}
	return l, nil
}

// newestCheckpoint is the loadable checkpoint of the run in dir with the most steps; last
// wins a tie.
func newestCheckpoint(dir string) (*snapshot.Loaded, error) {
	ckptDir := filepath.Join(dir, "checkpoints")
	steps, err := checkpoint.StepFiles(ckptDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	slices.Reverse(steps) // newest first
	paths := []string{filepath.Join(ckptDir, "last.safetensors")}
	for _, s := range steps {
		paths = append(paths, filepath.Join(ckptDir, s))
	}
	var best *snapshot.Loaded
	var firstErr error
	for _, p := range paths {
		l, err := snapshot.Load(p)
		switch {
		case err == nil && (best == nil || l.Progress.Step > best.Progress.Step):
			best = l
		case err != nil && firstErr == nil && fileExists(p):
			firstErr = err
		}
	}
	switch {
	case best != nil:
		return best, nil
	case firstErr != nil:
		return nil, fmt.Errorf("no checkpoint of it loads (%v)", firstErr)
	case !fileExists(filepath.Join(dir, "config.yaml")):
		return nil, errors.New("it holds no run: no checkpoint and no config.yaml")
	}
	return nil, fmt.Errorf("it holds no checkpoint (%s or step-*.safetensors): the run stopped before its first; start it again with --config %s --out %s",
		filepath.Join(ckptDir, "last.safetensors"), filepath.Join(dir, "config.yaml"), dir)
}

// checkBelongs refuses a checkpoint whose config differs from the run's config.yaml in
// anything but train.*; a run without config.yaml has nothing to compare with.
func checkBelongs(dir string, l *snapshot.Loaded) error {
	path := filepath.Join(dir, "config.yaml")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", path, err)
	}
	run, err := config.ParseSaved(path, b)
	if err != nil {
		return err
	}
	same, err := sameRun(run, l.Config)
	if err != nil || same {
		return err
	}
	return fmt.Errorf("%s belongs to another run (name %s, model %s, data %s), not to %s (name %s, model %s, data %s); --force-resume resumes it anyway",
		l.Path, l.Config.Name, l.Config.Model.Kind, l.Config.Data.Name, path, run.Name, run.Model.Kind, run.Data.Name)
}

// sameRun reports whether a and b describe the same run: equal but for train.*.
func sameRun(a, b config.Experiment) (bool, error) {
	a.Train, b.Train = config.Train{}, config.Train{}
	ya, err := a.YAML()
	if err != nil {
		return false, err
	}
	yb, err := b.YAML()
	return bytes.Equal(ya, yb), err
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
