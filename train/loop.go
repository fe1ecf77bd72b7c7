package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/gorgonet/gorgonet/checkpoint"
	"github.com/gorgonet/gorgonet/config"
	"github.com/gorgonet/gorgonet/experiment"
	"github.com/gorgonet/gorgonet/graphs"
	"github.com/gorgonet/gorgonet/internal/atomicfile"
	"github.com/gorgonet/gorgonet/models"
	"github.com/gorgonet/gorgonet/optim"
	"github.com/gorgonet/gorgonet/snapshot"
)

// Options are the choices of one training run that are not part of the experiment config.
type Options struct {
	Config   config.Experiment // validated
	OutDir   string            // run directory
	Resume   *snapshot.Loaded  // continue from this checkpoint (its run directory is OutDir)
	MaxSteps int               // stop with a checkpoint after this many steps in all; 0 = no limit
	Log      io.Writer         // progress and summaries (nil = discard)
	Terminal bool              // Log is a terminal: draw a progress bar
}

// Result summarises a finished, stopped or interrupted run.
type Result struct {
	Steps, Epochs int
	BestEpoch     int
	Best          float64 // best validation metric (config train.metric)
	Last          experiment.Metrics
	Stopped       string // why training ended before its epochs: "early stopping", "max steps", "interrupted"
	OutDir        string
}

// ErrInterrupted is returned (wrapped) when the context is cancelled; a checkpoint was written.
var ErrInterrupted = errors.New("training interrupted")

// run is the state of a training run while the loop runs.
type run struct {
	o        Options
	cfg      config.Experiment
	task     experiment.Task
	stepper  *Stepper
	eval     experiment.Evaluator
	prog     snapshot.Progress
	ckptDir  string
	record   recorders
	progress *progress
	summary  *models.Summary
}

// Run trains the experiment in o and writes its run directory.
func Run(ctx context.Context, o Options) (res *Result, err error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	r, err := setup(o)
	if err != nil {
		return nil, err
	}
	defer r.close()
	return r.loop(ctx)
}

func setup(o Options) (*run, error) {
	r := &run{o: o, cfg: o.Config, ckptDir: filepath.Join(o.OutDir, "checkpoints")}
	if err := checkDir(o); err != nil {
		return nil, err
	}
	var saved *snapshot.DataInfo
	if o.Resume != nil {
		saved = &o.Resume.Info // the vocabularies training started with
	}
	task, err := experiment.LoadTask(r.cfg, saved)
	if err != nil {
		return nil, err
	}
	r.task = task
	// Reading a data set leaves garbage several times its size (de-en: about 2 GB of parsed
	// lines and token strings for 0.5 GB kept); collecting it before the graphs are built lets
	// their buffers reuse that memory instead of adding to the peak.
	debug.FreeOSMemory()
	if err := r.build(); err != nil {
		var tooBig *models.TooBigError
		if errors.As(err, &tooBig) {
			return nil, fmt.Errorf("%w; lower train.batch_size, train.eval_batch_size or the model.%s sizes", err, r.cfg.Model.Kind)
		}
		return nil, err
	}
	if o.Resume != nil {
		if err := r.restore(o.Resume); err != nil {
			return nil, err
		}
	}
	// The directory is made only once everything has loaded, so a bad start leaves nothing.
	if err := makeDir(r.ckptDir); err != nil {
		return nil, err
	}
	if err := writeConfig(o.OutDir, r.cfg); err != nil {
		return nil, err
	}
	if err := r.describeModel(); err != nil {
		return nil, err
	}
	// A new run over a directory without checkpoints starts its records afresh.
	if r.record, err = openRecorders(o.OutDir, o.Resume == nil); err != nil {
		return nil, err
	}
	r.progress = newProgress(o.Log, o.Terminal, r.cfg.Train.LogEvery)
	return r, nil
}

func (r *run) build() error {
	t := r.cfg.Train
	sched, err := optim.NewSchedule(scheduleConfig(t.Schedule), t.Optimizer.LR, r.totalSteps())
	if err != nil {
		return err
	}
	build := func(shape int, shared []*graphs.Param) (*models.Graph, error) {
		return r.task.NewGraph(shape, shared, r.cfg.Seed)
	}
	r.stepper, err = NewStepper(build, StepperConfig{Optimizer: optimizerConfig(t.Optimizer), Schedule: sched, ClipNorm: t.ClipNorm, Seed: r.cfg.Seed})
	if err != nil {
		return err
	}
	if r.eval, err = r.task.NewEvaluator(r.stepper.Params(), t.EvalBatchSize); err != nil {
		return err
	}
	if e, ok := r.eval.(experiment.SharesBuffers); ok {
		e.UseArena(r.stepper.Arena()) // validation runs between steps
	}
	return nil
}

