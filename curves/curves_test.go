package curves

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot/plotter"

	"github.com/gorgonet/gorgonet/config"
	"github.com/gorgonet/gorgonet/rundir"
)

// fakeRun writes a run directory with the default config named name and metrics.jsonl
// lines of the given validation accuracies, two logged steps an epoch.
func fakeRun(t *testing.T, dir, name string, metric string, accs ...float64) rundir.Run {
	t.Helper()
	cfg := config.Default()
	cfg.Name, cfg.Train.Metric = name, metric
	b, err := cfg.YAML()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for i, a := range accs {
		e := i + 1
		lines = append(lines,
			fmt.Sprintf(`{"split":"train","epoch":%d,"step":%d,"loss":%g,"lr":0.001}`, e, 10*e-5, 2-a),
			fmt.Sprintf(`{"split":"train","epoch":%d,"step":%d,"loss":%g,"lr":0.001}`, e, 10*e, 1.9-a),
			fmt.Sprintf(`{"split":"val","epoch":%d,"step":%d,"loss":%g,"accuracy":%g}`, e, 10*e, 1-a, a))
	}
	os.MkdirAll(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "metrics.jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := rundir.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func decodes(t *testing.T, b []byte, minWidth int) {
	t.Helper()
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil || cfg.Width < minWidth || cfg.Height < 300 {
		t.Errorf("PNG: %v, %dx%d", err, cfg.Width, cfg.Height)
	}
}

func TestOf(t *testing.T) {
	r := fakeRun(t, t.TempDir(), "a", "loss", 0.5, 0.8, 0.7)
	c := Of(r)
	if len(c.TrainLoss) != 6 || len(c.LR) != 6 || len(c.ValLoss) != 3 || len(c.ValMetric) != 3 {
		t.Fatalf("curves %+v: want 6 steps and 3 epochs", c)
	}
	if c.Metric != "accuracy" || c.BestEpoch != 2 || c.Epochs != 3 || c.ValMetric[1].Y != 0.8 || c.TrainLoss[3].X != 20 {
		t.Errorf("curves %+v: want the accuracy panel, best loss at epoch 2", c)
	}
	if !strings.Contains(c.Title, "a — cnn on mnist") {
		t.Errorf("title %q", c.Title)
	}
	var buf bytes.Buffer
	if err := c.WritePNG(&buf); err != nil {
		t.Fatal(err)
	}
	decodes(t, buf.Bytes(), 600)
}

// TestEmptyRun: a run with nothing logged yet (or one lone point) still draws.
func TestEmptyRun(t *testing.T) {
	for _, accs := range [][]float64{nil, {0.5}} {
		dir := t.TempDir()
		fakeRun(t, dir, "empty", "accuracy", accs...)
		stale := filepath.Join(dir, ".curves.png.123.tmp") // left by a kill while drawing
		os.WriteFile(stale, nil, 0o644)
		RemoveStale(dir)
		if _, err := os.Stat(stale); err == nil {
			t.Errorf("RemoveStale left %s", stale)
		}
		if err := WriteFile(dir); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, FileName))
		if err != nil {
			t.Fatal(err)
		}
		decodes(t, b, 600)
	}
	if err := WriteFile(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a run directory") {
		t.Errorf("a directory that is no run: %v", err)
	}
}

func TestCompare(t *testing.T) {
	root := t.TempDir()
	rs := []rundir.Run{
		fakeRun(t, filepath.Join(root, "x"), "same", "accuracy", 0.5, 0.6),
		fakeRun(t, filepath.Join(root, "y"), "same", "accuracy", 0.4, 0.7, 0.9),
	}
	c := Compare(rs, "accuracy")
	if fmt.Sprint(c.Labels) != "[x y]" || len(c.ValMetric[1]) != 3 || len(c.TrainLoss[0]) != 4 || c.Epochs != 3 {
		t.Errorf("compared %+v", c)
	}
	path := filepath.Join(root, "compare.png")
	if err := WriteCompareFile(path, rs, "accuracy"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	decodes(t, b, 600)
}

func TestThin(t *testing.T) {
	var pts plotter.XYs
	for i := range 10 {
		pts = append(pts, plotter.XY{X: float64(i), Y: float64(2 * i)})
	}
	if got := thin(pts, 20); len(got) != 10 {
		t.Errorf("thin of 10 points to 20: %d points, want all 10", len(got))
	}
	got := thin(pts, 4) // groups of 3: 0-2, 3-5, 6-8, 9
	if want := (plotter.XYs{{X: 1, Y: 2}, {X: 4, Y: 8}, {X: 7, Y: 14}, {X: 9, Y: 18}}); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("thin to 4: %v, want %v", got, want)
	}
}
