package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/cmd/internal/cli"
	"github.com/gorgonet/gorgonet/cmd/internal/clitest"
	"github.com/gorgonet/gorgonet/internal/testrun"
	"github.com/gorgonet/gorgonet/train"
)

// runCompare runs the compare command in-process as main does.
func runCompare(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	cmd := newCommand()
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	code = cli.Run(context.Background(), cmd, args, &errOut)
	return code, out.String(), errOut.String()
}

// tinyRuns trains the tiny run twice, one of them with two epochs and its own name.
func tinyRuns(t *testing.T) (a, b string) {
	t.Helper()
	root := t.TempDir()
	a, b = filepath.Join(root, "a"), filepath.Join(root, "b")
	for dir, sets := range map[string][]string{a: nil, b: {"train.epochs=2", "name=tiny-b"}} {
		cfg, err := testrun.Config(sets...)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := train.Run(context.Background(), train.Options{Config: cfg, OutDir: dir}); err != nil {
			t.Fatal(err)
		}
	}
	return a, b
}

func TestCompareTwoRuns(t *testing.T) {
	a, b := tinyRuns(t)
	plot := filepath.Join(t.TempDir(), "cmp.png")
	code, stdout, stderr := runCompare(a, b, "--plot", plot)
	if code != 0 {
		t.Fatalf("exit status %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "RUN ") || !strings.Contains(lines[0], "BEST VAL ACCURACY") {
		t.Fatalf("output:\n%s\nwant a header, two rows and the plot's line", stdout)
	}
	for i, want := range [][]string{{a, "mnist-cnn", "mnist", "cnn", "1", "8"}, {b, "tiny-b", "mnist", "cnn", "16"}} {
		fields := strings.Fields(lines[i+1])
		for _, w := range want {
			found := false
			for _, f := range fields {
				found = found || f == w
			}
			if !found {
				t.Errorf("row %q lacks %q", lines[i+1], w)
			}
		}
	}
	f, err := os.Open(plot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if cfg, err := png.DecodeConfig(f); err != nil || cfg.Width < 600 || cfg.Height < 300 {
		t.Errorf("%s: %v, %dx%d", plot, err, cfg.Width, cfg.Height)
	}

	code, stdout, stderr = runCompare("--json", "--metric", "loss", a, b)
	var r report
	if err := json.Unmarshal([]byte(stdout), &r); code != 0 || err != nil {
		t.Fatalf("--json: status %d, %v: %s%s", code, err, stdout, stderr)
	}
	if r.Metric != "loss" || len(r.Runs) != 2 || r.Runs[1].Name != "tiny-b" || r.Runs[1].Epochs != 2 || r.Runs[1].Steps != 16 || r.Runs[0].Best == nil {
		t.Errorf("--json: %+v", r)
	}
}

// TestCompareErrors: a mistake ends in one line naming the directory or flag at fault.
func TestCompareErrors(t *testing.T) {
	notRun, missing := t.TempDir(), filepath.Join(t.TempDir(), "missing")
	for _, c := range []struct {
		args  []string
		wants []string
	}{
		{[]string{notRun}, []string{notRun, "not a run directory", "config.yaml"}},
		{[]string{missing}, []string{missing, "not a run directory"}},
		{[]string{notRun, "--plot", "x.svg"}, []string{"--plot", "x.svg", ".png"}},
		{[]string{notRun, "--metric", "acc"}, []string{"--metric", "acc", "accuracy"}},
		{nil, []string{"requires at least 1 arg"}},
	} {
		code, _, stderr := runCompare(c.args...)
		clitest.CheckOneLineError(t, "compare", code, stderr, c.wants...)
	}
}
