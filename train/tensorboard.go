package train

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gorgonet/gorgonet/experiment"
	"github.com/gorgonet/gorgonet/tfevents"
	"github.com/gorgonet/gorgonet/tfevents/tbpb"
)

// eventLog writes a run's measurements to a TensorBoard event file in the run directory:
// train/loss, train/lr, train/grad_norm and train/steps_per_s at every logged step, and
// val/<metric> for every number of the epoch's metrics.jsonl line.
//
// A resumed run appends to the run's newest event file. Its first record cuts the file back
// to the records before it in (step, train before val) order: those the previous leg logged
// after the checkpoint the run resumed from, which the resumed run logs again at the same
// steps, go, so steps stay in order and each is logged once (TensorBoard, shown an earlier
// step again, would show the later values too). The cut is made at the first record because a
// recorder is not told the checkpoint's step; with train.log_every unchanged by the resume the
// two cuts are the same. A torn record at the end goes at once.
type eventLog struct {
	w *tfevents.Writer
	// resumed is set until the first record of a resumed run has cut the file back.
	resumed bool
}

// openEvents starts a new event file for a fresh run (removing any of a run that stopped
// before its first checkpoint, as metrics.jsonl is emptied) and reopens the newest one for
// a resumed run.
func openEvents(dir string, fresh bool) (Recorder, error) {
	old, err := filepath.Glob(filepath.Join(dir, tfevents.Prefix+"*"))
	if err != nil {
		return nil, err
	}
	if !fresh && len(old) > 0 {
		slices.Sort(old) // the names hold the start time in ten digits
		w, err := tfevents.Open(old[len(old)-1], nil)
		if err != nil {
			return nil, err
		}
		return &eventLog{w: w, resumed: true}, nil
	}
	for _, path := range old {
		if err := os.Remove(path); err != nil {
			return nil, err
		}
	}
	w, err := tfevents.Create(dir, now())
	if err != nil {
		return nil, err
	}
	return &eventLog{w: w}, nil
}

// cutBack drops the records a resumed run logs again, once, at its first record: those of
// later steps, and those of the same step unless it is a val record coming after a train one.
func (l *eventLog) cutBack(step int64, val bool) {
	if !l.resumed {
		return
	}
	l.resumed = false
	_ = l.w.Truncate(func(e *tbpb.Event) bool {
		return e.Step < step || e.Step == step && val && !isVal(e)
	})
}

func isVal(e *tbpb.Event) bool {
	v := e.GetSummary().GetValue()
	return len(v) > 0 && strings.HasPrefix(v[0].Tag, "val/")
}

// Step and Epoch flush what they log; a failed write is not worth stopping training for.
func (l *eventLog) Step(s StepRecord) {
	step, wall := int64(s.Step), tfevents.Seconds(s.Time)
	l.cutBack(step, false)
	l.w.Scalar("train/loss", step, wall, s.Loss)
	l.w.Scalar("train/lr", step, wall, s.LR)
	l.w.Scalar("train/grad_norm", step, wall, s.GradNorm)
	l.w.Scalar("train/steps_per_s", step, wall, s.StepsPerSec)
	_ = l.w.Flush()
}

func (l *eventLog) Epoch(e EpochRecord) {
	step, wall := int64(e.Step), tfevents.Seconds(e.Time)
	l.cutBack(step, true)
	values := metricValues(e.Metrics)
	for _, name := range slices.Sorted(maps.Keys(values)) {
		l.w.Scalar("val/"+name, step, wall, values[name])
	}
	_ = l.w.Flush()
}

func (l *eventLog) Close() error { return l.w.Close() }

// metricValues are the numbers of m under their JSON names, as metrics.jsonl has them, but
// for the count of examples: a metric added to experiment.Metrics reaches TensorBoard with no
// change here, and an optional one only when it is set.
func metricValues(m experiment.Metrics) map[string]float64 {
	m.Confusion, m.Samples = nil, nil
	b, _ := json.Marshal(m)
	var fields map[string]any
	_ = json.Unmarshal(b, &fields)
	values := map[string]float64{}
	for name, v := range fields {
		if f, ok := v.(float64); ok && name != "examples" {
			values[name] = f
		}
	}
	return values
}
