package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/gorgonet/gorgonet/cmd/internal/cli"
	"github.com/gorgonet/gorgonet/config"
	"github.com/gorgonet/gorgonet/train"
)

// options are the flags of train, turned into a train.Options by complete.
type options struct {
	configName string
	sets       []string
	out        string
	resume     string
	force      bool
	maxSteps   int
	progress   string
	print      bool
	profiles   cli.Profiles

	run train.Options
}

func newCommand() *cobra.Command {
	o := &options{}
	cmd := &cobra.Command{
		Use:   "train [--config NAME|FILE] [--set key=value]... [--out DIR] [--resume DIR]",
		Short: "Train a model from a YAML experiment config",
		Long: `Train a model from a YAML experiment config and write a run directory:
config.yaml (the resolved config), metrics.jsonl (one JSON object per logged step and
per epoch), the same measurements as a TensorBoard event file (events.out.tfevents.*, for
tensorboard --logdir), checkpoints/last.safetensors, checkpoints/best.safetensors (best
validation metric) and the latest step checkpoints.

Without flags it trains the default experiment, mnist-cnn, on the MNIST copy embedded in
the binary. --config takes an embedded config name or a YAML file; --set overrides one
dotted key and is checked against the schema. Ctrl-C or SIGTERM writes a checkpoint first;
--resume continues a run exactly where it stopped, with the config stored in its newest
checkpoint (last.safetensors or a step checkpoint); --set may still change train.* keys,
such as train.epochs. A checkpoint whose config differs from the run's config.yaml in more
than train.* belongs to another run and is refused unless --force-resume is given.

Embedded configs: ` + strings.Join(cli.ConfigNames(), ", ") + `
Shell completion: train completion bash|zsh|fish|powershell`,
		Example: `  # the default experiment (MNIST CNN): 3 epochs, about 4 minutes on 2 cores, 99.1% test accuracy
  go run ./cmd/train

  # a quick run on 2000 images into a chosen directory
  go run ./cmd/train --config mnist-cnn --set data.limit=2000 --set train.epochs=1 --out runs/quick

  # your own config file, with a different learning rate
  go run ./cmd/train --config my.yaml --set train.optimizer.lr=3e-4

  # continue an interrupted run
  go run ./cmd/train --resume runs/quick

  # where 200 steps of the Transformer spend their time and memory
  go run ./cmd/train --config cmudict-transformer --max-steps 200 --cpuprofile cpu.prof --memprofile mem.prof
  go tool pprof -top cpu.prof

  # every key the LSTM experiment uses, defaults included, after an override
  go run ./cmd/train --config mnist-lstm --set model.lstm.layers=2 --print-config`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.complete(cmd); err != nil {
				return err
			}
			if err := o.validate(); err != nil {
				return err
			}
			if o.print {
				return printConfig(cmd.OutOrStdout(), o.run.Config)
			}
			return o.runTraining(cmd)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.configName, "config", "c", "mnist-cnn", "embedded config name or YAML file")
	f.StringArrayVar(&o.sets, "set", nil, "override a config key, e.g. --set train.epochs=1 (repeatable)")
	f.StringVarP(&o.out, "out", "o", "", "run directory (default runs/NAME-YYYYMMDD-HHMMSS)")
	f.StringVar(&o.resume, "resume", "", "continue the run in this directory from its newest checkpoint")
	f.BoolVar(&o.force, "force-resume", false, "with --resume: accept a checkpoint whose config differs from the run's config.yaml")
	f.IntVar(&o.maxSteps, "max-steps", 0, "stop after this many training steps in all, with a checkpoint (0 = no limit)")
	f.StringVar(&o.progress, "progress", "auto", "progress display: bar, lines or auto (bar on a terminal)")
	f.BoolVar(&o.print, "print-config", false, "print the resolved config, every key with its value or default, and exit")
	o.profiles.AddFlags(f)
	_ = cmd.RegisterFlagCompletionFunc("config", cli.CompleteConfigs)
	_ = cmd.RegisterFlagCompletionFunc("set", cli.CompleteSet)
	_ = cmd.RegisterFlagCompletionFunc("progress", cobra.FixedCompletions(cli.ProgressModes, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.MarkFlagDirname("out")
	_ = cmd.MarkFlagDirname("resume")
	return cmd
}

func (o *options) complete(cmd *cobra.Command) error {
	var cfg config.Experiment
	if o.resume != "" {
		if cmd.Flags().Changed("config") || cmd.Flags().Changed("out") {
			return errors.New("--resume continues a run with its own config and directory; drop --config and --out")
		}
		l, err := train.OpenResume(o.resume, o.force)
		if err != nil {
			return err
		}
		cfg, o.run.Resume, o.out = l.Config, l, o.resume
	} else {
		var err error
		if o.force {
			return errors.New("--force-resume goes with --resume DIR")
		}
		if cfg, _, err = config.Load(o.configName); err != nil {
			return err
		}
	}
	for _, kv := range o.sets {
		if o.resume != "" && !strings.HasPrefix(kv, "train.") {
			return fmt.Errorf("--set %s: a resumed run keeps its data and model; only train.* keys may change", kv)
		}
		if err := cfg.Set(kv); err != nil {
			return err
		}
	}
	if o.out == "" {
		o.out = filepath.Join("runs", cfg.Name+"-"+time.Now().Format("20060102-150405"))
	}
	o.run.Config, o.run.OutDir, o.run.MaxSteps = cfg, o.out, o.maxSteps
	o.run.Log = cmd.ErrOrStderr()
	o.run.Terminal = o.progress == "bar" || o.progress == "auto" && term.IsTerminal(2)
	return nil
}

func (o *options) validate() error {
	if err := cli.CheckProgress(o.progress); err != nil {
		return err
	}
	if o.maxSteps < 0 {
		return fmt.Errorf("--max-steps must be >= 0, got %d", o.maxSteps)
	}
	return o.run.Config.Validate()
}
