package curves

import (
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/gorgonet/gorgonet/rundir"
)

// FileName is the picture of a run's curves in its run directory.
const FileName = "curves.png"

var (
	trainColor = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	valColor   = color.RGBA{R: 214, G: 39, B: 40, A: 255}
	bestColor  = color.RGBA{R: 44, G: 160, B: 44, A: 255}
)

// Curves are the data of a run's figure: what each panel plots.
type Curves struct {
	Title     string
	TrainLoss plotter.XYs // by step
	LR        plotter.XYs // by step
	ValLoss   plotter.XYs // by epoch
	Metric    string      // the validation metric of ValMetric
	ValMetric plotter.XYs // by epoch
	BestEpoch int         // the best epoch by the run's train.metric; 0 before the first validation
	Epochs    int         // the last epoch validated
}

// Of is what the figure of run r plots. Its metric panel shows the run's train.metric, or
// accuracy when that is the loss (already in the loss panel).
func Of(r rundir.Run) Curves {
	cfg := r.Config
	c := Curves{Title: title(r), Metric: cfg.Train.Metric}
	if c.Metric == "loss" || c.Metric == "" {
		c.Metric = "accuracy"
	}
	for _, s := range r.Steps {
		c.TrainLoss = append(c.TrainLoss, plotter.XY{X: float64(s.Step), Y: s.Loss})
		c.LR = append(c.LR, plotter.XY{X: float64(s.Step), Y: s.LR})
	}
	for _, e := range r.Epochs {
		x := float64(e.Epoch)
		if v, ok := e.Values["loss"]; ok {
			c.ValLoss = append(c.ValLoss, plotter.XY{X: x, Y: v})
		}
		if v, ok := e.Values[c.Metric]; ok {
			c.ValMetric = append(c.ValMetric, plotter.XY{X: x, Y: v})
		}
		c.Epochs = max(c.Epochs, e.Epoch)
	}
	_, c.BestEpoch = r.Best(cfg.Train.Metric)
	return c
}

// title names the run and its data: "mnist-cnn — cnn on mnist (6000 training examples)".
func title(r rundir.Run) string {
	c := r.Config
	var parts []string
	if c.Name != "" {
		parts = append(parts, c.Name+" — ")
	}
	parts = append(parts, fmt.Sprintf("%s on %s", c.Model.Kind, c.Data.Name))
	if c.Data.Limit > 0 {
		parts = append(parts, fmt.Sprintf(" (%d training examples)", c.Data.Limit))
	}
	return strings.Join(parts, "")
}

// WriteFile reads the run directory dir and draws its curves.png, atomically.
func WriteFile(dir string) error {
	r, err := rundir.Read(dir)
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, FileName), Of(r).WritePNG)
}

// RemoveStale removes the temporary pictures that a process killed while drawing left in
// the run directory dir.
func RemoveStale(dir string) {
	stale, _ := filepath.Glob(filepath.Join(dir, "."+FileName+".*.tmp"))
	for _, f := range stale {
		os.Remove(f)
	}
}

// WritePNG draws the four panels of c in a 2×2 grid: training loss and learning rate by
// step, validation loss and metric by epoch.
func (c Curves) WritePNG(w io.Writer) error {
	trainLoss := newPanel("training loss", "step", "loss")
	addLine(trainLoss, c.TrainLoss, trainColor)
	noData(trainLoss, len(c.TrainLoss) == 0)
	lr := newPanel("learning rate", "step", "lr")
	addLine(lr, c.LR, trainColor)
	noData(lr, len(c.LR) == 0)
	stepAxis(trainLoss)
	stepAxis(lr)
	valLoss := c.epochPanel("validation loss", "loss", c.ValLoss)
	valMetric := c.epochPanel("validation "+c.Metric, c.Metric, c.ValMetric)
	for _, p := range []*plot.Plot{trainLoss, lr, valLoss, valMetric} {
		padY(p)
	}
	return writeGrid(w, c.Title, [][]*plot.Plot{{trainLoss, valLoss}, {lr, valMetric}})
}

// epochPanel plots pts by epoch, with the best epoch ringed.
func (c Curves) epochPanel(title, y string, pts plotter.XYs) *plot.Plot {
	p := newPanel(title, "epoch", y)
	addLine(p, pts, valColor)
	noData(p, len(pts) == 0)
	epochAxis(p, c.Epochs)
	for _, pt := range pts {
		if int(pt.X) != c.BestEpoch {
			continue
		}
		ring, err := plotter.NewScatter(plotter.XYs{pt})
		if err != nil {
			break
		}
		ring.Color, ring.Radius, ring.Shape = bestColor, vg.Points(6), draw.RingGlyph{}
		p.Add(ring)
		p.Legend.Add(fmt.Sprintf("best (epoch %d)", c.BestEpoch), ring)
		p.Legend.Top = y == "loss" || rundir.Metrics[y]
	}
	return p
}
