package checkpoint

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// sample is a small valid checkpoint; step tells versions apart.
func sample(step int64) *File {
	return &File{
		Tensors: map[string]Tensor{
			"w":    {Shape: []int{2}, F32: []float32{1, 2}},
			"step": {Shape: []int{}, I64: []int64{step}},
		},
		Metadata: map[string]string{"step": "x"},
	}
}

// dirNames lists the names in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteRead(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "last.safetensors")
	for step := int64(1); step <= 3; step++ {
		if err := Write(path, sample(step)); err != nil {
			t.Fatalf("Write step %d: %v", step, err)
		}
		got, err := Read(path)
		if err != nil {
			t.Fatalf("Read after writing step %d: %v", step, err)
		}
		if diff := fileDiff(got, sample(step)); diff != "" {
			t.Errorf("Read after writing step %d: %s", step, diff)
		}
		// Replacing the file must leave no temporary file behind.
		if got, want := dirNames(t, dir), []string{"last.safetensors"}; !slices.Equal(got, want) {
			t.Errorf("after writing step %d the directory holds %q, want %q", step, got, want)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fi.Mode().Perm(), fs.FileMode(0o644); got != want {
		t.Errorf("mode = %v, want %v", got, want)
	}
}

func TestWriteFailureKeepsOldFile(t *testing.T) {
	for _, test := range []struct {
		name string
		// setup prepares dir, which holds the old last.safetensors, and returns the path
		// to write to.
		setup func(t *testing.T, dir string) string
		bad   *File
	}{
		{
			name: "unwritable directory",
			setup: func(t *testing.T, dir string) string {
				if err := os.Chmod(dir, 0o555); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { os.Chmod(dir, 0o755) })
				if f, err := os.CreateTemp(dir, "probe"); err == nil {
					f.Close()
					os.Remove(f.Name())
					t.Skip("permissions are not enforced for this user (root?)")
				}
				return filepath.Join(dir, "last.safetensors")
			},
		},
		{
			// The rename fails after the temporary file is written, even for root.
			name: "target is a non-empty directory",
			setup: func(t *testing.T, dir string) string {
				target := filepath.Join(dir, "best.safetensors")
				if err := os.MkdirAll(filepath.Join(target, "x"), 0o755); err != nil {
					t.Fatal(err)
				}
				return target
			},
		},
		{
			name: "missing directory",
			setup: func(t *testing.T, dir string) string {
				return filepath.Join(dir, "missing", "last.safetensors")
			},
		},
		{
			name: "invalid tensor",
			setup: func(t *testing.T, dir string) string {
				return filepath.Join(dir, "last.safetensors")
			},
			bad: &File{Tensors: map[string]Tensor{"w": {Shape: []int{3}, F32: []float32{1}}}},
		},
	} {
		t.Run(test.name, func(t *testing.T) {
			dir := t.TempDir()
			old := filepath.Join(dir, "last.safetensors")
			if err := Write(old, sample(1)); err != nil {
				t.Fatal(err)
			}
			oldBytes, err := os.ReadFile(old)
			if err != nil {
				t.Fatal(err)
			}
			path := test.setup(t, dir)
			before := dirNames(t, dir)
			f := test.bad
			if f == nil {
				f = sample(2)
			}

			err = Write(path, f)
			if err == nil || !strings.Contains(err.Error(), "checkpoint "+path+": ") {
				t.Fatalf("Write error = %v, want one naming %s", err, path)
			}
			if got, err := os.ReadFile(old); err != nil || !bytes.Equal(got, oldBytes) {
				t.Errorf("old file changed or unreadable after failed Write (err %v)", err)
			}
			if got := dirNames(t, dir); !slices.Equal(got, before) {
				t.Errorf("directory holds %q after failed Write, want %q", got, before)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.safetensors")
	if err := os.WriteFile(corrupt, []byte("not a checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.safetensors")
	for _, test := range []struct {
		path string
		want string
	}{
		{missing, "checkpoint " + missing + ": cannot read: no such file or directory"},
		{dir, "checkpoint " + dir + ": cannot read: is a directory"},
		{corrupt, "checkpoint " + corrupt + ": header length"},
	} {
		_, err := Read(test.path)
		if err == nil || !strings.HasPrefix(err.Error(), test.want) {
			t.Errorf("Read(%s) error = %v, want one starting %q", test.path, err, test.want)
		}
	}
	if _, err := Read(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read(missing) error = %v, want one that is fs.ErrNotExist", err)
	}
}
