package sweep

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Child is how to start one run in a process of its own: Path with Args, then the sweep
// directory and the run's index (the sweep command's hidden run-one subcommand).
type Child struct {
	Path string
	Args []string
}

func (c Child) command(dir string, index int) []string {
	return append(append([]string{}, c.Args...), dir, strconv.Itoa(index))
}

// Local runs a sweep's runs on this machine, Workers child processes at once.
type Local struct {
	Child    Child
	Workers  int       // runs at once; 0 = one per core
	Progress io.Writer // the sweep's progress line
	Terminal bool      // Progress is a terminal: redraw one line in place
}

// DefaultWorkers keeps every core busy with one single-threaded run each.
func DefaultWorkers() int { return runtime.NumCPU() }

// Procs is each run's share of the cores, its GOMAXPROCS.
func Procs(workers int) int { return max(1, runtime.NumCPU()/max(1, workers)) }

// Run runs the runs of plan in dir that are not finished, and returns once all have ended.
// When ctx is cancelled (Ctrl-C), every running child gets SIGINT and writes its checkpoint;
// no new run starts, and the error wraps context.Canceled.
func (l Local) Run(ctx context.Context, dir string, plan *Plan) error {
	unlock, err := lockDir(dir)
	if err != nil {
		return err
	}
	defer unlock()
	workers := l.Workers
	if workers <= 0 {
		workers = DefaultWorkers()
	}
	prog := newProgress(l.Progress, l.Terminal, plan.Name, len(plan.Runs))
	var todo []Run
	for _, r := range plan.Runs {
		if State(RunDir(dir, r)) == StateDone {
			prog.counts["skipped"]++ // no goroutine runs yet
			continue
		}
		todo = append(todo, r)
	}
	prog.draw()
	jobs := make(chan Run)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for range min(workers, len(todo)) {
		wg.Go(func() {
			for r := range jobs {
				prog.add("running")
				err := l.runChild(ctx, dir, r, Procs(workers))
				switch {
				case ctx.Err() != nil:
					prog.move("running", "interrupted")
				case err != nil:
					prog.move("running", "failed")
					mu.Lock()
					failures = append(failures, fmt.Sprintf("%s: %v", r.Name, err))
					mu.Unlock()
				default:
					prog.move("running", "done")
				}
			}
		})
	}
feed:
	for _, r := range todo {
		select {
		case jobs <- r:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	prog.finish()
	if ctx.Err() != nil {
		return fmt.Errorf("sweep stopped, %d of %d runs finished; each interrupted run wrote a checkpoint, and the same command resumes them: %w",
			prog.count("done")+prog.count("skipped"), len(plan.Runs), ctx.Err())
	}
	if len(failures) > 0 {
		return fmt.Errorf("%d of %d runs failed (the same command starts them again): %s", len(failures), len(plan.Runs), strings.Join(failures, "; "))
	}
	return nil
}

// lockDir keeps a second local sweep command out of dir while this one runs its runs.
func lockDir(dir string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, ".sweep.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("another sweep command is running the sweep in %s; wait for it, or stop it with Ctrl-C", dir)
	}
	return func() { f.Close() }, nil
}

// runChild runs one run in a child process with GOMAXPROCS procs. The child has a process
// group of its own, so a Ctrl-C reaches it once, from here, and it dies with this process.
func (l Local) runChild(ctx context.Context, dir string, r Run, procs int) error {
	args := l.Child.command(dir, r.Index)
	cmd := exec.Command(l.Child.Path, args...)
	cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(procs))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return childError(err, stderr.String())
	case <-ctx.Done():
		_ = cmd.Process.Signal(os.Interrupt) // train writes a checkpoint and exits
	}
	select {
	case err := <-done:
		return childError(err, stderr.String())
	case <-time.After(5 * time.Minute):
		_ = cmd.Process.Kill()
		return errors.Join(errors.New("did not stop within 5 minutes of SIGINT; killed"), <-done)
	}
}

// childError is the last line the child wrote to stderr (its one-line error), or err.
func childError(err error, stderr string) error {
	if err == nil {
		return nil
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if last := lines[len(lines)-1]; last != "" {
		return errors.New(last)
	}
	return err
}

// progress is the one line that tells how a sweep is going.
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	terminal bool
	name     string
	total    int
	counts   map[string]int
	start    time.Time
	last     string
}

func newProgress(w io.Writer, terminal bool, name string, total int) *progress {
	if w == nil {
		w = io.Discard
	}
	return &progress{w: w, terminal: terminal, name: name, total: total, counts: map[string]int{}, start: time.Now()}
}

func (p *progress) add(state string) { p.move("", state) }

func (p *progress) move(from, to string) {
	p.mu.Lock()
	if from != "" {
		p.counts[from]--
	}
	p.counts[to]++
	p.mu.Unlock()
	p.draw()
}

func (p *progress) count(state string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[state]
}

func (p *progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	line := fmt.Sprintf("sweep %s: %d/%d done", p.name, p.counts["done"]+p.counts["skipped"], p.total)
	key := line // without the running count: plain lines change only as runs end
	for _, s := range []string{"running", "pending", "skipped", "failed", "interrupted"} {
		if p.counts[s] > 0 {
			line += fmt.Sprintf(", %d %s", p.counts[s], s)
			if s != "running" && s != "pending" {
				key += fmt.Sprintf(", %d %s", p.counts[s], s)
			}
		}
	}
	if p.terminal {
		key = line
	}
	if key == p.last {
		return
	}
	p.last = key
	elapsed := time.Since(p.start).Round(time.Second)
	if p.terminal {
		fmt.Fprintf(p.w, "\r\033[K%s (%s)", line, elapsed)
	} else {
		fmt.Fprintf(p.w, "%s (%s)\n", line, elapsed)
	}
}

func (p *progress) finish() {
	if p.terminal {
		fmt.Fprintln(p.w)
	}
}
