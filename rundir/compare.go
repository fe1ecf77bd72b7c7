package rundir

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Summary is one run's line in a comparison of runs.
type Summary struct {
	Run       string   `json:"run"`  // its directory
	Name      string   `json:"name"` // config name
	Data      string   `json:"data"`
	Model     string   `json:"model"`
	Best      *float64 `json:"best,omitempty"` // best validation value of the compared metric; none before the first validation
	BestEpoch int      `json:"best_epoch,omitempty"`
	Epochs    int      `json:"epochs"` // validations recorded
	Steps     int      `json:"steps"`
	Seconds   float64  `json:"wall_seconds"`
}

// Summarise is r's line in a comparison by the validation metric.
func Summarise(r Run, metric string) Summary {
	c := r.Config
	s := Summary{Run: r.Dir, Name: c.Name, Data: c.Data.Name, Model: c.Model.Kind,
		Epochs: len(r.Epochs), Steps: r.StepCount(), Seconds: r.WallSeconds()}
	if best, epoch := r.Best(metric); !math.IsNaN(best) {
		s.Best, s.BestEpoch = &best, epoch
	}
	return s
}

// WriteTable writes one aligned line per run: name, data, model, best validation metric and
// its epoch, steps and wall time.
func WriteTable(w io.Writer, metric string, ss []Summary) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "RUN\tNAME\tDATA\tMODEL\tBEST VAL %s\tEPOCH\tSTEPS\tWALL\n", strings.ToUpper(metric))
	for _, s := range ss {
		best, epoch := "-", "-"
		if s.Best != nil {
			best, epoch = strconv.FormatFloat(*s.Best, 'f', 4, 64), strconv.Itoa(s.BestEpoch)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", filepath.Clean(s.Run), s.Name, s.Data, s.Model, best, epoch, s.Steps, wall(s.Seconds))
	}
	return tw.Flush()
}

// wall formats seconds as 42s, 3m07s or 2h05m.
func wall(s float64) string {
	d := int(math.Round(s))
	switch {
	case d < 60:
		return fmt.Sprintf("%ds", d)
	case d < 3600:
		return fmt.Sprintf("%dm%02ds", d/60, d%60)
	}
	return fmt.Sprintf("%dh%02dm", d/3600, d/60%60)
}

// Labels names each run for a legend: its config name, or its directory's base name where
// several runs share a name.
func Labels(rs []Run) []string {
	count := map[string]int{}
	for _, r := range rs {
		count[r.Config.Name]++
	}
	labels := make([]string, len(rs))
	for i, r := range rs {
		labels[i] = r.Config.Name
		if count[r.Config.Name] > 1 || labels[i] == "" {
			labels[i] = filepath.Base(filepath.Clean(r.Dir))
		}
	}
	return labels
}
