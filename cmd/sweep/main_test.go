package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorgonet/gorgonet/cmd/internal/cli"
	"github.com/gorgonet/gorgonet/internal/testrun"
	"github.com/gorgonet/gorgonet/sweep"
)

// asMain makes the test binary act as the sweep command: the sweep starts each run as a
// child process of its own executable (locally and in Slurm tasks), which here is this binary.
const asMain = "GORGONET_SWEEP_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMain) == "1" {
		os.Exit(cli.Main(newCommand(), os.Args[1:], os.Stderr))
	}
	os.Setenv(asMain, "1") // for the children, and the Slurm tasks through sbatch's environment
	code := m.Run()
	if local.dir != "" {
		os.RemoveAll(local.dir)
	}
	os.Exit(code)
}

// runSweep runs the sweep command in-process as main does, with ctx as the signal context.
func runSweep(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	cmd := newCommand()
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	code = cli.Run(ctx, cmd, append(args, "--progress", "lines"), &errOut)
	return code, out.String(), errOut.String()
}

// sweepFile writes a sweep file over the tiny run of testrun.Sets (8 steps of a small CNN)
// with extra lines appended, and returns its path.
func sweepFile(t *testing.T, name string, sets []string, grid string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "name: %s\nbase: mnist-cnn\nset:\n", name)
	var keys []string
	values := map[string]string{} // a later key=value replaces an earlier one
	for _, kv := range sets {
		k, v, _ := strings.Cut(kv, "=")
		if _, ok := values[k]; !ok {
			keys = append(keys, k)
		}
		values[k] = v
	}
	for _, k := range keys {
		fmt.Fprintf(&b, "  %s: %s\n", k, values[k])
	}
	b.WriteString(grid)
	path := filepath.Join(t.TempDir(), name+".yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const grid2x2 = "grid:\n  train.optimizer.lr: [0.001, 0.003]\n  model.cnn.dropout: [0, 0.25]\n"

// tinySweep is the 2×2 grid of tiny runs.
func tinySweep(t *testing.T) string { return sweepFile(t, "tiny", testrun.Sets, grid2x2) }

// longSweep has two runs of 20 epochs (about 8 s each on one core), long enough to stop
// one in the middle; they log every 2 steps.
func longSweep(t *testing.T) string {
	sets := append(append([]string{}, testrun.Sets...), "train.epochs=20", "train.log_every=2")
	return sweepFile(t, "long", sets, "grid:\n  train.optimizer.lr: [0.001, 0.003]\n")
}

// readCSV returns the records of dir/results.csv.
func readCSV(t *testing.T, dir string) [][]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return records
}

// outcomes are the result columns that do not depend on timing: run, keys, seed, state,
// best metric and epoch, test metric, steps.
func outcomes(records [][]string) string {
	var rows []string
	for _, r := range records {
		rows = append(rows, strings.Join(r[:len(r)-4], ","))
	}
	return strings.Join(rows, "\n")
}

var local struct {
	once   sync.Once
	dir    string
	code   int
	stdout string
	stderr string
}

// localSweep runs the 2×2 tiny sweep with 2 workers once; TestLocalSweep checks it and the
// Slurm test compares its results with Slurm's.
func localSweep(t *testing.T) string {
	local.once.Do(func() {
		local.dir = filepath.Join(os.TempDir(), fmt.Sprintf("gorgonet-sweep-test-%d", os.Getpid()))
		local.code, local.stdout, local.stderr = runSweep(context.Background(), "--file", tinySweep(t), "--out", local.dir, "--workers", "2")
	})
	if local.code != 0 {
		t.Fatalf("sweep: exit status %d\nstdout:\n%s\nstderr:\n%s", local.code, local.stdout, local.stderr)
	}
	return local.dir
}

