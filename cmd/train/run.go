package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/gorgonet/gorgonet/cmd/internal/cli"
	"github.com/gorgonet/gorgonet/config"
	"github.com/gorgonet/gorgonet/train"
)

func (o *options) runTraining(cmd *cobra.Command) (err error) {
	stop, err := o.profiles.Start()
	if err != nil {
		return err
	}
	defer func() {
		if perr := stop(); err == nil {
			err = perr
		}
	}()
	res, err := train.Run(cmd.Context(), o.run)
	if errors.Is(err, train.ErrInterrupted) {
		return cli.Interrupted{Err: err}
	}
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	if res.Stopped != "" {
		fmt.Fprintf(w, "stopped (%s) after %d steps; continue with: go run ./cmd/train --resume %s\n", res.Stopped, res.Steps, res.OutDir)
	}
	if res.BestEpoch > 0 && res.Last.Examples > 0 {
		fmt.Fprintf(w, "best validation %s %.4f at epoch %d\n", o.run.Config.Train.Metric, res.Best, res.BestEpoch)
	}
	fmt.Fprintf(w, "run directory %s\nevaluate with: go run ./cmd/eval --checkpoint %s\n", res.OutDir, res.OutDir)
	return nil
}

// printConfig writes cfg as the YAML a run directory keeps in config.yaml.
func printConfig(w io.Writer, cfg config.Experiment) error {
	out, err := cfg.YAML()
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}
