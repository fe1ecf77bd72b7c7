package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorgonet/gorgonet/checkpoint"
	"github.com/gorgonet/gorgonet/cmd/internal/cli"
	"github.com/gorgonet/gorgonet/experiment"
	"github.com/gorgonet/gorgonet/internal/testrun"
	"github.com/gorgonet/gorgonet/snapshot"
)

// process is the train binary running in the background.
type process struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer // read only after done
	done           chan struct{}
	err            error // of Wait
}

// startTrain starts the train binary with args in a scratch working directory.
func startTrain(t *testing.T, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(buildTrain(t), args...), done: make(chan struct{})}
	p.cmd.Dir = t.TempDir() // a run without --out must not land in the source tree
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits for the process to end and returns its exit status, or the signal that
// killed it.
func (p *process) wait(t *testing.T) (code int, sig syscall.Signal) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("train %s still runs after 2 minutes; stderr so far unknown", strings.Join(p.cmd.Args[1:], " "))
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return -1, ws.Signal()
		}
		return ee.ExitCode(), 0
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
	return 0, 0
}

// waitForCheckpoint polls until the run's last checkpoint is past step, and checks on the
// way that whenever the file exists it loads: it is replaced atomically.
func waitForCheckpoint(t *testing.T, p *process, last string, step int) *snapshot.Loaded {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		l, err := snapshot.Load(last)
		switch {
		case err == nil && l.Progress.Step > step:
			return l
		case err != nil && !errors.Is(err, fs.ErrNotExist) && fileExists(last):
			t.Errorf("%s exists while training runs but does not load: %v", last, err)
		}
		if p.exited() {
			if p.err == nil {
				return nil // the run finished before another checkpoint was due
			}
			t.Fatalf("train ended before writing a checkpoint past step %d: %v\nstderr:\n%s", step, p.err, p.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no checkpoint past step %d in %s after a minute", step, last)
	return nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// checkCheckpoints checks that every checkpoint in the run directory reads and loads, and
// returns the last one.
func checkCheckpoints(t *testing.T, dir string) *snapshot.Loaded {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(dir, "checkpoints", "*.safetensors"))
	var last *snapshot.Loaded
	for _, path := range paths {
		if _, err := checkpoint.Read(path); err != nil {
			t.Errorf("checkpoint.Read: %v", err)
			continue
		}
		l, err := snapshot.Load(path)
		if err != nil {
			t.Errorf("experiment.Load: %v", err)
			continue
		}
		if filepath.Base(path) == "last.safetensors" {
			last = l
		}
	}
	if last == nil {
		t.Fatalf("%s has no loadable checkpoints/last.safetensors (checkpoints: %v)", dir, paths)
	}
	return last
}

// tempFiles lists the temporary files that writers left in the run directory.
func tempFiles(dir string) []string {
	var tmp []string
	for _, pattern := range []string{"*.tmp", "checkpoints/*.tmp"} {
		m, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, p := range m {
			rel, _ := filepath.Rel(dir, p)
			tmp = append(tmp, rel)
		}
	}
	return tmp
}

// evaluateRun does what eval --checkpoint DIR --split val does and returns the metrics.
func evaluateRun(t *testing.T, dir string) experiment.Metrics {
	t.Helper()
	path, err := checkpoint.Resolve(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := experiment.OpenModel(path, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	metrics, err := m.Evaluate(context.Background(), "val", experiment.EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return metrics
}

// killTasks are the runs TestKill9LeavesResumableRun kills: an image, a text and a
// sequence-pair task, each a tiny run stretched over enough epochs that kills land mid-run.
var killTasks = []struct {
	name, config string
	epochs       int
}{
	{"image", "mnist-cnn", 12},                   // 8 steps an epoch
	{"text", "sentiment-lstm", 12},               // 7 steps an epoch
	{"sequence pairs", "cmudict-transformer", 6}, // length buckets; decoding at no epoch end
}

// killsPerTask is how many times each task is killed: GORGONET_KILLS, default 2 (CI).
func killsPerTask(t *testing.T) int {
	s := os.Getenv("GORGONET_KILLS")
	if s == "" {
		return 2
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		t.Fatalf("GORGONET_KILLS=%q: want a positive number", s)
	}
	return n
}

// killArgs are the train flags of a kill task's tiny run, with its epochs.
func killArgs(config string, epochs int) []string {
	args := tinyArgs()
	if config != "mnist-cnn" {
		args = []string{"--config", config, "--progress", "lines"}
		for _, kv := range testrun.TaskSets[config] {
			args = append(args, "--set", kv)
		}
	}
	return append(args, "--set", fmt.Sprintf("train.epochs=%d", epochs))
}

// TestKill9LeavesResumableRun kills training with SIGKILL at random moments, GORGONET_KILLS
// times per task, resuming in between: each time the checkpoints load, and the resumed run
// finishes bit-identical (weights, optimizer state, progress) to a run never killed.
func TestKill9LeavesResumableRun(t *testing.T) {
	kills := killsPerTask(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("kill delays from seed %d, %d kills per task", seed, kills)
	rng := rand.New(rand.NewPCG(seed, 1))
	for _, task := range killTasks {
		t.Run(task.name, func(t *testing.T) {
			// More kills need a longer run for them to land in: more epochs.
			args := killArgs(task.config, task.epochs*((kills+1)/2))
			// The run that is never killed, and checkpoints less often, is the reference.
			ref := filepath.Join(t.TempDir(), "ref")
			if code, _, stderr := runTrain(append(slices.Clone(args), "--out", ref)...); code != 0 {
				t.Fatalf("uninterrupted run: exit status %d\n%s", code, stderr)
			}
			dir := filepath.Join(t.TempDir(), "run")
			killed := killRepeatedly(t, rng, dir, append(args, "--set", "train.checkpoint_every=1", "--set", "train.log_every=1"), kills)
			t.Logf("%s: killed %d times", task.config, killed)
			p := startTrain(t, "--resume", dir, "--progress", "lines")
			if code, sig := p.wait(t); code != 0 {
				t.Fatalf("final --resume: exit status %d (signal %v)\nstderr:\n%s", code, sig, p.stderr.String())
			}
			if !strings.Contains(p.stdout.String(), "run directory "+dir) {
				t.Errorf("final --resume: stdout %q does not name the run directory", p.stdout.String())
			}
			l := checkCheckpoints(t, dir)
			checkMetricsFile(t, filepath.Join(dir, "metrics.jsonl"))
			checkEventFile(t, dir, l.Progress.Step)
			if m := evaluateRun(t, dir); m.Examples == 0 {
				t.Errorf("evaluating the killed and resumed run: no validation examples")
			}
			for _, name := range []string{"last.safetensors", "best.safetensors"} {
				checkSameCheckpoint(t, filepath.Join(dir, "checkpoints", name), filepath.Join(ref, "checkpoints", name))
			}
		})
	}
}

// killRepeatedly starts training into dir and kills it kills times at random moments after
// a checkpoint, resuming in between, and returns the number of kills that landed before the
// run finished by itself.
func killRepeatedly(t *testing.T, rng *rand.Rand, dir string, runArgs []string, kills int) int {
	t.Helper()
	last := filepath.Join(dir, "checkpoints", "last.safetensors")
	args := append(slices.Clone(runArgs), "--out", dir)
	step := 0
	for round := 1; round <= kills; round++ {
		p := startTrain(t, args...)
		l := waitForCheckpoint(t, p, last, step)
		if l == nil {
			return round - 1
		}
		from := l.Progress.Step
		delay := time.Duration(rng.IntN(250)) * time.Millisecond
		time.Sleep(delay)
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil && !p.exited() {
			t.Fatal(err)
		}
		code, sig := p.wait(t)
		l = checkCheckpoints(t, dir)
		t.Logf("round %d: killed %v after the checkpoint of step %d (exit %d, signal %v); last checkpoint at step %d; temporary files left: %v",
			round, delay, from, code, sig, l.Progress.Step, tempFiles(dir))
		if sig != syscall.SIGKILL {
			if code != 0 {
				t.Fatalf("round %d: train ended with status %d before the kill; stderr:\n%s", round, code, p.stderr.String())
			}
			return round - 1
		}
		if l.Progress.Step < from {
			t.Fatalf("round %d: last checkpoint went back from step %d to %d", round, from, l.Progress.Step)
		}
		step = l.Progress.Step
		args = []string{"--resume", dir, "--progress", "lines"}
	}
	return kills
}

// checkSameCheckpoint checks that got holds bit for bit the tensors and progress of want.
func checkSameCheckpoint(t *testing.T, got, want string) {
	t.Helper()
	g, err := snapshot.Load(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := snapshot.Load(want)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g.Progress, w.Progress) {
		t.Errorf("%s: progress %+v, the uninterrupted run's %+v", filepath.Base(got), g.Progress, w.Progress)
	}
	gf, err := checkpoint.Read(got)
	if err != nil {
		t.Fatal(err)
	}
	wf, err := checkpoint.Read(want)
	if err != nil {
		t.Fatal(err)
	}
	if len(gf.Tensors) != len(wf.Tensors) {
		t.Fatalf("%s: %d tensors, the uninterrupted run's %d", filepath.Base(got), len(gf.Tensors), len(wf.Tensors))
	}
	var differ []string
	for name, wt := range wf.Tensors {
		if !slices.Equal(gf.Tensors[name].F32, wt.F32) {
			differ = append(differ, name)
		}
	}
	if len(differ) > 0 {
		slices.Sort(differ)
		t.Errorf("%s: %d of %d tensors differ from the uninterrupted run: %v", filepath.Base(got), len(differ), len(wf.Tensors), differ)
	}
}

// TestInterruptWritesCheckpoint: Ctrl-C or SIGTERM stops training with status 130, a
// checkpoint at the step the message names, and a last line that says how to resume.
func TestInterruptWritesCheckpoint(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			last := filepath.Join(dir, "checkpoints", "last.safetensors")
			p := startTrain(t, append(tinyArgs(), "--set", "train.epochs=3", "--set", "train.checkpoint_every=1", "--out", dir)...)
			waitForCheckpoint(t, p, last, 0)
			if err := p.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			code, killed := p.wait(t)
			stderr := p.stderr.String()
			if code != cli.ExitInterrupted {
				t.Fatalf("exit status %d (signal %v), want %d\nstderr:\n%s", code, killed, cli.ExitInterrupted, stderr)
			}
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			lastLine := lines[len(lines)-1]
			if !strings.HasPrefix(lastLine, "train: ") || !strings.Contains(lastLine, "--resume "+dir) {
				t.Errorf("last line of stderr is %q, want \"train: ...\" with --resume %s", lastLine, dir)
			}
			if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
				t.Errorf("stderr shows a trace:\n%s", stderr)
			}
			if out := p.stdout.String(); out != "" {
				t.Errorf("stdout %q, want nothing after an interrupt", out)
			}
			l := checkCheckpoints(t, dir)
			m := regexp.MustCompile(`at step (\d+)`).FindStringSubmatch(lastLine)
			if m == nil {
				t.Fatalf("last line %q does not name the step", lastLine)
			}
			if step, _ := strconv.Atoi(m[1]); step != l.Progress.Step || step == 0 {
				t.Errorf("message says step %d, last checkpoint is at step %d", step, l.Progress.Step)
			}
		})
	}
}
