package rundir

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/gorgonet/gorgonet/config"
	_ "github.com/gorgonet/gorgonet/experiment" // registers the model kinds a config.yaml may name
)

// Run is what a run directory holds about its training.
type Run struct {
	Dir      string
	Config   config.Experiment // from config.yaml; zero when read by Records
	Steps    []Step            // logged training steps, oldest first
	Epochs   []Epoch           // validations, oldest first
	Attempts []Attempt         // starts by a sweep; none for a run of train itself
}

// Step is one training line of metrics.jsonl.
type Step struct {
	Time        time.Time
	Epoch, Step int
	Loss, LR    float64
}

// Epoch is one validation line of metrics.jsonl: the metrics by their JSON names (loss,
// accuracy, perplexity, ...).
type Epoch struct {
	Time        time.Time
	Epoch, Step int
	Values      map[string]float64
}

// Metrics are the validation metrics runs are ranked by, each with its direction.
var Metrics = map[string]bool{ // true: lower is better
	"accuracy": false, "loss": true, "perplexity": true, "bits_per_char": true,
	"wer": true, "per": true, "bleu": false,
}

// Read reads the run directory dir: its config.yaml, metrics.jsonl and attempts. A directory
// without config.yaml is not a run directory.
func Read(dir string) (Run, error) {
	if info, err := os.Stat(dir); err != nil {
		return Run{}, fmt.Errorf("%s is not a run directory (no such directory)", dir)
	} else if !info.IsDir() {
		return Run{}, fmt.Errorf("%s is not a run directory (it is a file)", dir)
	}
	path := filepath.Join(dir, "config.yaml")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Run{}, fmt.Errorf("%s is not a run directory (it has no config.yaml)", dir)
	}
	if err != nil {
		return Run{}, err
	}
	cfg, err := config.ParseSaved(path, data)
	if err != nil {
		return Run{}, err
	}
	r := Records(dir)
	r.Config = cfg
	return r, nil
}

// Records reads the progress dir records — metrics.jsonl and a sweep's attempts — as far as
// they exist, without the config: a run not started yet has none. Unreadable lines are
// skipped. A line that repeats an epoch or step already read (the run resumed from an
// earlier checkpoint and did it again) replaces it and what followed it.
func Records(dir string) Run {
	r := Run{Dir: dir, Attempts: Attempts(dir)}
	f, err := os.Open(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		return r
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		r.add(sc.Bytes())
	}
	return r
}

// add appends one line of metrics.jsonl.
func (r *Run) add(line []byte) {
	var fields map[string]any
	if json.Unmarshal(line, &fields) != nil {
		return
	}
	values := map[string]float64{}
	for k, v := range fields {
		if x, ok := v.(float64); ok {
			values[k] = x
		}
	}
	t, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(fields["time"]))
	epoch, step := int(values["epoch"]), int(values["step"])
	switch fields["split"] {
	case "train":
		r.Steps = truncate(r.Steps, func(s Step) bool { return s.Step >= step })
		r.Steps = append(r.Steps, Step{Time: t, Epoch: epoch, Step: step, Loss: values["loss"], LR: values["lr"]})
	case "val":
		delete(values, "epoch")
		delete(values, "step")
		delete(values, "examples")
		r.Epochs = truncate(r.Epochs, func(e Epoch) bool { return e.Epoch >= epoch })
		r.Epochs = append(r.Epochs, Epoch{Time: t, Epoch: epoch, Step: step, Values: values})
	}
}

// truncate drops the records at the end that redone says were done again; the records
// are in order, so it looks back from the last only as far as they were.
func truncate[T any](xs []T, redone func(T) bool) []T {
	n := len(xs)
	for n > 0 && redone(xs[n-1]) {
		n--
	}
	return xs[:n]
}

// Best is the best validation value of metric and its epoch; NaN and 0 before the first
// validation that has it.
func (r Run) Best(metric string) (float64, int) {
	best, epoch := math.NaN(), 0
	lower := Metrics[metric]
	for _, e := range r.Epochs {
		v, ok := e.Values[metric]
		if ok && (math.IsNaN(best) || (v < best) == lower && v != best) {
			best, epoch = v, e.Epoch
		}
	}
	return best, epoch
}

// StepCount is the number of training steps the run has taken, as far as its records say.
func (r Run) StepCount() int {
	n := 0
	if len(r.Attempts) > 0 {
		n = r.Attempts[len(r.Attempts)-1].Steps
	}
	for _, s := range r.Steps {
		n = max(n, s.Step)
	}
	for _, e := range r.Epochs {
		n = max(n, e.Step)
	}
	return n
}

// WallSeconds is the run's training time: the sum of a sweep's attempts, else the time from
// its first record to its last (which, after a resume, includes the pause).
func (r Run) WallSeconds() float64 {
	if len(r.Attempts) > 0 {
		return WallSeconds(r.Attempts)
	}
	var first, last time.Time
	for _, t := range r.times() {
		if t.IsZero() {
			continue
		}
		if first.IsZero() || t.Before(first) {
			first = t
		}
		if t.After(last) {
			last = t
		}
	}
	return last.Sub(first).Seconds()
}

func (r Run) times() []time.Time {
	var ts []time.Time
	for _, s := range r.Steps {
		ts = append(ts, s.Time)
	}
	for _, e := range r.Epochs {
		ts = append(ts, e.Time)
	}
	return ts
}

// State is the run's state by its sweep attempts (pending for a run of train itself).
func (r Run) State() string { return State(r.Attempts) }
