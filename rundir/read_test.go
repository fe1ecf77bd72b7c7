package rundir

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/config"
)

// writeRun writes a run directory: the default config named name, and metrics.jsonl lines.
func writeRun(t *testing.T, dir, name string, lines ...string) {
	t.Helper()
	cfg := config.Default()
	cfg.Name = name
	b, err := cfg.YAML()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "metrics.jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReadReplacesRedoneRecords(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, "tiny",
		`{"time":"2026-12-03T10:00:00.000Z","split":"train","epoch":1,"step":5,"loss":2,"lr":0.01}`,
		`{"time":"2026-12-03T10:00:01.000Z","split":"train","epoch":1,"step":10,"loss":1.5,"lr":0.01}`,
		`{"time":"2026-12-03T10:00:02.000Z","split":"val","epoch":1,"step":10,"loss":1.2,"accuracy":0.6}`,
		`{"time":"2026-12-03T10:00:03.000Z","split":"train","epoch":2,"step":15,"loss":1.1,"lr":0.01}`,
		`not json: skipped`,
		// resumed from the checkpoint of step 10: step 15 is done again
		`{"time":"2026-12-03T10:01:00.000Z","split":"train","epoch":2,"step":15,"loss":1.0,"lr":0.005}`,
		`{"time":"2026-12-03T10:01:01.000Z","split":"val","epoch":2,"step":20,"loss":0.9,"accuracy":0.7}`,
		`{"time":"2026-12-03T10:01:02.000Z","split":"val","epoch":3,"step":30,"loss":1.0,"accuracy":0.65}`,
	)
	r, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.Config.Name != "tiny" {
		t.Errorf("config name %q, want tiny", r.Config.Name)
	}
	var steps []int
	for _, s := range r.Steps {
		steps = append(steps, s.Step)
	}
	if got, want := len(r.Steps), 3; got != want || r.Steps[2].Loss != 1.0 || r.Steps[2].LR != 0.005 {
		t.Errorf("steps %v (%d), want 5, 10 and the redone 15 with loss 1", steps, got)
	}
	if len(r.Epochs) != 3 || r.Epochs[1].Values["accuracy"] != 0.7 {
		t.Errorf("epochs %+v, want 3 with accuracy 0.7 second", r.Epochs)
	}
	if best, epoch := r.Best("accuracy"); best != 0.7 || epoch != 2 {
		t.Errorf("best accuracy %g at %d, want 0.7 at 2", best, epoch)
	}
	if best, epoch := r.Best("loss"); best != 0.9 || epoch != 2 {
		t.Errorf("best loss %g at %d, want 0.9 at 2", best, epoch)
	}
	if got := r.StepCount(); got != 30 {
		t.Errorf("steps %d, want 30", got)
	}
	if got := r.WallSeconds(); got != 62 {
		t.Errorf("wall %gs, want 62 (first record to last)", got)
	}
}

func TestReadNotARun(t *testing.T) {
	dir := t.TempDir()
	_, err := Read(dir)
	if err == nil || !strings.Contains(err.Error(), dir) || strings.Contains(err.Error(), "\n") {
		t.Errorf("error %v, want one line naming %s", err, dir)
	}
}

func TestTableAndLabels(t *testing.T) {
	root := t.TempDir()
	a, b, c := filepath.Join(root, "a"), filepath.Join(root, "b"), filepath.Join(root, "c")
	writeRun(t, a, "same", `{"split":"val","epoch":1,"step":4,"loss":1,"accuracy":0.5}`)
	writeRun(t, b, "same", `{"split":"train","epoch":1,"step":2,"loss":1}`)
	writeRun(t, c, "other")
	var rs []Run
	for _, d := range []string{a, b, c} {
		r, err := Read(d)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	if got := strings.Join(Labels(rs), " "); got != "a b other" {
		t.Errorf("labels %q, want \"a b other\": directories where names clash", got)
	}
	var ss []Summary
	for _, r := range rs {
		ss = append(ss, Summarise(r, "accuracy"))
	}
	var buf bytes.Buffer
	if err := WriteTable(&buf, "accuracy", ss); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 || !strings.Contains(lines[0], "BEST VAL ACCURACY") {
		t.Fatalf("table:\n%s\nwant a header and 3 rows", buf.String())
	}
	for i, want := range [][]string{{a, "same", "mnist", "cnn", "0.5000", "1", "4"}, {b, "same", "-", "-", "2"}, {c, "other", "0"}} {
		fields := strings.Fields(lines[i+1])
		for _, w := range want {
			if !contains(fields, w) {
				t.Errorf("row %d %q lacks %q", i+1, lines[i+1], w)
			}
		}
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func TestWall(t *testing.T) {
	for _, c := range []struct {
		s    float64
		want string
	}{{0, "0s"}, {42.4, "42s"}, {187, "3m07s"}, {7500, "2h05m"}} {
		if got := wall(c.s); got != c.want {
			t.Errorf("wall(%g) = %q, want %q", c.s, got, c.want)
		}
	}
}
