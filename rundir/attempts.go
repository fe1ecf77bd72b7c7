package rundir

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"time"
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

// AttemptsFile is where a sweep notes each start of a run, in the run's directory.
const AttemptsFile = "sweep-attempts.jsonl"

// States of a run, as its directory shows them.
const (
	StatePending     = "pending"     // never started
	StateStarted     = "started"     // running now, or killed without a word
	StateInterrupted = "interrupted" // stopped with a checkpoint; resumes
	StateFailed      = "failed"      // ended with an error; starts again
	StateDone        = "done"
)

// Attempts reads the attempts of the run in dir, oldest first; a run never started by a
// sweep has none.
func Attempts(dir string) []Attempt {
	f, err := os.Open(filepath.Join(dir, AttemptsFile))
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

// State is the state the attempts as leave a run in.
func State(as []Attempt) string {
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
