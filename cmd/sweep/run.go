package main

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gorgonet/gorgonet/sweep"
)

func (o *options) run(cmd *cobra.Command) error {
	w := cmd.OutOrStdout()
	if o.dryRun {
		fmt.Fprintf(w, "sweep %s: %d runs of %s into %s%s\n", o.plan.Name, len(o.plan.Runs), o.plan.Base, o.out, setFlags(", each with", o.plan.Shared))
		for _, r := range o.plan.Runs {
			fmt.Fprintf(w, "%s:%s\n", r.Name, setFlags("", r.Overrides[len(o.plan.Shared):]))
		}
		return nil
	}
	if err := o.plan.Save(o.out); err != nil {
		return err
	}
	if o.slurm {
		return o.runSlurm(cmd)
	}
	local := sweep.Local{
		Child:   sweep.Child{Path: o.exe, Args: []string{"run-one"}},
		Workers: o.workers, Progress: cmd.ErrOrStderr(), Terminal: o.terminal,
	}
	err := local.Run(cmd.Context(), o.out, o.plan)
	if _, rerr := report(cmd, o.out, o.plan); err == nil {
		err = rerr
	}
	return err
}

func (o *options) runSlurm(cmd *cobra.Command) error {
	w := cmd.OutOrStdout()
	job, runs, err := o.slurmJobs.Submit(cmd.Context(), o.out, o.plan)
	if err != nil {
		return err
	}
	if job == "" {
		fmt.Fprintf(w, "no run to submit: every run of %s is finished, queued or running\n", o.out)
	} else {
		fmt.Fprintf(w, "submitted Slurm job %s: %s (%s); script %s\n", job, plural(len(runs), "run"), joinInts(runs),
			filepath.Join(o.out, "slurm", "sweep.sbatch"))
	}
	if !o.wait {
		fmt.Fprintf(w, "follow it with: go run ./cmd/sweep status %s\n", o.out)
		return nil
	}
	if err := sweep.Wait(cmd.Context(), o.out, o.plan, cmd.ErrOrStderr(), o.terminal, 2*time.Second); err != nil {
		return err
	}
	done, err := report(cmd, o.out, o.plan)
	if err == nil && done < len(o.plan.Runs) {
		err = fmt.Errorf("%d of %d runs did not finish (sweep status %s shows them, its slurm/*.out files have their errors); the same command submits them again",
			len(o.plan.Runs)-done, len(o.plan.Runs), o.out)
	}
	return err
}

// report writes the results files, prints the best run and returns how many runs are done.
func report(cmd *cobra.Command, dir string, plan *sweep.Plan) (done int, err error) {
	rs := sweep.Collect(dir, plan)
	if err := sweep.WriteResults(dir, plan, rs); err != nil {
		return 0, err
	}
	w := cmd.OutOrStdout()
	for _, r := range rs {
		if r.State == sweep.StateDone {
			done++
		}
	}
	fmt.Fprintf(w, "%d of %d runs finished", done, len(rs))
	if len(rs) > 0 && rs[0].BestEpoch > 0 {
		fmt.Fprintf(w, "; best validation %s %.4f: %s", plan.Metric, rs[0].Best, rs[0].Run.Name)
	}
	fmt.Fprintf(w, "\nresults in %s (.csv, .md, .png)\n", filepath.Join(dir, "results"))
	return done, nil
}

// setFlags writes overrides as the train flags that make them, after prefix.
func setFlags(prefix string, overrides []string) string {
	if len(overrides) == 0 {
		return ""
	}
	return prefix + " --set " + strings.Join(overrides, " --set ")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}
