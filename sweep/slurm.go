package sweep

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// Slurm runs a sweep's runs as one Slurm job array, one array task per run.
type Slurm struct {
	Executable string   // copied into DIR/bin, so the tasks find it on the cluster's shared disk
	Args       []string // before DIR INDEX: the hidden run-one subcommand
	Parallel   int      // array tasks at once (%P); 0 = no limit
	CPUs       int      // --cpus-per-task, also each run's GOMAXPROCS
	Partition  string
	Time       string // --time, e.g. 2:00:00
	Mem        string // --mem, e.g. 4G
	Extra      []string
}

// jobsFile lists the job arrays a sweep submitted, one "JOBID INDEX,INDEX,..." per line.
const jobsFile = "slurm/jobs"

// Submit writes DIR/slurm/sweep.sbatch for the runs of plan that are neither finished nor
// queued or running under a job of this sweep, submits it with sbatch and returns the job ID
// and the indices it covers; none left means nothing is submitted.
func (s Slurm) Submit(ctx context.Context, dir string, plan *Plan) (string, []int, error) {
	queued, err := Queued(ctx, dir)
	if err != nil {
		return "", nil, err
	}
	var todo []int
	for _, r := range plan.Runs {
		if _, inQueue := queued[r.Index]; !inQueue && State(RunDir(dir, r)) != StateDone {
			todo = append(todo, r.Index)
		}
	}
	if len(todo) == 0 {
		return "", nil, nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", nil, err
	}
	if err := os.MkdirAll(filepath.Join(abs, "slurm"), 0o755); err != nil {
		return "", nil, err
	}
	exe := filepath.Join(abs, "bin", "sweep")
	if err := copyExecutable(s.Executable, exe); err != nil {
		return "", nil, fmt.Errorf("copying the sweep binary for the Slurm tasks: %w", err)
	}
	script := filepath.Join(abs, "slurm", "sweep.sbatch")
	if err := s.writeScript(script, abs, exe, plan.Name, todo); err != nil {
		return "", nil, err
	}
	out, err := exec.CommandContext(ctx, "sbatch", "--parsable", script).Output()
	if err != nil {
		return "", nil, fmt.Errorf("sbatch %s: %w", script, commandError(err))
	}
	job, _, _ := strings.Cut(strings.TrimSpace(string(out)), ";") // "ID;cluster" on federations
	f, err := os.OpenFile(filepath.Join(abs, jobsFile), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return job, todo, err
	}
	defer f.Close()
	_, err = fmt.Fprintf(f, "%s %s\n", job, joinInts(todo, ","))
	return job, todo, err
}

var scriptTemplate = template.Must(template.New("sbatch").Parse(`#!/bin/bash
# Written by gorgonet's sweep command: one array task per unfinished run of the sweep in
#   {{.Dir}}
# Each task trains its run, resuming from its checkpoint when there is one; on scancel or at
# the time limit Slurm sends SIGTERM and the run writes a checkpoint first.
#SBATCH --job-name={{.Name}}
#SBATCH --array={{.Array}}
#SBATCH --cpus-per-task={{.CPUs}}
#SBATCH --output={{.Dir}}/slurm/%A_%a.out
#SBATCH --open-mode=append
{{- range .Directives}}
#SBATCH {{.}}
{{- end}}
export GOMAXPROCS=${SLURM_CPUS_PER_TASK:-{{.CPUs}}}
exec {{.Exe}}{{range .Args}} {{.}}{{end}} {{.Dir}} "$SLURM_ARRAY_TASK_ID"
`))

