package plots

import (
	"fmt"
	"io"

	"gonum.org/v1/plot/vg"
)

// Confusion draws counts (rows: true class, columns: predicted class, both in the order of
// classes) as a heat map with the count in each cell, coloured by its share of its row, so
// a class's recall is the darkness of its diagonal cell whatever its size.
func Confusion(w io.Writer, counts [][]int, classes []string, title string) error {
	if len(counts) == 0 || len(counts) != len(classes) {
		return fmt.Errorf("confusion matrix of %d rows for %d classes", len(counts), len(classes))
	}
	share := make([][]float64, len(counts))
	texts := make([][]string, len(counts))
	for r, row := range counts {
		if len(row) != len(classes) {
			return fmt.Errorf("confusion row %d has %d columns for %d classes", r, len(row), len(classes))
		}
		total := 0
		for _, n := range row {
			total += n
		}
		share[r], texts[r] = make([]float64, len(row)), make([]string, len(row))
		for c, n := range row {
			if total > 0 {
				share[r][c] = float64(n) / float64(total)
			}
			texts[r][c] = fmt.Sprint(n)
		}
	}
	p, err := heatMap(share, texts, classes, classes)
	if err != nil {
		return err
	}
	p.Title.Text = title
	p.X.Label.Text, p.Y.Label.Text = "predicted class", "true class"
	cell := vg.Points(32)
	side := vg.Length(len(classes))*cell + vg.Points(10*float64(longest(classes))) + vg.Points(80)
	return writePlot(w, p, max(side, vg.Points(260)), max(side, vg.Points(240)))
}
