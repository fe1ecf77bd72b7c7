package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gorgonet/gorgonet/rundir"
	"github.com/gorgonet/gorgonet/train"
)

// Attempt is one start of a run and how it ended, as its sweep-attempts.jsonl notes it.
type Attempt = rundir.Attempt

// States of a run, as its directory shows them.
const (
	StatePending     = rundir.StatePending
	StateStarted     = rundir.StateStarted
	StateInterrupted = rundir.StateInterrupted
	StateFailed      = rundir.StateFailed
	StateDone        = rundir.StateDone
)

// RunOne trains run index of the sweep in dir, in this process: it skips a finished run,
// resumes one with a checkpoint (as train --resume does) and starts any other afresh. The
// local pool and the Slurm array both run each run this way, in a child process.
func RunOne(ctx context.Context, dir string, index int, stdout io.Writer) error {
	plan, err := LoadPlan(dir)
	if err != nil {
		return err
	}
	if index < 0 || index >= len(plan.Runs) {
		return fmt.Errorf("%s has runs 0 to %d, not %d", dir, len(plan.Runs)-1, index)
	}
	r := plan.Runs[index]
	runDir := RunDir(dir, r)
	if State(runDir) == StateDone {
		fmt.Fprintf(stdout, "%s finished before; skipped\n", r.Name)
		return nil
	}
	opts, err := trainOptions(plan, r, runDir)
	if err != nil {
		return err
	}
	logFile, err := os.OpenFile(filepath.Join(runDir, "train.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	opts.Log = logFile

	a := Attempt{Start: time.Now().UTC(), Resumed: opts.Resume != nil, Outcome: "started"}
	if err := appendAttempt(runDir, a); err != nil {
		return err
	}
	res, err := train.Run(ctx, opts)
	a.Seconds = time.Since(a.Start).Seconds()
	switch {
	case errors.Is(err, train.ErrInterrupted):
		a.Outcome = "interrupted"
	case err != nil:
		a.Outcome, a.Error = "failed", err.Error()
	default:
		a.Outcome = "done"
	}
	if res != nil {
		a.Steps = res.Steps
	}
	if werr := appendAttempt(runDir, a); werr != nil && err == nil {
		err = werr
	}
	if err == nil {
		fmt.Fprintf(stdout, "%s finished: %d steps in %.1fs\n", r.Name, a.Steps, a.Seconds)
	}
	return err
}

// trainOptions are the options of run r: a resume when its directory holds a checkpoint,
// else a fresh start of its config.
func trainOptions(plan *Plan, r Run, runDir string) (train.Options, error) {
	cfg, err := plan.Config(r)
	if err != nil {
		return train.Options{}, err
	}
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		return train.Options{}, err
	}
	opts := train.Options{Config: cfg, OutDir: runDir}
	if found, _ := filepath.Glob(filepath.Join(runDir, "checkpoints", "*.safetensors")); len(found) > 0 {
		l, err := train.OpenResume(runDir, false)
		if err != nil {
			return opts, err
		}
		opts.Config, opts.Resume = l.Config, l
	}
	return opts, nil
}

func appendAttempt(runDir string, a Attempt) error {
	f, err := os.OpenFile(filepath.Join(runDir, rundir.AttemptsFile), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if err := json.NewEncoder(f).Encode(a); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Attempts reads the attempts of the run in runDir, oldest first; a run never started has none.
func Attempts(runDir string) []Attempt { return rundir.Attempts(runDir) }

// State reads the state of the run in runDir from its attempts.
func State(runDir string) string { return rundir.State(rundir.Attempts(runDir)) }
