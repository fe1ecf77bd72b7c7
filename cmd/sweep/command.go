package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/gorgonet/gorgonet/cmd/internal/cli"
	"github.com/gorgonet/gorgonet/sweep"
)

// options are the flags of sweep, turned into a plan and a backend by complete.
type options struct {
	file     string
	out      string
	workers  int
	dryRun   bool
	progress string

	slurm     bool
	wait      bool
	slurmJobs sweep.Slurm

	plan     *sweep.Plan
	exe      string // this binary: each run is a child process of it
	terminal bool
}

func newCommand() *cobra.Command {
	o := &options{}
	cmd := &cobra.Command{
		Use:   "sweep --file SWEEP.yaml [--out DIR] [--workers N | --slurm [--wait]]",
		Short: "Run many variants of an experiment and rank them",
		Long: `Run every run of a sweep file: a base experiment config, overrides for every run, a grid
of values, optional random draws and seeds. Every key is checked against the experiment
schema before any run starts. Each run trains in its own directory, DIR/runs/NNN-key=value-...,
and the sweep writes DIR/results.csv, DIR/results.md and DIR/results.png, ranked by the
sweep's validation metric.

Running the same command again skips finished runs and resumes interrupted ones from their
checkpoints. Ctrl-C stops every run with a checkpoint.

Locally (the default) --workers runs go at once, each with its share of the cores as
GOMAXPROCS. With --slurm the runs become one sbatch job array (--array=...%P), one task
per unfinished run; --wait waits for it and writes the results, and "sweep status DIR"
shows each run's state.`,
		Example: `  # a 3×2 grid of learning rates and dropouts over 2 seeds, 2 runs at a time
  go run ./cmd/sweep --file sweeps/mnist-lr.yaml --out runs/sweep-lr --workers 2

  # the runs it would start, and nothing else
  go run ./cmd/sweep --file sweeps/mnist-lr.yaml --dry-run

  # the same sweep on a Slurm cluster: 4 CPUs and 2 hours per run, 8 runs at a time
  go run ./cmd/sweep --file sweeps/mnist-lr.yaml --out runs/sweep-lr --slurm \
      --slurm-cpus 4 --slurm-time 2:00:00 --slurm-partition cpu --slurm-parallel 8
  go run ./cmd/sweep status runs/sweep-lr`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.complete(cmd); err != nil {
				return err
			}
			if err := o.validate(cmd); err != nil {
				return err
			}
			return o.run(cmd)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.file, "file", "f", "", "the sweep file (YAML)")
	f.StringVarP(&o.out, "out", "o", "", "sweep directory (default runs/sweep-NAME)")
	f.IntVarP(&o.workers, "workers", "j", 0, "runs at once on this machine (default: one per core)")
	f.BoolVar(&o.dryRun, "dry-run", false, "print the runs the sweep would start, and start none")
	f.StringVar(&o.progress, "progress", "auto", "progress display: bar, lines or auto (bar on a terminal)")
	f.BoolVar(&o.slurm, "slurm", false, "submit the runs to Slurm as one job array instead of running them here")
	f.BoolVar(&o.wait, "wait", false, "with --slurm: wait for the job array to end, then write the results")
	f.IntVar(&o.slurmJobs.CPUs, "slurm-cpus", 1, "with --slurm: CPUs per run (--cpus-per-task, and the run's GOMAXPROCS)")
	f.StringVar(&o.slurmJobs.Partition, "slurm-partition", "", "with --slurm: partition to submit to (default: the cluster's)")
	f.StringVar(&o.slurmJobs.Time, "slurm-time", "", "with --slurm: time limit per run, e.g. 2:00:00 (the run checkpoints at SIGTERM)")
	f.StringVar(&o.slurmJobs.Mem, "slurm-mem", "", "with --slurm: memory per run, e.g. 4G")
	f.IntVar(&o.slurmJobs.Parallel, "slurm-parallel", 0, "with --slurm: runs at once (the %P of --array); 0 = as many as Slurm allows")
	f.StringArrayVar(&o.slurmJobs.Extra, "slurm-arg", nil, "with --slurm: one more #SBATCH option, e.g. --slurm-arg=--account=proj (repeatable)")
	_ = cmd.MarkFlagFilename("file", "yaml", "yml")
	_ = cmd.MarkFlagDirname("out")
	_ = cmd.RegisterFlagCompletionFunc("progress", cobra.FixedCompletions(cli.ProgressModes, cobra.ShellCompDirectiveNoFileComp))
	cmd.AddCommand(newStatusCommand(), newRunOneCommand())
	return cmd
}

func (o *options) complete(cmd *cobra.Command) error {
	if o.file == "" {
		return errors.New("--file is required: the sweep file to run, e.g. --file sweeps/mnist-lr.yaml")
	}
	f, err := sweep.ReadFile(o.file)
	if err != nil {
		return err
	}
	o.plan = f.Expand()
	if o.out == "" {
		o.out = filepath.Join("runs", "sweep-"+o.plan.Name)
	}
	o.terminal = o.progress == "bar" || o.progress == "auto" && term.IsTerminal(2)
	if o.exe, err = os.Executable(); err != nil {
		return err
	}
	o.slurmJobs.Executable, o.slurmJobs.Args = o.exe, []string{"run-one"}
	return nil
}

func (o *options) validate(cmd *cobra.Command) error {
	if err := cli.CheckProgress(o.progress); err != nil {
		return err
	}
	if o.workers < 0 {
		return fmt.Errorf("--workers must be >= 0, got %d", o.workers)
	}
	if o.slurm && cmd.Flags().Changed("workers") {
		return errors.New("--workers is for local runs; with --slurm use --slurm-parallel")
	}
	for _, name := range []string{"wait", "slurm-cpus", "slurm-partition", "slurm-time", "slurm-mem", "slurm-parallel", "slurm-arg"} {
		if cmd.Flags().Changed(name) && !o.slurm {
			return fmt.Errorf("--%s goes with --slurm", name)
		}
	}
	if o.slurmJobs.CPUs < 1 || o.slurmJobs.Parallel < 0 {
		return errors.New("--slurm-cpus must be >= 1 and --slurm-parallel >= 0")
	}
	// Every run's config is validated here, so a combination out of range stops the sweep
	// before the first run starts.
	return o.plan.Check()
}