func (s Slurm) writeScript(path, dir, exe, name string, todo []int) error {
	array := joinInts(todo, ",")
	if s.Parallel > 0 {
		array += "%" + strconv.Itoa(s.Parallel)
	}
	var directives []string
	if s.Partition != "" {
		directives = append(directives, "--partition="+s.Partition)
	}
	if s.Time != "" {
		directives = append(directives, "--time="+s.Time)
	}
	if s.Mem != "" {
		directives = append(directives, "--mem="+s.Mem)
	}
	directives = append(directives, s.Extra...)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = scriptTemplate.Execute(f, map[string]any{
		"Dir": shellQuote(dir), "Name": name, "Array": array, "CPUs": max(1, s.CPUs),
		"Directives": directives, "Exe": shellQuote(exe), "Args": s.Args,
	})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Queued maps the runs of the sweep in dir that Slurm holds (pending or running) to their
// Slurm state, for the job arrays the sweep submitted.
func Queued(ctx context.Context, dir string) (map[int]string, error) {
	jobs := submittedJobs(dir)
	states := map[int]string{}
	if len(jobs) == 0 {
		return states, nil
	}
	// One line per array task ("123_4 RUNNING"), pending tasks too ("123_[5-7]" without -r).
	out, err := exec.CommandContext(ctx, "squeue", "-h", "-r", "-o", "%i %T", "-j", strings.Join(jobs, ",")).Output()
	if err != nil {
		// squeue refuses job IDs it has forgotten; a finished job is no longer queued.
		if ee, ok := err.(*exec.ExitError); ok && strings.Contains(string(ee.Stderr), "Invalid job id") {
			return states, nil
		}
		return nil, fmt.Errorf("squeue: %w", commandError(err))
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		id, state, _ := strings.Cut(sc.Text(), " ")
		_, task, ok := strings.Cut(id, "_")
		if i, err := strconv.Atoi(task); ok && err == nil {
			states[i] = state
		}
	}
	return states, nil
}

// Accounted maps runs of the sweep in dir to the state sacct gives their latest array task,
// where the cluster keeps accounting; without it (sacct fails) the map is empty.
func Accounted(ctx context.Context, dir string) map[int]string {
	states := map[int]string{}
	jobs := submittedJobs(dir)
	if len(jobs) == 0 {
		return states
	}
	out, err := exec.CommandContext(ctx, "sacct", "-n", "-P", "-X", "-o", "JobID,State", "-j", strings.Join(jobs, ",")).Output()
	if err != nil {
		return states
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		id, state, _ := strings.Cut(line, "|")
		_, task, _ := strings.Cut(id, "_")
		if i, err := strconv.Atoi(task); err == nil {
			states[i], _, _ = strings.Cut(state, " ") // "CANCELLED by 0" is CANCELLED
		}
	}
	return states // later jobs come later in sacct's output, so the latest task wins
}

// UsesSlurm reports whether the sweep in dir was submitted to Slurm and Slurm's commands are
// here to ask about it.
func UsesSlurm(dir string) bool {
	_, err := exec.LookPath("squeue")
	return err == nil && len(submittedJobs(dir)) > 0
}

// submittedJobs are the job IDs in dir/slurm/jobs.
func submittedJobs(dir string) []string {
	b, err := os.ReadFile(filepath.Join(dir, jobsFile))
	if err != nil {
		return nil
	}
	var jobs []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if id, _, _ := strings.Cut(line, " "); id != "" {
			jobs = append(jobs, id)
		}
	}
	return jobs
}

// Wait polls Slurm until no run of the sweep in dir is queued or running, drawing the
// progress line as runs finish.
func Wait(ctx context.Context, dir string, plan *Plan, w io.Writer, terminal bool, every time.Duration) error {
	prog := newProgress(w, terminal, plan.Name, len(plan.Runs))
	defer prog.finish()
	for {
		queued, err := Queued(ctx, dir)
		if err != nil {
			return err
		}
		counts := map[string]int{}
		for _, r := range plan.Runs {
			state := State(RunDir(dir, r))
			if q, ok := queued[r.Index]; ok {
				state = strings.ToLower(q)
			}
			counts[state]++
		}
		prog.mu.Lock()
		prog.counts = counts
		prog.mu.Unlock()
		prog.draw()
		if len(queued) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("stopped waiting; the Slurm jobs carry on (sweep status %s shows them): %w", dir, ctx.Err())
		case <-time.After(every):
		}
	}
}

func copyExecutable(from, to string) error {
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	tmp := to + ".tmp"
	dst, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, to) // a task still running the old binary keeps its file
}

// commandError adds what a failed command wrote to stderr, on one line.
func commandError(err error) error {
	if ee, ok := err.(*exec.ExitError); ok && len(ee.Stderr) > 0 {
		return fmt.Errorf("%w: %s", err, strings.Join(strings.Fields(string(ee.Stderr)), " "))
	}
	return err
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+%@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func joinInts(xs []int, sep string) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, sep)
}
