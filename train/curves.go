package train

import "github.com/gorgonet/gorgonet/curves"

// curvesPicture redraws the run's curves.png after every epoch and when the run ends. It
// draws from metrics.jsonl, which the metrics recorder has written by then, so a resumed
// run's picture keeps what came before the resume.
type curvesPicture struct{ dir string }

func openCurves(dir string, _ bool) (Recorder, error) {
	curves.RemoveStale(dir)
	return curvesPicture{dir}, nil
}

func (curvesPicture) Step(StepRecord) {}

func (c curvesPicture) Epoch(EpochRecord) { c.draw() }

func (c curvesPicture) Close() error {
	c.draw()
	return nil
}

// draw is best effort: a picture that cannot be drawn is not worth stopping training for.
func (c curvesPicture) draw() {
	defer func() { _ = recover() }()
	_ = curves.WriteFile(c.dir)
}
