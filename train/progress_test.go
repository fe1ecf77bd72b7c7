package train

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeClock makes now advance by step at every call.
func fakeClock(t *testing.T, step time.Duration) {
	t.Helper()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	old := now
	now = func() time.Time { at = at.Add(step); return at }
	t.Cleanup(func() { now = old })
}

func TestProgressLines(t *testing.T) {
	fakeClock(t, time.Second)
	var buf bytes.Buffer
	p := newProgress(&buf, false, 2)
	p.startEpoch(0, 2, 4, 0)
	var due []bool
	for done := 1; done <= 4; done++ {
		due = append(due, p.step(done, 64, StepResult{Loss: float64(done), LR: 0.001}))
	}
	if want := []bool{false, true, false, true}; !slices.Equal(due, want) {
		t.Errorf("log lines due %v, want %v", due, want)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2:\n%s", len(lines), buf.String())
	}
	for _, want := range []string{"epoch 1/2 step 2/4", "loss 1.5000", "lr 0.001", "steps/s", "samples/s", "ETA", "(run "} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("line %q lacks %q", lines[0], want)
		}
	}
}

func TestProgressBar(t *testing.T) {
	fakeClock(t, time.Second)
	var buf bytes.Buffer
	p := newProgress(&buf, true, 50)
	p.startEpoch(1, 3, 10, 0)
	for done := 1; done <= 5; done++ {
		p.step(done, 32, StepResult{Loss: 0.5})
	}
	p.finish()
	out := buf.String()
	for _, want := range []string{"\r", "epoch 2/3 [===============               ] 5/10", "ETA", "steps/s", "samples/s", "loss 0.5000"} {
		if !strings.Contains(out, want) {
			t.Errorf("bar output lacks %q:\n%q", want, out)
		}
	}
	if !strings.HasSuffix(out, "\n") {
		t.Errorf("finish should end the bar's line")
	}
}
