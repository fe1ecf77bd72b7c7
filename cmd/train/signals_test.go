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
func waitForCheckpoint(t *testing.T, p *process, last string, step int) *experiment.Loaded {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		l, err := experiment.Load(last)
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
func checkCheckpoints(t *testing.T, dir string) *experiment.Loaded {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(dir, "checkpoints", "*.safetensors"))
	var last *experiment.Loaded
	for _, path := range paths {
		if _, err := checkpoint.Read(path); err != nil {
			t.Errorf("checkpoint.Read: %v", err)
			continue
		}
		l, err := experiment.Load(path)
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

// TestKill9LeavesResumableRun kills training with SIGKILL at random moments, three times,
// resuming in between: each time the checkpoints load, and the resumed run finishes with
// the same weights and optimizer state as a run that was never killed.
func TestKill9LeavesResumableRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	last := filepath.Join(dir, "checkpoints", "last.safetensors")
	seed := uint64(time.Now().UnixNano())
	t.Logf("kill delays from seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	// 12 epochs of 8 steps: long enough that the kills land mid-run on a fast machine.
	const epochs, total = 12, 96
	runArgs := append(tinyArgs(), "--set", fmt.Sprintf("train.epochs=%d", epochs), "--set", "train.checkpoint_every=1", "--set", "train.log_every=1")

	args := append(slices.Clone(runArgs), "--out", dir)
	step := 0
	for round := 1; round <= 3 && step < total; round++ {
		p := startTrain(t, args...)
		l := waitForCheckpoint(t, p, last, step)
		if l == nil {
			break
		}
		from := l.Progress.Step
		delay := time.Duration(20+rng.IntN(180)) * time.Millisecond
		time.Sleep(delay)
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil && !p.exited() {
			t.Fatal(err)
		}
		code, sig := p.wait(t)
		l = checkCheckpoints(t, dir)
		t.Logf("round %d: killed %v after the checkpoint of step %d (exit %d, signal %v); last checkpoint at step %d; temporary files left: %v",
			round, delay, from, code, sig, l.Progress.Step, tempFiles(dir))
		if sig != syscall.SIGKILL {
			t.Logf("round %d: train ended with status %d before the kill; stderr:\n%s", round, code, p.stderr.String())
			if code != 0 {
				t.Fatalf("train ended with status %d", code)
			}
			break
		}
		if l.Progress.Step < from {
			t.Fatalf("round %d: last checkpoint went back from step %d to %d", round, from, l.Progress.Step)
		}
		step = l.Progress.Step
		args = []string{"--resume", dir, "--progress", "lines"}
	}

	p := startTrain(t, "--resume", dir, "--progress", "lines")
	if code, sig := p.wait(t); code != 0 {
		t.Fatalf("final --resume: exit status %d (signal %v)\nstderr:\n%s", code, sig, p.stderr.String())
	}
	if !strings.Contains(p.stdout.String(), "run directory "+dir) {
		t.Errorf("final --resume: stdout %q does not name the run directory", p.stdout.String())
	}
	l := checkCheckpoints(t, dir)
	// A resume must neither skip nor repeat a batch.
	if l.Progress.Epoch != epochs || l.Progress.Step != total {
		t.Errorf("finished run's last checkpoint is at epoch %d step %d, want epoch %d step %d", l.Progress.Epoch, l.Progress.Step, epochs, total)
	}
	checkMetricsFile(t, filepath.Join(dir, "metrics.jsonl"))
	if m := evaluateRun(t, dir); m.Examples != 1200 {
		t.Errorf("evaluating the killed and resumed run: %d validation examples, want 1200", m.Examples)
	}
	t.Logf("temporary files left after the kills: %v", tempFiles(dir))

	// The run that was never killed (and checkpointed less often) ends in the same state.
	ref := filepath.Join(t.TempDir(), "ref")
	if code, _, stderr := runTrain(append(tinyArgs(), "--set", fmt.Sprintf("train.epochs=%d", epochs), "--out", ref)...); code != 0 {
		t.Fatalf("uninterrupted run: exit status %d\n%s", code, stderr)
	}
	want, err := checkpoint.Read(filepath.Join(ref, "checkpoints", "last.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := checkpoint.Read(last)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Tensors) != len(want.Tensors) {
		t.Fatalf("killed run has %d tensors, the uninterrupted one %d", len(got.Tensors), len(want.Tensors))
	}
	var differ []string
	for name, w := range want.Tensors {
		if !slices.Equal(got.Tensors[name].F32, w.F32) {
			differ = append(differ, name)
		}
	}
	if len(differ) > 0 {
		slices.Sort(differ)
		t.Errorf("%d of %d tensors of the killed and resumed run differ from the uninterrupted run: %v",
			len(differ), len(want.Tensors), differ)
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
