package main

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gorgonet/gorgonet/tfevents"
)

// checkEventFile checks the event file of a run that logged every one of its steps, however
// often it was killed and resumed: every record whole, and train/loss at steps 1 to steps,
// each once and in order, with validation after.
func checkEventFile(t *testing.T, dir string, steps int) {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(dir, tfevents.Prefix+"*"))
	if len(paths) != 1 {
		t.Fatalf("%s holds event files %v, want one", dir, paths)
	}
	f, err := os.Open(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := tfevents.NewReader(f)
	var lossSteps []int64
	val := 0
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", paths[0], err)
		}
		for _, v := range e.GetSummary().GetValue() {
			switch v.Tag {
			case "train/loss":
				lossSteps = append(lossSteps, e.Step)
			case "val/loss":
				val++
			}
		}
	}
	for i, s := range lossSteps {
		if s != int64(i+1) {
			t.Fatalf("%s: train/loss logged at steps %v, want 1 to %d once each", paths[0], lossSteps, steps)
		}
	}
	if len(lossSteps) != steps || val == 0 {
		t.Errorf("%s: train/loss at %d steps and val/loss %d times, want %d steps and validation", paths[0], len(lossSteps), val, steps)
	}
}
