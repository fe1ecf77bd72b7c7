package plots

import (
	"fmt"
	"io"

	"gonum.org/v1/plot/vg"
)

// Attention draws weights (one row per output token, one column per source token, each row
// a distribution over the source) as a heat map: source tokens along the bottom, output
// tokens down the left in the order they were produced.
func Attention(w io.Writer, source, output []string, weights [][]float64, title string) error {
	if len(source) == 0 || len(output) == 0 || len(weights) != len(output) {
		return fmt.Errorf("attention of %d rows for %d source and %d output tokens", len(weights), len(source), len(output))
	}
	for r, row := range weights {
		if len(row) != len(source) {
			return fmt.Errorf("attention row %d has %d weights for %d source tokens", r, len(row), len(source))
		}
	}
	p, err := heatMap(weights, nil, source, output)
	if err != nil {
		return err
	}
	p.Title.Text = title
	p.X.Label.Text, p.Y.Label.Text = "source", "output"
	cell := vg.Points(22)
	width := vg.Length(len(source))*cell + vg.Points(7*float64(longest(output))) + vg.Points(70)
	height := vg.Length(len(output))*cell + vg.Points(6*float64(longest(source))) + vg.Points(70)
	return writePlot(w, p, width, max(height, vg.Points(160)))
}
