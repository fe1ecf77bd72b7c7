package main

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/gorgonet/gorgonet/cmd/internal/cli"
	"github.com/gorgonet/gorgonet/sweep"
	"github.com/gorgonet/gorgonet/train"
)

func newStatusCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "status DIR",
		Short: "Show the state of each run of a sweep, and rewrite its results",
		Long: `Show each run of the sweep in DIR: its state (Slurm's while a job of the sweep holds
it, else what its run directory says: pending, started, interrupted, failed or done), how
many times it started, its steps and its best validation metric. It also rewrites
DIR/results.csv, .md and .png from what the runs have written so far.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			plan, err := sweep.LoadPlan(args[0])
			if err != nil {
				return err
			}
			if err := sweep.Status(cmd.Context(), args[0], plan, cmd.OutOrStdout(), sweep.UsesSlurm(args[0])); err != nil {
				return err
			}
			return sweep.WriteResults(args[0], plan, sweep.Collect(args[0], plan))
		},
	}
}

// newRunOneCommand is what each local worker and each Slurm array task runs: one run of a
// sweep, in its own process.
func newRunOneCommand() *cobra.Command {
	return &cobra.Command{
		Use:    "run-one DIR INDEX",
		Short:  "Train one run of a sweep (what the workers and Slurm tasks call)",
		Hidden: true,
		Args:   cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			index, err := strconv.Atoi(args[1])
			if err != nil {
				return fmt.Errorf("run index %q is not a number", args[1])
			}
			err = sweep.RunOne(cmd.Context(), args[0], index, cmd.OutOrStdout())
			if errors.Is(err, train.ErrInterrupted) {
				return cli.Interrupted{Err: err}
			}
			return err
		},
	}
}
