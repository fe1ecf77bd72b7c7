package sweep

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Status writes one line per run of the sweep in dir: its state (Slurm's, while a job of the
// sweep holds it, else its directory's), its attempts and its best validation metric.
// Without Slurm's commands on this machine it reads the run directories alone.
func Status(ctx context.Context, dir string, plan *Plan, w io.Writer, slurm bool) error {
	queued := map[int]string{}
	if slurm {
		var err error
		if queued, err = Queued(ctx, dir); err != nil {
			fmt.Fprintf(w, "Slurm did not answer (%v); the states below are the run directories'\n", err)
			queued = map[int]string{}
		}
		ended := Accounted(ctx, dir)
		for i, st := range ended {
			if _, ok := queued[i]; !ok && State(RunDir(dir, plan.Runs[i])) == StateStarted {
				queued[i] = st // started and gone: sacct says how it ended (TIMEOUT, NODE_FAIL, ...)
			}
		}
	}
	results := map[int]Result{}
	for _, r := range Collect(dir, plan) {
		results[r.Run.Index] = r
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "RUN\tSTATE\tATTEMPTS\tSTEPS\tBEST VAL %s\tEPOCH\n", strings.ToUpper(plan.Metric))
	counts := map[string]int{}
	for _, r := range plan.Runs {
		res := results[r.Index]
		state := res.State
		if q, ok := queued[r.Index]; ok {
			state = "slurm:" + strings.ToLower(q)
		}
		counts[state]++
		epoch := ""
		if res.BestEpoch > 0 {
			epoch = fmt.Sprint(res.BestEpoch)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\n", r.Name, state, len(Attempts(RunDir(dir, r))), res.Steps, num(res.Best), epoch)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var parts []string
	for _, s := range []string{StateDone, "slurm:running", "slurm:pending", StateStarted, StateInterrupted, StateFailed, StatePending} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
			delete(counts, s)
		}
	}
	for s, n := range counts { // Slurm's other states: completing, suspended, ...
		parts = append(parts, fmt.Sprintf("%d %s", n, s))
	}
	_, err := fmt.Fprintf(w, "%d runs: %s\n", len(plan.Runs), strings.Join(parts, ", "))
	return err
}
