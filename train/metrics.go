package train

import (
	"encoding/json"
	"os"

	"github.com/gorgonet/gorgonet/experiment"
	"github.com/gorgonet/gorgonet/snapshot"
)

// metricsLog appends one JSON object per line to the run's metrics.jsonl.
type metricsLog struct {
	f   *os.File
	enc *json.Encoder
}

// openMetrics opens the log at path for appending, emptied first when fresh.
func openMetrics(path string, fresh bool) (*metricsLog, error) {
	flags := os.O_CREATE | os.O_APPEND | os.O_WRONLY
	if fresh {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, err
	}
	return &metricsLog{f: f, enc: json.NewEncoder(f)}, nil
}

// write logs v; a failed metrics line is not worth stopping training for.
func (m *metricsLog) write(v any) { _ = m.enc.Encode(v) }

func (m *metricsLog) Close() error { return m.f.Close() }

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

func trainRecord(p snapshot.Progress, r StepResult, stepsPerSec float64) trainLine {
	return trainLine{Time: now().UTC().Format("2006-01-02T15:04:05.000Z"), Split: "train", Epoch: p.Epoch + 1,
		Step: p.Step, Loss: r.Loss, LR: r.LR, GradNorm: r.GradNorm, StepsPS: stepsPerSec}
}

type evalLine struct {
	Time string `json:"time"`
	experiment.Metrics
	Epoch int `json:"epoch"`
	Step  int `json:"step"`
}

func evalRecord(epoch, step int, m experiment.Metrics) evalLine {
	m.Confusion = nil
	return evalLine{Time: now().UTC().Format("2006-01-02T15:04:05.000Z"), Metrics: m, Epoch: epoch, Step: step}
}
