package main

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/gorgonet/gorgonet/tfevents"
)

func TestSplit(t *testing.T) {
	dir := t.TempDir()
	var file []byte
	for _, d := range []string{"zero", "", "two"} {
		file = tfevents.AppendRecord(file, []byte(d))
	}
	path := filepath.Join(dir, "records")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if n, err := split(path, out); n != 3 || err != nil {
		t.Fatalf("split = %d, %v; want 3 records", n, err)
	}
	for name, want := range map[string]string{"000000.pb": "zero", "000001.pb": "", "000002.pb": "two"} {
		if got, err := os.ReadFile(filepath.Join(out, name)); err != nil || string(got) != want {
			t.Errorf("%s holds %q, %v; want %q", name, got, err, want)
		}
	}
	if err := os.WriteFile(path, file[:len(file)-1], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := split(path, out); !errors.Is(err, tfevents.ErrTorn) {
		t.Errorf("split of a torn file: %v, want ErrTorn", err)
	}
}
