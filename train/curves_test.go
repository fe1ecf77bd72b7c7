package train

import (
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/gorgonet/gorgonet/curves"
	"github.com/gorgonet/gorgonet/rundir"
)

// plotted is what the run in dir's curves.png plots, after checking that the picture
// decodes with a sane size.
func plotted(t *testing.T, dir string) curves.Curves {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, curves.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("curves.png: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 300 || b.Dx() > 3000 || b.Dy() > 3000 {
		t.Errorf("curves.png is %dx%d", b.Dx(), b.Dy())
	}
	r, err := rundir.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	return curves.Of(r)
}

func xs(c curves.Curves) (steps, epochs string) {
	var s, e []float64
	for _, pt := range c.TrainLoss {
		s = append(s, pt.X)
	}
	for _, pt := range c.ValLoss {
		e = append(e, pt.X)
	}
	return fmt.Sprint(s), fmt.Sprint(e)
}

// TestCurvesSurviveResume: a run stopped in its second epoch draws the steps and the epoch
// it did; resumed, it draws those and the rest.
func TestCurvesSurviveResume(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, Options{Config: tinyConfig(t), OutDir: dir, MaxSteps: 12}) // 8 steps an epoch, a line every 4
	before := plotted(t, dir)
	if steps, epochs := xs(before); steps != "[4 8 12]" || epochs != "[1]" {
		t.Errorf("before the resume: steps %s, epochs %s; want [4 8 12] and [1]", steps, epochs)
	}
	resume(t, dir, 0)
	after := plotted(t, dir)
	if steps, epochs := xs(after); steps != "[4 8 12 16]" || epochs != "[1 2]" {
		t.Errorf("after the resume: steps %s, epochs %s; want [4 8 12 16] and [1 2]", steps, epochs)
	}
	for i, pt := range before.TrainLoss {
		if after.TrainLoss[i] != pt {
			t.Errorf("step %g: loss %g before the resume, %g after", pt.X, pt.Y, after.TrainLoss[i].Y)
		}
	}
	if after.Metric != "accuracy" || len(after.ValMetric) != 2 || after.BestEpoch == 0 || len(after.LR) != 4 {
		t.Errorf("after the resume: %+v", after)
	}
}
