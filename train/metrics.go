package train

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"github.com/gorgonet/gorgonet/experiment"
)

// metricsLog appends one JSON object per line to the run's metrics.jsonl.
type metricsLog struct {
	f   *os.File
	enc *json.Encoder
}

// openMetrics opens dir's metrics.jsonl for appending, emptied first when fresh.
func openMetrics(dir string, fresh bool) (Recorder, error) {
	flags := os.O_CREATE | os.O_APPEND | os.O_WRONLY
	if fresh {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(filepath.Join(dir, "metrics.jsonl"), flags, 0o644)
	if err != nil {
		return nil, err
	}
	return &metricsLog{f: f, enc: json.NewEncoder(f)}, nil
}

// write logs v; a failed metrics line is not worth stopping training for.
func (m *metricsLog) write(v any) { _ = m.enc.Encode(v) }

func (m *metricsLog) Step(s StepRecord) {
	m.write(trainLine{Time: stamp(s.Time), Split: "train", Epoch: s.Epoch, Step: s.Step,
		Loss: s.Loss, LR: s.LR, GradNorm: s.GradNorm, StepsPS: s.StepsPerSec})
}

func (m *metricsLog) Epoch(e EpochRecord) {
	metrics := e.Metrics
	metrics.Confusion = nil
	m.write(evalLine{Time: stamp(e.Time), Metrics: metrics, Epoch: e.Epoch, Step: e.Step})
}

func (m *metricsLog) Close() error { return m.f.Close() }

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

type trainLine struct {
	Time     string  `json:"time"`
	Split    string  `json:"split"`
	Epoch    int     `json:"epoch"`
	Step     int     `json:"step"`
	Loss     float64 `json:"loss"`
	LR       float64 `json:"lr"`
	GradNorm float64 `json:"grad_norm"`
	StepsPS  float64 `json:"steps_per_s"`
}

type evalLine struct {
	Time string `json:"time"`
	experiment.Metrics
	Epoch int `json:"epoch"`
	Step  int `json:"step"`
}
