package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gorgonet/gorgonet/curves"
	"github.com/gorgonet/gorgonet/rundir"
)

// options are compare's flags and arguments, completed into the runs read.
type options struct {
	dirs   []string
	plot   string
	json   bool
	metric string

	// set by complete
	runs []rundir.Run
	out  io.Writer
}

func newCommand() *cobra.Command {
	o := &options{}
	cmd := &cobra.Command{
		Use:   "compare RUN_DIR... [--plot FILE.png] [--metric NAME] [--json]",
		Short: "Compare training runs: a table of their best results and a figure of their curves",
		Long: `Compare the run directories that train (or a sweep) wrote. The table has one line per
run, in the order given: its directory, config name, data set, model kind, best validation
metric and the epoch it came at, steps taken and wall time (the sum of a sweep's attempts;
for a run of train, from its first metrics line to its last). --plot also draws a PNG with
every run's validation metric by epoch and training loss by step, a legend by run name.
--metric picks the validation metric (accuracy, loss, perplexity, bits_per_char); the
default is the runs' train.metric when they agree, else accuracy. --json prints one JSON
object instead of the table. Nothing is evaluated: compare reads metrics.jsonl alone.

Each run directory also holds its own curves.png, redrawn by train after every epoch.`,
		Example: `  go run ./cmd/compare runs/mnist-cnn runs/mnist-lstm --plot compare.png
  go run ./cmd/compare sweeps/lr/*/ --metric loss --json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.dirs = args
			if err := o.validate(); err != nil {
				return err
			}
			if err := o.complete(cmd); err != nil {
				return err
			}
			return o.run()
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.plot, "plot", "", "also draw the runs' curves, overlaid, to this PNG file")
	f.BoolVar(&o.json, "json", false, "print one JSON object instead of a table")
	f.StringVar(&o.metric, "metric", "", "validation metric to compare (default: the runs' train.metric)")
	_ = cmd.RegisterFlagCompletionFunc("metric", cobra.FixedCompletions(metricNames(), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.MarkFlagFilename("plot", "png")
	return cmd
}

func metricNames() []string { return slices.Sorted(maps.Keys(rundir.Metrics)) }

func (o *options) validate() error {
	if o.plot != "" && !strings.EqualFold(filepath.Ext(o.plot), ".png") {
		return fmt.Errorf("--plot %s: the figure is a PNG; give a file name ending in .png", o.plot)
	}
	if _, ok := rundir.Metrics[o.metric]; o.metric != "" && !ok {
		return fmt.Errorf("--metric %q: want one of %s", o.metric, strings.Join(metricNames(), ", "))
	}
	return nil
}

// complete reads every run directory, and picks the metric when none was given.
func (o *options) complete(cmd *cobra.Command) error {
	o.out = cmd.OutOrStdout()
	for _, dir := range o.dirs {
		r, err := rundir.Read(dir)
		if err != nil {
			return err
		}
		o.runs = append(o.runs, r)
	}
	if o.metric == "" {
		o.metric = sharedMetric(o.runs)
	}
	return nil
}

// sharedMetric is the train.metric of all of rs, or accuracy when they differ.
func sharedMetric(rs []rundir.Run) string {
	m := rs[0].Config.Train.Metric
	for _, r := range rs[1:] {
		if r.Config.Train.Metric != m {
			return "accuracy"
		}
	}
	return m
}

// report is what --json prints.
type report struct {
	Metric string           `json:"metric"`
	Runs   []rundir.Summary `json:"runs"`
	Plot   string           `json:"plot,omitempty"`
}

func (o *options) run() error {
	r := report{Metric: o.metric, Plot: o.plot}
	for _, run := range o.runs {
		r.Runs = append(r.Runs, rundir.Summarise(run, o.metric))
	}
	if o.plot != "" {
		if err := curves.WriteCompareFile(o.plot, o.runs, o.metric); err != nil {
			return err
		}
	}
	if o.json {
		return json.NewEncoder(o.out).Encode(r)
	}
	if err := rundir.WriteTable(o.out, o.metric, r.Runs); err != nil {
		return err
	}
	if o.plot != "" {
		_, err := fmt.Fprintf(o.out, "curves of %d runs drawn to %s\n", len(o.runs), o.plot)
		return err
	}
	return nil
}
