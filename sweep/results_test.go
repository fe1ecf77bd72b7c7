package sweep

import (
	"encoding/csv"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeRun writes the files train and RunOne leave in a run directory: validation accuracies
// per epoch in metrics.jsonl, and one finished attempt.
func fakeRun(t *testing.T, dir string, r Run, accs ...float64) {
	t.Helper()
	runDir := RunDir(dir, r)
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for i, a := range accs {
		lines = append(lines, fmt.Sprintf(`{"split":"train","epoch":%d,"step":%d,"loss":1}`, i+1, 10*i+5),
			fmt.Sprintf(`{"split":"val","epoch":%d,"step":%d,"loss":%g,"accuracy":%g}`, i+1, 10*(i+1), 1-a, a))
	}
	if err := os.WriteFile(filepath.Join(runDir, "metrics.jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	appendAttempt(runDir, Attempt{Start: start, Outcome: "started"})
	appendAttempt(runDir, Attempt{Start: start, Seconds: 2.5, Outcome: "done", Steps: 10 * len(accs)})
}

func TestResults(t *testing.T) {
	f, err := Parse("s.yaml", []byte("name: s\nbase: mnist-cnn\ngrid:\n  train.optimizer.lr: [0.001, 0.01]\nseeds: [1, 2]\n"))
	if err != nil {
		t.Fatal(err)
	}
	plan, dir := f.Expand(), t.TempDir()
	fakeRun(t, dir, plan.Runs[0], 0.5, 0.7, 0.6) // lr 0.001 seed 1: best 0.7 at epoch 2
	fakeRun(t, dir, plan.Runs[1], 0.8, 0.9)      // lr 0.001 seed 2: best 0.9 at epoch 2
	fakeRun(t, dir, plan.Runs[2], 0.75)          // lr 0.01 seed 1
	// plan.Runs[3] never ran.
	rs := Collect(dir, plan)
	var order []int
	for _, r := range rs {
		order = append(order, r.Run.Index)
	}
	if fmt.Sprint(order) != "[1 2 0 3]" {
		t.Errorf("order %v, want [1 2 0 3]: best first, the run without results last", order)
	}
	if r := rs[0]; r.Best != 0.9 || r.BestEpoch != 2 || r.Steps != 20 || r.Seconds != 2.5 || r.State != StateDone {
		t.Errorf("best run: %+v", r)
	}
	if r := rs[2]; math.Abs(r.Mean-0.8) > 1e-12 || math.Abs(r.SD-math.Sqrt(0.02)) > 1e-12 || r.Seeds != 2 {
		t.Errorf("lr 0.001 over seeds: mean %g sd %g n %d, want 0.8, %g, 2", r.Mean, r.SD, r.Seeds, math.Sqrt(0.02))
	}
	if r := rs[3]; r.State != StatePending || !math.IsNaN(r.Best) {
		t.Errorf("run never started: %+v", r)
	}
	if err := WriteResults(dir, plan, rs); err != nil {
		t.Fatal(err)
	}
	file, _ := os.Open(filepath.Join(dir, "results.csv"))
	records, err := csv.NewReader(file).ReadAll()
	file.Close()
	if err != nil || len(records) != 5 {
		t.Fatalf("results.csv: %d records (%v), want a header and 4 rows", len(records), err)
	}
	if got, want := strings.Join(records[1][:8], ","), "001-lr=0.001-seed=2,0.001,2,done,0.9000,2,,20"; got != want {
		t.Errorf("first row %q, want %q", got, want)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "results.md"))
	if !strings.Contains(string(md), "| `train.optimizer.lr=0.001` | 0.8000 | 0.1414 | 2 |") {
		t.Errorf("results.md lacks the mean over seeds:\n%s", md)
	}
	img, err := os.Open(filepath.Join(dir, "results.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if cfg, err := png.DecodeConfig(img); err != nil || cfg.Width < 100 {
		t.Errorf("results.png: %v, %+v", err, cfg)
	}
}