// TestLocalSweep: a 2×2 grid with 2 workers finishes, writes four result rows, and running
// the same command again starts nothing.
func TestLocalSweep(t *testing.T) {
	dir := localSweep(t)
	records := readCSV(t, dir)
	if len(records) != 5 {
		t.Fatalf("results.csv has %d records, want a header and 4 rows:\n%s", len(records), outcomes(records))
	}
	col := map[string]int{}
	for i, h := range records[0] {
		col[h] = i
	}
	for _, r := range records[1:] {
		if r[col["state"]] != "done" || r[col["best_val_accuracy"]] == "" || r[col["steps"]] != "8" {
			t.Errorf("row %v: want state done, a best validation accuracy and 8 steps", r)
		}
	}
	for _, name := range []string{"results.md", "results.png", "sweep.json"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
	if !strings.Contains(local.stdout, "4 of 4 runs finished") {
		t.Errorf("stdout %q does not report 4 finished runs", local.stdout)
	}
	code, stdout, stderr := runSweep(context.Background(), "--file", tinySweep(t), "--out", dir, "--workers", "2")
	if code != 0 || !strings.Contains(stderr, "4/4 done, 4 skipped") {
		t.Fatalf("second invocation: status %d, stdout %q, stderr %q; want every run skipped", code, stdout, stderr)
	}
	plan, _ := sweep.LoadPlan(dir)
	for _, r := range plan.Runs {
		if as := sweep.Attempts(sweep.RunDir(dir, r)); len(as) != 1 {
			t.Errorf("%s started %d times, want once", r.Name, len(as))
		}
	}
	if got := outcomes(readCSV(t, dir)); got != outcomes(records) {
		t.Errorf("results changed on the second invocation:\n%s\nwant\n%s", got, outcomes(records))
	}
	var out, errOut bytes.Buffer
	cmd := newCommand()
	cmd.SetOut(&out)
	if code := cli.Run(context.Background(), cmd, []string{"status", dir}, &errOut); code != 0 ||
		!strings.Contains(out.String(), "003-lr=0.003-dropout=0.25  done") || !strings.HasSuffix(out.String(), "4 runs: 4 done\n") {
		t.Errorf("sweep status: status %d, stderr %q, stdout:\n%s", code, errOut.String(), out.String())
	}
}

// TestInterruptAndResume: Ctrl-C stops every run with a checkpoint and exits 130; the same
// command resumes them and finishes.
func TestInterruptAndResume(t *testing.T) {
	file, dir := longSweep(t), filepath.Join(t.TempDir(), "out")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil && !(trainLogged(dir, 0) && trainLogged(dir, 1)) {
			time.Sleep(50 * time.Millisecond)
		}
		cancel() // what Ctrl-C does to cli.Main's context
	}()
	code, _, stderr := runSweep(ctx, "--file", file, "--out", dir, "--workers", "2")
	if code != cli.ExitInterrupted || !strings.Contains(stderr, "resumes them") {
		t.Fatalf("interrupted sweep: status %d, stderr %q; want %d and how to resume", code, stderr, cli.ExitInterrupted)
	}
	plan, _ := sweep.LoadPlan(dir)
	for _, r := range plan.Runs {
		if s := sweep.State(sweep.RunDir(dir, r)); s != sweep.StateInterrupted {
			t.Errorf("%s is %s after Ctrl-C, want interrupted", r.Name, s)
		}
	}
	code, stdout, stderr := runSweep(context.Background(), "--file", file, "--out", dir, "--workers", "2")
	if code != 0 {
		t.Fatalf("resumed sweep: status %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	checkResumedOnce(t, dir, plan.Runs...)
}

// checkResumedOnce checks that each run finished in two attempts, the second a resume, and
// trained its full count of steps (20 epochs of 8).
func checkResumedOnce(t *testing.T, dir string, runs ...sweep.Run) {
	t.Helper()
	for _, r := range runs {
		as := sweep.Attempts(sweep.RunDir(dir, r))
		if len(as) != 2 || as[0].Outcome != sweep.StateInterrupted || !as[1].Resumed || as[1].Outcome != sweep.StateDone || as[1].Steps != 160 {
			t.Errorf("%s: attempts %+v, want one interrupted and one resumed to 160 steps", r.Name, as)
		}
	}
}

// trainLogged reports whether run index of the sweep in dir has logged a training step.
func trainLogged(dir string, index int) bool {
	found, _ := filepath.Glob(filepath.Join(dir, "runs", fmt.Sprintf("%03d-*", index), "metrics.jsonl"))
	if len(found) == 0 {
		return false
	}
	b, _ := os.ReadFile(found[0])
	return bytes.Contains(b, []byte(`"split":"train"`))
}

func waitFor(t *testing.T, limit time.Duration, ok func() bool) bool {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if ok() {
			return true
		}
	}
	t.Errorf("still waiting after %v", limit)
	return false
}
