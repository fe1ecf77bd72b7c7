package checkpoint

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// resolveOrder lists, in order of preference, where Resolve looks inside a directory:
// first a run directory's checkpoints/, then the directory itself.
var resolveOrder = []string{
	filepath.Join("checkpoints", "best.safetensors"),
	filepath.Join("checkpoints", "last.safetensors"),
	"best.safetensors",
	"last.safetensors",
}

// Resolve turns a user's --checkpoint argument into a file path. A file is returned as
// is; for a directory, Resolve returns the first regular file among
// checkpoints/best.safetensors, checkpoints/last.safetensors, best.safetensors and
// last.safetensors inside it.
func Resolve(arg string) (string, error) {
	fi, err := os.Stat(arg)
	if err != nil {
		return "", fmt.Errorf("checkpoint %s: %w", arg, pathErr(err))
	}
	if fi.Mode().IsRegular() {
		return arg, nil
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("checkpoint %s: not a regular file or a directory", arg)
	}
	for _, rel := range resolveOrder {
		p := filepath.Join(arg, rel)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("checkpoint %s: directory holds none of %s", arg, strings.Join(resolveOrder, ", "))
}

// stepPrefix and stepSuffix frame the step number in a step checkpoint's file name.
const (
	stepPrefix = "step-"
	stepSuffix = ".safetensors"
)

// StepFileName returns the file name of the checkpoint taken at step, such as
// "step-000000123.safetensors"; zero padding makes name order step order.
func StepFileName(step int) string {
	return fmt.Sprintf("%s%09d%s", stepPrefix, step, stepSuffix)
}

// Prune deletes the oldest step checkpoints in dir, the files named like StepFileName,
// so that at most keep remain. keep <= 0 keeps all. Other files are never touched.
func Prune(dir string, keep int) error {
	if keep <= 0 {
		return nil
	}
	steps, err := StepFiles(dir)
	if err != nil {
		return err
	}
	for len(steps) > keep {
		if err := os.Remove(filepath.Join(dir, steps[0])); err != nil {
			return fmt.Errorf("checkpoint %s: cannot prune %s: %w", dir, steps[0], pathErr(err))
		}
		steps = steps[1:]
	}
	return nil
}

// StepFiles returns the names of the step checkpoints in dir, oldest first.
func StepFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: cannot list step files: %w", dir, pathErr(err))
	}
	var steps []string
	for _, e := range entries {
		if !e.IsDir() && isStepFileName(e.Name()) {
			steps = append(steps, e.Name())
		}
	}
	// Shorter numbers first keeps step order past step 999999999, where the
	// padding runs out.
	sort.Slice(steps, func(i, j int) bool {
		if len(steps[i]) != len(steps[j]) {
			return len(steps[i]) < len(steps[j])
		}
		return steps[i] < steps[j]
	})
	return steps, nil
}

// isStepFileName reports whether name is step-<digits>.safetensors.
func isStepFileName(name string) bool {
	digits, ok := strings.CutPrefix(name, stepPrefix)
	if !ok {
		return false
	}
	digits, ok = strings.CutSuffix(digits, stepSuffix)
	if !ok || digits == "" {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