func (r *run) restore(l *snapshot.Loaded) error {
	if err := l.RestoreParams(r.stepper.Params()); err != nil {
		return err
	}
	state, err := l.OptimizerState()
	if err != nil {
		return err
	}
	if err := r.stepper.Restore(state, l.Progress.RNG); err != nil {
		return fmt.Errorf("checkpoint %s: %w", l.Path, err)
	}
	if err := l.RestoreStates(r.stepper.Graph().Scope.States()); err != nil {
		return err
	}
	r.prog = l.Progress
	return nil
}

func (r *run) close() {
	r.stepper.Close()
	r.eval.Close()
	if r.record != nil {
		r.record.Close()
	}
}

func (r *run) batchesPerEpoch() int { return len(r.task.Batches(0)) }

func (r *run) totalSteps() int { return r.cfg.Train.Epochs * r.batchesPerEpoch() }

// loop runs the remaining epochs. It is the one long function of the package, on purpose:
// the order of events in a training run reads top to bottom here.
func (r *run) loop(ctx context.Context) (*Result, error) {
	t := r.cfg.Train
	res := &Result{OutDir: r.o.OutDir}
	ntrain, nval := r.task.Sizes()
	fmt.Fprintf(r.o.Log, "training %s: %d train / %d val examples, %d epochs of %d steps, run directory %s\n",
		r.cfg.Name, ntrain, nval, t.Epochs, r.batchesPerEpoch(), r.o.OutDir)
	r.summary.Write(r.o.Log)
	for ; r.prog.Epoch < t.Epochs; r.prog.Epoch, r.prog.Batch = r.prog.Epoch+1, 0 {
		batches := r.task.Batches(r.prog.Epoch)
		r.progress.startEpoch(r.prog.Epoch, t.Epochs, len(batches), r.prog.Batch)
		for r.prog.Batch < len(batches) {
			if err := ctx.Err(); err != nil {
				return r.stop(res, "interrupted")
			}
			if r.o.MaxSteps > 0 && r.prog.Step >= r.o.MaxSteps {
				return r.stop(res, "max steps")
			}
			batch := r.task.Batch(batches[r.prog.Batch])
			sr, err := r.stepper.Step(batch)
			if errors.Is(err, ErrNonFinite) {
				r.progress.finish()
				return nil, fmt.Errorf("loss became %v at step %d (epoch %d); stopped without updating, %s (try a lower train.optimizer.lr or train.clip_norm)",
					sr.Loss, r.prog.Step+1, r.prog.Epoch+1, r.lastGood())
			}
			if err != nil {
				return nil, err
			}
			// Count the step and the batch at once: a checkpoint from here on resumes after it.
			r.prog.Step++
			r.prog.Batch++
			if r.progress.step(r.prog.Batch, batch.Examples, sr) {
				r.record.Step(stepRecord(r.prog, sr, r.progress.rate()))
			}
			if t.CheckpointEvery > 0 && r.prog.Step%t.CheckpointEvery == 0 {
				if err := r.saveStep(); err != nil {
					return nil, err
				}
			}
		}
		r.progress.finish()
		stop, err := r.endEpoch(ctx, res)
		if err != nil && ctx.Err() != nil {
			// Interrupted during validation: the checkpoint resumes at this epoch's end.
			return r.stopped(res, "interrupted")
		}
		if err != nil {
			return nil, err
		}
		if stop {
			res.Stopped = "early stopping"
			r.prog.Epoch++
			break
		}
	}
	res.Steps, res.Epochs, res.BestEpoch, res.Best = r.prog.Step, r.prog.Epoch, r.prog.BestEpoch, r.prog.Best
	return res, nil
}

// endEpoch evaluates on the validation split, logs, keeps the best checkpoint and decides on
// early stopping.
func (r *run) endEpoch(ctx context.Context, res *Result) (stop bool, err error) {
	epoch := r.prog.Epoch + 1
	next := r.prog
	next.Epoch, next.Batch = epoch, 0 // a checkpoint from here resumes at the next epoch
	improved := true
	if _, nval := r.task.Sizes(); nval > 0 {
		m, err := r.eval.Evaluate(ctx, "val", experiment.EvalOptions{})
		if err != nil {
			return false, err
		}
		res.Last = m
		value := m.Accuracy
		if r.cfg.Train.Metric == "loss" {
			value = m.Loss
		}
		improved = next.BestEpoch == 0 || (r.cfg.Train.Metric == "loss") == (value < next.Best) && value != next.Best
		if improved {
			next.Best, next.BestEpoch, next.BadEpochs = value, epoch, 0
		} else {
			next.BadEpochs++
		}
		r.record.Epoch(EpochRecord{Time: now(), Epoch: epoch, Step: r.prog.Step, Metrics: m})
		fmt.Fprintf(r.o.Log, "epoch %d/%d: val loss %.4f, accuracy %.2f%%%s\n", epoch, r.cfg.Train.Epochs, m.Loss, 100*m.Accuracy, mark(improved))
	} else {
		next.BestEpoch = epoch
	}
	saved := r.prog
	r.prog = next
	// best before last: a crash between the two leaves last at the previous epoch, so a
	// resume redoes this epoch and writes both again; never a last ahead of its best.
	if improved {
		if err := r.save("best.safetensors"); err != nil {
			r.prog = saved
			return false, err
		}
	}
	if err := r.save("last.safetensors"); err != nil {
		r.prog = saved
		return false, err
	}
	// The loop's own increment moves to the next epoch; undo the one made here for saving.
	r.prog.Epoch, r.prog.Batch = saved.Epoch, saved.Batch
	p := r.cfg.Train.Patience
	return p > 0 && next.BadEpochs >= p, nil
}

