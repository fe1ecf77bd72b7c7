package train

import (
	"errors"
	"time"

	"github.com/gorgonet/gorgonet/experiment"
	"github.com/gorgonet/gorgonet/snapshot"
)

// A Recorder keeps a run's measurements as the loop makes them. metrics.jsonl is one; every
// file a run directory holds about its progress (event files, pictures) is another.
type Recorder interface {
	// Step records a logged training step (one every train.log_every steps).
	Step(s StepRecord)
	// Epoch records the validation metrics at the end of an epoch.
	Epoch(e EpochRecord)
	Close() error
}

// StepRecord is one logged training step.
type StepRecord struct {
	Time        time.Time
	Epoch       int // 1-based
	Step        int // steps taken in all, this one included
	Loss        float64
	LR          float64
	GradNorm    float64
	StepsPerSec float64
}

// EpochRecord is the validation at the end of an epoch.
type EpochRecord struct {
	Time    time.Time
	Epoch   int // 1-based: the epoch just finished
	Step    int
	Metrics experiment.Metrics
}

// RecorderOpener opens a recorder for the run directory dir; fresh is false when the run
// resumes, and the recorder continues what the run wrote before instead of starting over.
type RecorderOpener func(dir string, fresh bool) (Recorder, error)

// Recorders are opened by every run, in order.
var Recorders = []RecorderOpener{openMetrics, openEvents, openCurves}

// recorders fans each record out to every recorder of a run.
type recorders []Recorder

func openRecorders(dir string, fresh bool) (recorders, error) {
	var rs recorders
	for _, open := range Recorders {
		r, err := open(dir, fresh)
		if err != nil {
			rs.Close()
			return nil, err
		}
		rs = append(rs, r)
	}
	return rs, nil
}

func (rs recorders) Step(s StepRecord) {
	for _, r := range rs {
		r.Step(s)
	}
}

func (rs recorders) Epoch(e EpochRecord) {
	for _, r := range rs {
		r.Epoch(e)
	}
}

func (rs recorders) Close() error {
	var errs []error
	for _, r := range rs {
		errs = append(errs, r.Close())
	}
	return errors.Join(errs...)
}

func stepRecord(p snapshot.Progress, r StepResult, stepsPerSec float64) StepRecord {
	return StepRecord{Time: now(), Epoch: p.Epoch + 1, Step: p.Step, Loss: r.Loss, LR: r.LR, GradNorm: r.GradNorm, StepsPerSec: stepsPerSec}
}
