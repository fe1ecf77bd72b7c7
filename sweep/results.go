package sweep

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gorgonet/gorgonet/internal/atomicfile"
	"github.com/gorgonet/gorgonet/rundir"
)

// Result is what one run of a sweep achieved, read from its run directory.
type Result struct {
	Run       Run
	State     string
	Best      float64 // best validation metric; NaN before the first validation
	BestEpoch int
	Test      float64 // the metric on the test split, from test.json (eval --json); NaN without
	Steps     int
	Seconds   float64
	Mean, SD  float64 // of Best over the seeds of the run's setting
	Seeds     int     // finished runs of the setting
}

// Collect reads the result of every run of plan in dir, sorted best first by the plan's metric
// (runs without a validation result last, in plan order).
func Collect(dir string, plan *Plan) []Result {
	lower := Metrics[plan.Metric]
	var out []Result
	for _, r := range plan.Runs {
		out = append(out, readResult(RunDir(dir, r), r, plan.Metric))
	}
	summarise(out)
	slices.SortStableFunc(out, func(a, b Result) int {
		switch an, bn := math.IsNaN(a.Best), math.IsNaN(b.Best); {
		case an || bn:
			return boolCmp(an, bn)
		case a.Best == b.Best:
			return 0
		case (a.Best < b.Best) == lower:
			return -1
		}
		return 1
	})
	return out
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func readResult(runDir string, r Run, metric string) Result {
	run := rundir.Records(runDir)
	res := Result{Run: r, State: run.State(), Test: math.NaN(), Seconds: rundir.WallSeconds(run.Attempts), Steps: run.StepCount()}
	res.Best, res.BestEpoch = run.Best(metric)
	if b, err := os.ReadFile(filepath.Join(runDir, "test.json")); err == nil {
		var m map[string]any
		if json.Unmarshal(b, &m) == nil {
			if v, ok := m[metric].(float64); ok {
				res.Test = v
			}
		}
	}
	return res
}

// setting names the varied values of a run, without its seed.
func setting(r Run) string {
	var parts []string
	for _, p := range r.Params {
		parts = append(parts, p.Key+"="+p.Value)
	}
	return strings.Join(parts, " ")
}

// summarise fills in the mean and standard deviation of the best metric over the seeds of
// each setting, counting only runs that have one.
func summarise(rs []Result) {
	groups := map[string][]float64{}
	for _, r := range rs {
		if !math.IsNaN(r.Best) {
			groups[setting(r.Run)] = append(groups[setting(r.Run)], r.Best)
		}
	}
	for i := range rs {
		xs := groups[setting(rs[i].Run)]
		rs[i].Mean, rs[i].SD, rs[i].Seeds = meanSD(xs)
	}
}

func meanSD(xs []float64) (mean, sd float64, n int) {
	if len(xs) == 0 {
		return math.NaN(), math.NaN(), 0
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		sd += (x - mean) * (x - mean)
	}
	if len(xs) < 2 {
		return mean, math.NaN(), 1 // no spread from one seed
	}
	sd = math.Sqrt(sd / float64(len(xs)-1))
	return mean, sd, len(xs)
}

// WriteResults writes dir/results.csv, dir/results.md and dir/results.png.
func WriteResults(dir string, plan *Plan, rs []Result) error {
	for name, write := range map[string]func(io.Writer, *Plan, []Result) error{
		"results.csv": writeCSV, "results.md": writeMarkdown, "results.png": writePlot,
	} {
		err := atomicfile.Write(filepath.Join(dir, name), func(w io.Writer) error { return write(w, plan, rs) })
		if err != nil {
			return fmt.Errorf("writing %s: %w", filepath.Join(dir, name), err)
		}
	}
	return nil
}

func header(plan *Plan) []string {
	h := []string{"run"}
	h = append(h, plan.Keys...)
	m := plan.Metric
	return append(h, "seed", "state", "best_val_"+m, "best_epoch", "test_"+m, "steps", "wall_s", "mean_val_"+m, "sd_val_"+m, "n_seeds")
}

// row is r as the cells of header(plan).
func row(plan *Plan, r Result) []string {
	cells := []string{r.Run.Name}
	for _, k := range plan.Keys {
		v := ""
		for _, p := range r.Run.Params {
			if p.Key == k {
				v = p.Value
			}
		}
		cells = append(cells, v)
	}
	seed := ""
	if r.Run.Seed != nil {
		seed = strconv.FormatUint(*r.Run.Seed, 10)
	}
	epoch := ""
	if r.BestEpoch > 0 {
		epoch = strconv.Itoa(r.BestEpoch)
	}
	return append(cells, seed, r.State, num(r.Best), epoch, num(r.Test), strconv.Itoa(r.Steps),
		fmt.Sprintf("%.1f", r.Seconds), num(r.Mean), num(r.SD), strconv.Itoa(r.Seeds))
}

func num(x float64) string {
	if math.IsNaN(x) {
		return ""
	}
	return strconv.FormatFloat(x, 'f', 4, 64)
}

func writeCSV(w io.Writer, plan *Plan, rs []Result) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(header(plan))
	for _, r := range rs {
		_ = cw.Write(row(plan, r))
	}
	cw.Flush()
	return cw.Error()
}

func writeMarkdown(w io.Writer, plan *Plan, rs []Result) error {
	better := "higher is better"
	if Metrics[plan.Metric] {
		better = "lower is better"
	}
	fmt.Fprintf(w, "# Sweep %s\n\nBase config %s; runs sorted by best validation %s (%s).\n\n", plan.Name, filepath.Base(plan.Base), plan.Metric, better)
	h := header(plan)
	h = h[:len(h)-3] // the mean and spread get a table of their own
	table(w, h, func(yield func([]string)) {
		for _, r := range rs {
			yield(row(plan, r)[:len(h)])
		}
	})
	fmt.Fprintf(w, "\n## Over seeds\n\nMean and sample standard deviation of the best validation %s of each setting.\n\n", plan.Metric)
	table(w, []string{"setting", "mean", "sd", "seeds"}, func(yield func([]string)) {
		for _, r := range bySetting(rs, Metrics[plan.Metric]) {
			s := setting(r.Run)
			if s == "" {
				s = "(base)"
			}
			yield([]string{"`" + s + "`", num(r.Mean), num(r.SD), strconv.Itoa(r.Seeds)})
		}
	})
	return nil
}

// bySetting is one result per setting that has any, best mean first.
func bySetting(rs []Result, lower bool) []Result {
	var out []Result
	seen := map[string]bool{}
	for _, r := range rs {
		if s := setting(r.Run); !seen[s] && r.Seeds > 0 {
			seen[s] = true
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b Result) int {
		if a.Mean == b.Mean {
			return 0
		}
		if (a.Mean < b.Mean) == lower {
			return -1
		}
		return 1
	})
	return out
}

func table(w io.Writer, h []string, rows func(yield func([]string))) {
	fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(h, " | "), strings.Repeat("---|", len(h)))
	rows(func(cells []string) { fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | ")) })
}