func mark(improved bool) string {
	if improved {
		return " (best so far)"
	}
	return ""
}

// stop writes a checkpoint for resuming and ends the run early.
func (r *run) stop(res *Result, why string) (*Result, error) {
	r.progress.finish()
	return r.stopped(res, why)
}

// stopped is stop once the progress display is finished.
func (r *run) stopped(res *Result, why string) (*Result, error) {
	if err := r.save("last.safetensors"); err != nil {
		return nil, err
	}
	res.Stopped = why
	res.Steps, res.Epochs, res.BestEpoch, res.Best = r.prog.Step, r.prog.Epoch, r.prog.BestEpoch, r.prog.Best
	if why == "interrupted" {
		return res, fmt.Errorf("%w at step %d; checkpoint written, continue with --resume %s", ErrInterrupted, r.prog.Step, r.o.OutDir)
	}
	return res, nil
}

// saveStep writes a step checkpoint, updates last, and prunes old step checkpoints.
func (r *run) saveStep() error {
	if err := r.save(checkpoint.StepFileName(r.prog.Step)); err != nil {
		return err
	}
	if err := r.save("last.safetensors"); err != nil {
		return err
	}
	return checkpoint.Prune(r.ckptDir, r.cfg.Train.KeepLast)
}

func (r *run) save(name string) error {
	opt, rng := r.stepper.State()
	p := r.prog
	p.RNG = rng
	return saveSnapshot(filepath.Join(r.ckptDir, name), snapshot.State{
		Config: r.cfg, Info: r.task.Info(), Progress: p, Params: r.stepper.Params(), Optimizer: opt,
		States: r.stepper.Graph().Scope.States(),
	})
}

// lastGood says which checkpoint a run that stops now can go back to.
func (r *run) lastGood() string {
	last := filepath.Join(r.ckptDir, "last.safetensors")
	if fileExists(last) {
		return "the last good checkpoint is " + last
	}
	return "no checkpoint was written yet"
}

// saveSnapshot writes a checkpoint; tests replace it to fail a chosen write, as a crash would.
var saveSnapshot = snapshot.Save

// checkDir refuses to start a new run over an existing one: any checkpoint in its
// checkpoints/ (last, best or a step) makes it a run.
func checkDir(o Options) error {
	if o.Resume != nil {
		return nil
	}
	found, _ := filepath.Glob(filepath.Join(o.OutDir, "checkpoints", "*.safetensors"))
	if len(found) > 0 {
		return fmt.Errorf("%s already holds a run (%s); continue it with --resume %s or choose another --out", o.OutDir, filepath.Base(found[0]), o.OutDir)
	}
	return nil
}

// makeDir creates the checkpoint directory and removes the temporary files that a process
// killed in the middle of writing a checkpoint leaves behind.
func makeDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	stale, _ := filepath.Glob(filepath.Join(dir, ".*.tmp"))
	for _, f := range stale {
		os.Remove(f)
	}
	return nil
}

func writeConfig(dir string, cfg config.Experiment) error {
	b, err := cfg.YAML()
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(filepath.Join(dir, "config.yaml"), b)
}

// optimizerConfig passes on the settings of the chosen optimizer only: the config keeps
// defaults for all of them, and optim refuses settings its optimizer would ignore.
func optimizerConfig(o config.Optimizer) optim.Config {
	c := optim.Config{Name: o.Name, LR: o.LR, WeightDecay: o.WeightDecay}
	switch o.Name {
	case "sgd":
		c.Momentum, c.Nesterov = o.Momentum, o.Nesterov
	default:
		c.Beta1, c.Beta2, c.Eps = o.Beta1, o.Beta2, o.Eps
	}
	return c
}

// scheduleConfig passes on the settings of the chosen schedule only, as optimizerConfig does.
func scheduleConfig(s config.Schedule) optim.ScheduleConfig {
	c := optim.ScheduleConfig{Name: s.Name, WarmupSteps: s.WarmupSteps}
	switch s.Name {
	case "step":
		c.StepSize, c.Gamma = s.StepSize, s.Gamma
	case "cosine":
		c.MinLR = s.MinLR
	}
	return c
}

// now is the clock of progress reports and metrics lines.
var now = time.Now
