package sweep

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gorgonet/gorgonet/train"
)

// Attempt is one line of a run's sweep-attempts.jsonl: one start of the run, and how it ended.
type Attempt struct {
	Start   time.Time `json:"start"`
	Seconds float64   `json:"seconds"`
	Resumed bool      `json:"resumed"`
	Outcome string    `json:"outcome"` // "started" until it ends: done, interrupted, failed
	Steps   int       `json:"steps,omitempty"`
	Error   string    `json:"error,omitempty"`
}

const attemptsFile = "sweep-attempts.jsonl"

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
	f, err := os.OpenFile(filepath.Join(runDir, attemptsFile), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
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
func Attempts(runDir string) []Attempt {
	f, err := os.Open(filepath.Join(runDir, attemptsFile))
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []Attempt
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var a Attempt
		if json.Unmarshal(sc.Bytes(), &a) != nil {
			continue
		}
		if n := len(out); n > 0 && out[n-1].Start.Equal(a.Start) {
			out[n-1] = a // how the attempt begun on the line before ended
			continue
		}
		out = append(out, a)
	}
	return out
}

// States of a run, as its directory shows them.
const (
	StatePending     = "pending"     // never started
	StateStarted     = "started"     // running now, or killed without a word
	StateInterrupted = "interrupted" // stopped with a checkpoint; resumes
	StateFailed      = "failed"      // ended with an error; starts again
	StateDone        = "done"
)

// State reads the state of the run in runDir from its attempts.
func State(runDir string) string {
	as := Attempts(runDir)
	if len(as) == 0 {
		return StatePending
	}
	return as[len(as)-1].Outcome
}

// WallSeconds is the training time of a run over all its attempts.
func WallSeconds(as []Attempt) float64 {
	var s float64
	for _, a := range as {
		s += a.Seconds
	}
	return s
}
