package train

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress reports training as it goes: a redrawn bar with ETA on a terminal, plain lines
// every logEvery steps otherwise.
type progress struct {
	w        io.Writer
	terminal bool
	logEvery int

	epoch, epochs, total, done int
	start, last                time.Time
	lastDone, samples          int
	loss                       float64 // running mean since the last report
	lossN                      int
	stepsPerSec, samplesPerSec float64
}

func newProgress(w io.Writer, terminal bool, logEvery int) *progress {
	return &progress{w: w, terminal: terminal, logEvery: max(logEvery, 1)}
}

func (p *progress) startEpoch(epoch, epochs, total, done int) {
	p.epoch, p.epochs, p.total, p.done = epoch, epochs, total, done
	p.start, p.last, p.lastDone, p.samples = now(), now(), done, 0
}

// step records one finished step (done steps of this epoch so far) and reports whether a
// log line is due.
func (p *progress) step(done, batch int, r StepResult) bool {
	p.done = done
	p.samples += batch
	p.loss += r.Loss
	p.lossN++
	if p.terminal {
		p.measure()
		p.draw(r)
	}
	if done%p.logEvery != 0 && done != p.total {
		return false
	}
	if !p.terminal {
		p.measure()
		fmt.Fprintf(p.w, "epoch %d/%d step %d/%d  loss %.4f  lr %.3g  %.2f steps/s  %.0f samples/s  ETA %s\n",
			p.epoch+1, p.epochs, done, p.total, p.loss/float64(p.lossN), r.LR, p.stepsPerSec, p.samplesPerSec, p.eta())
	}
	p.loss, p.lossN = 0, 0
	return true
}

// measure updates the rates over the steps since the last measurement.
func (p *progress) measure() {
	t := now()
	if dt := t.Sub(p.last).Seconds(); dt > 0.5 || p.stepsPerSec == 0 {
		steps := p.done - p.lastDone
		if dt > 0 && steps > 0 {
			p.stepsPerSec = float64(steps) / dt
			p.samplesPerSec = float64(p.samples) / dt
		}
		p.last, p.lastDone, p.samples = t, p.done, 0
	}
}

// eta is the time left in this epoch and in the whole run (evaluation not counted), at the
// current rate.
func (p *progress) eta() string {
	if p.stepsPerSec == 0 {
		return "?"
	}
	epochLeft := p.total - p.done
	runLeft := epochLeft + (p.epochs-p.epoch-1)*p.total
	return fmt.Sprintf("%s (run %s)", p.duration(epochLeft), p.duration(runLeft))
}

func (p *progress) duration(steps int) time.Duration {
	return time.Duration(float64(steps) / p.stepsPerSec * float64(time.Second)).Round(time.Second)
}

func (p *progress) draw(r StepResult) {
	const width = 30
	filled := width * p.done / max(p.total, 1)
	bar := strings.Repeat("=", filled) + strings.Repeat(" ", width-filled)
	fmt.Fprintf(p.w, "\r\033[Kepoch %d/%d [%s] %d/%d  ETA %s  %.2f steps/s  %.0f samples/s  loss %.4f",
		p.epoch+1, p.epochs, bar, p.done, p.total, p.eta(), p.stepsPerSec, p.samplesPerSec, r.Loss)
}

// finish ends the bar's line.
func (p *progress) finish() {
	if p.terminal {
		fmt.Fprintln(p.w)
	}
}

func (p *progress) rate() float64 { return p.stepsPerSec }
