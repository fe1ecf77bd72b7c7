package checkpoint

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// touch creates the named files, and their directories, under dir.
func touch(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, name := range names {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestResolve(t *testing.T) {
	for _, test := range []struct {
		name  string
		files []string // created under a fresh directory
		arg   string   // relative to that directory
		want  string   // relative to that directory; "" means an error
		err   string
	}{
		{"run directory with best", []string{"checkpoints/best.safetensors", "checkpoints/last.safetensors", "best.safetensors"}, ".", "checkpoints/best.safetensors", ""},
		{"run directory with last only", []string{"checkpoints/last.safetensors", "best.safetensors"}, ".", "checkpoints/last.safetensors", ""},
		{"checkpoint directory with best", []string{"best.safetensors", "last.safetensors"}, ".", "best.safetensors", ""},
		{"checkpoint directory with last", []string{"last.safetensors", "step-000000001.safetensors"}, ".", "last.safetensors", ""},
		{"file", []string{"a/model.safetensors"}, "a/model.safetensors", "a/model.safetensors", ""},
		{"missing path", nil, "nope", "", "nope: no such file or directory"},
		{"directory without checkpoints", []string{"checkpoints/step-000000001.safetensors"}, ".", "", "holds none of checkpoints/best.safetensors, checkpoints/last.safetensors, best.safetensors, last.safetensors"},
	} {
		dir := t.TempDir()
		touch(t, dir, test.files...)
		arg := filepath.Join(dir, test.arg)
		got, err := Resolve(arg)
		if test.want == "" {
			if err == nil || !strings.Contains(err.Error(), "checkpoint "+arg) || !strings.Contains(err.Error(), test.err) {
				t.Errorf("%s: Resolve error = %v, want one naming %s and containing %q", test.name, err, arg, test.err)
			}
			continue
		}
		if want := filepath.Join(dir, test.want); err != nil || got != want {
			t.Errorf("%s: Resolve = %q, %v, want %q", test.name, got, err, want)
		}
	}
}

func TestStepFileName(t *testing.T) {
	for _, test := range []struct {
		step int
		want string
	}{
		{0, "step-000000000.safetensors"},
		{123, "step-000000123.safetensors"},
		{999999999, "step-999999999.safetensors"},
		{1000000000, "step-1000000000.safetensors"},
	} {
		if got := StepFileName(test.step); got != test.want {
			t.Errorf("StepFileName(%d) = %q, want %q", test.step, got, test.want)
		}
	}
}

func TestPrune(t *testing.T) {
	others := []string{"best.safetensors", "last.safetensors", "step-best.safetensors", "step-.safetensors",
		".step-000000009.safetensors.123.tmp", "step-000000001.txt"}
	steps := []int{5, 1, 3, 2, 4}
	for _, test := range []struct {
		name  string
		steps []int
		keep  int
		want  []int // the steps left
	}{
		{"keep 2", steps, 2, []int{4, 5}},
		{"keep 1", steps, 1, []int{5}},
		{"keep more than there are", steps, 10, []int{1, 2, 3, 4, 5}},
		{"keep 0 keeps all", steps, 0, []int{1, 2, 3, 4, 5}},
		{"keep -1 keeps all", steps, -1, []int{1, 2, 3, 4, 5}},
		{"no step files", nil, 1, nil},
		{"past nine digits", []int{999999998, 1000000000, 999999999}, 2, []int{999999999, 1000000000}},
	} {
		dir := t.TempDir()
		touch(t, dir, others...)
		for _, s := range test.steps {
			touch(t, dir, StepFileName(s))
		}
		if err := Prune(dir, test.keep); err != nil {
			t.Errorf("%s: Prune: %v", test.name, err)
			continue
		}
		want := slices.Clone(others)
		for _, s := range test.want {
			want = append(want, StepFileName(s))
		}
		slices.Sort(want)
		if got := dirNames(t, dir); !slices.Equal(got, want) {
			t.Errorf("%s: left %q, want %q", test.name, got, want)
		}
	}
}

func TestPruneMissingDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	err := Prune(dir, 1)
	if err == nil || !strings.Contains(err.Error(), "checkpoint "+dir+": ") {
		t.Errorf("Prune(missing) error = %v, want one naming %s", err, dir)
	}
}
