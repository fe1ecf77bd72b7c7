package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/gorgonet/gorgonet/sweep"
)

// TestSlurmSweep runs the 2×2 tiny sweep on a real Slurm started on localhost from
// sweep/testdata/slurm.conf: it must reach the local backend's results, start nothing the
// second time, and resume a run killed with scancel.
func TestSlurmSweep(t *testing.T) {
	startSlurm(t)
	want := outcomes(readCSV(t, localSweep(t)))

	dir := filepath.Join(t.TempDir(), "out")
	args := []string{"--file", tinySweep(t), "--out", dir, "--slurm", "--slurm-parallel", "2", "--wait"}
	code, stdout, stderr := runSweep(context.Background(), args...)
	if code != 0 || !strings.Contains(stdout, "submitted Slurm job") {
		t.Fatalf("sweep --slurm: status %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if got := outcomes(readCSV(t, dir)); got != want {
		t.Errorf("Slurm results:\n%s\nwant the local backend's:\n%s", got, want)
	}
	script, _ := os.ReadFile(filepath.Join(dir, "slurm", "sweep.sbatch"))
	if !strings.Contains(string(script), "#SBATCH --array=0,1,2,3%2") {
		t.Errorf("sweep.sbatch lacks the array directive:\n%s", script)
	}
	code, stdout, stderr = runSweep(context.Background(), args...)
	if code != 0 || !strings.Contains(stdout, "no run to submit") {
		t.Errorf("second invocation: status %d, stdout %q, stderr %q; want nothing submitted", code, stdout, stderr)
	}

	t.Run("scancel", func(t *testing.T) {
		file, dir := longSweep(t), filepath.Join(t.TempDir(), "out")
		args := []string{"--file", file, "--out", dir, "--slurm"}
		if code, stdout, stderr := runSweep(context.Background(), args...); code != 0 {
			t.Fatalf("sweep --slurm: status %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		if !waitFor(t, 90*time.Second, func() bool { return trainLogged(dir, 0) }) {
			return
		}
		job, _, _ := strings.Cut(readFile(t, filepath.Join(dir, "slurm", "jobs")), " ")
		if out, err := exec.Command("scancel", job+"_0").CombinedOutput(); err != nil {
			t.Fatalf("scancel %s_0: %v %s", job, err, out)
		}
		plan, _ := sweep.LoadPlan(dir)
		run0 := sweep.RunDir(dir, plan.Runs[0])
		waitFor(t, 30*time.Second, func() bool {
			queued, err := sweep.Queued(context.Background(), dir)
			_, held := queued[0]
			return err == nil && !held && sweep.State(run0) == sweep.StateInterrupted
		})
		code, stdout, stderr := runSweep(context.Background(), append(args, "--wait")...)
		if code != 0 || !strings.Contains(stdout, "submitted Slurm job") || !strings.Contains(stdout, "1 run (0)") {
			t.Fatalf("rerun: status %d\nstdout:\n%s\nstderr:\n%s\nwant run 0 alone submitted again", code, stdout, stderr)
		}
		checkResumedOnce(t, dir, plan.Runs[0])
		if rows := readCSV(t, dir); len(rows) != 3 {
			t.Errorf("results.csv has %d records, want a header and 2 rows", len(rows))
		}
		var status strings.Builder
		if err := sweep.Status(context.Background(), dir, plan, &status, true); err != nil || !strings.Contains(status.String(), "2 runs: 2 done") {
			t.Errorf("sweep status: %v\n%s", err, status.String())
		}
	})
}

// startSlurm starts slurmctld and slurmd on localhost, on free ports, with their state and
// logs in a temporary directory, points Slurm's commands at them, and stops them (by PID)
// when the test ends. It skips the test where Slurm is not installed.
func startSlurm(t *testing.T) {
	t.Helper()
	ctld, err1 := lookSbin("slurmctld")
	slurmd, err2 := lookSbin("slurmd")
	if err1 != nil || err2 != nil {
		t.Skip("Slurm is not installed (no slurmctld or slurmd): apt-get install slurm-wlm to run this test")
	}
	if os.Geteuid() != 0 {
		t.Skip("the one-machine Slurm of this test (sweep/testdata/slurm.conf) runs its daemons as root; run the test as root")
	}
	dir := t.TempDir()
	for _, sub := range []string{"state", "spool"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tmpl := template.Must(template.ParseFiles(filepath.Join("..", "..", "sweep", "testdata", "slurm.conf")))
	conf := filepath.Join(dir, "slurm.conf")
	f, err := os.Create(conf)
	if err != nil {
		t.Fatal(err)
	}
	err = tmpl.Execute(f, map[string]any{"Dir": dir, "CtlPort": freePort(t), "DPort": freePort(t)})
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SLURM_CONF", conf)
	daemon(t, dir, ctld, "-D", "-i", "-f", conf)
	if !waitFor(t, 30*time.Second, func() bool { return exec.Command("sinfo", "-h").Run() == nil }) {
		t.Fatalf("slurmctld did not answer; its log:\n%s", readFile(t, filepath.Join(dir, "slurmctld.log")))
	}
	daemon(t, dir, slurmd, "-D", "-N", "localhost", "-f", conf)
	idle := func() bool {
		out, _ := exec.Command("sinfo", "-h", "-o", "%T").Output()
		return strings.TrimSpace(string(out)) == "idle"
	}
	if !waitFor(t, 30*time.Second, idle) {
		t.Fatalf("the node did not come up; slurmd's log:\n%s", readFile(t, filepath.Join(dir, "slurmd.log")))
	}
	t.Cleanup(func() { exec.Command("scancel", "--full", "--user", "root").Run() }) // runs before the daemons stop
}

// daemon starts a Slurm daemon and stops it by PID at the end of the test.
func daemon(t *testing.T, dir, path string, args ...string) {
	t.Helper()
	out, err := os.Create(filepath.Join(dir, filepath.Base(path)+".out"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); out.Close(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
}

// lookSbin finds a Slurm daemon on PATH or in /usr/sbin, where Debian puts them.
func lookSbin(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return exec.LookPath(filepath.Join("/usr/sbin", name))
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func readFile(t *testing.T, path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}
