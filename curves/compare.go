package curves

import (
	"fmt"
	"image/color"
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"

	"github.com/gorgonet/gorgonet/rundir"
)

// Compared are the data of a figure comparing runs: one line per run in each panel.
type Compared struct {
	Metric    string
	Labels    []string      // by run, for the legend
	ValMetric []plotter.XYs // by run, by epoch
	TrainLoss []plotter.XYs // by run, by step
	Epochs    int           // the last epoch of any run
}

// Compare is what the figure comparing rs plots: the validation metric by epoch and the
// training loss by step of every run.
func Compare(rs []rundir.Run, metric string) Compared {
	c := Compared{Metric: metric, Labels: rundir.Labels(rs)}
	for _, r := range rs {
		cr := Of(r)
		var val plotter.XYs
		for _, e := range r.Epochs {
			if v, ok := e.Values[metric]; ok {
				val = append(val, plotter.XY{X: float64(e.Epoch), Y: v})
			}
		}
		c.ValMetric = append(c.ValMetric, val)
		c.TrainLoss = append(c.TrainLoss, cr.TrainLoss)
		c.Epochs = max(c.Epochs, cr.Epochs)
	}
	return c
}

// WritePNG draws c's two panels side by side, a legend by run name in each.
func (c Compared) WritePNG(w io.Writer) error {
	val := newPanel("validation "+c.Metric, "epoch", c.Metric)
	epochAxis(val, c.Epochs)
	val.Legend.Top = rundir.Metrics[c.Metric] // the legend away from where the lines end
	loss := newPanel("training loss", "step", "loss")
	loss.Legend.Top = true
	stepAxis(loss)
	for i, label := range c.Labels {
		if l := addLine(val, c.ValMetric[i], runColor(i)); l != nil {
			val.Legend.Add(label, l)
		}
		if l := addLine(loss, c.TrainLoss[i], runColor(i)); l != nil {
			loss.Legend.Add(label, l)
		}
	}
	for _, p := range []*plot.Plot{val, loss} {
		padY(p)
	}
	return writeGrid(w, fmt.Sprintf("%d runs compared", len(c.Labels)), [][]*plot.Plot{{val, loss}})
}

// WriteCompareFile draws the figure comparing rs by metric to path, atomically.
func WriteCompareFile(path string, rs []rundir.Run, metric string) error {
	return writeFileAtomic(path, Compare(rs, metric).WritePNG)
}

// runColor is the colour of the i-th run: plotutil's dark palette, which reads on white.
func runColor(i int) color.Color { return plotutil.DarkColors[i%len(plotutil.DarkColors)] }
