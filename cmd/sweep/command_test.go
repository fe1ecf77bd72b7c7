package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/cmd/internal/clitest"
)

// TestSweepErrors: a bad sweep file or flag ends in one line on stderr that names the file
// and line (or the flag), a non-zero status, and no run started: the sweep directory is
// never made.
func TestSweepErrors(t *testing.T) {
	tests := []struct {
		name  string
		file  string // written to $DIR/s.yaml
		args  []string
		wants []string
	}{
		{"unknown sweep key", "base: mnist-cnn\ngrid:\n  train.epochs: [1]\nseed: [1]\n", nil, []string{"s.yaml:4:", `"seed"`}},
		{"key the schema lacks", "base: mnist-cnn\ngrid:\n  train.optimizer.lr: [0.1]\n  train.optimiser.momentum: [0.9]\n", nil,
			[]string{"s.yaml:4:", "train.optimiser.momentum"}},
		{"value of the wrong type", "base: mnist-cnn\nset:\n  train.epochs: 1\ngrid:\n  model.cnn.dropout: [0, half]\n", nil,
			[]string{"s.yaml:5:", "model.cnn.dropout", "number"}},
		{"a run the schema refuses", "base: mnist-cnn\ngrid:\n  train.epochs: [1, 0]\n", nil, []string{"001-epochs=0", "train.epochs"}},
		{"no --file", "", []string{}, []string{"--file"}},
		{"missing file", "", []string{"--file", "$DIR/none.yaml"}, []string{"none.yaml"}},
		{"--wait without --slurm", "base: mnist-cnn\n", []string{"--wait"}, []string{"--wait", "--slurm"}},
		{"--workers with --slurm", "base: mnist-cnn\n", []string{"--slurm", "--workers", "2"}, []string{"--workers", "--slurm-parallel"}},
		{"negative --workers", "base: mnist-cnn\n", []string{"--workers", "-1"}, []string{"--workers"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "s.yaml")
			if tt.file != "" {
				if err := os.WriteFile(file, []byte(tt.file), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			args := tt.args
			if args == nil || tt.file != "" {
				args = append([]string{"--file", file}, args...)
			}
			for i := range args {
				args[i] = strings.ReplaceAll(args[i], "$DIR", dir)
			}
			out := filepath.Join(dir, "out")
			code, _, stderr := runSweep(context.Background(), append(args, "--out", out)...)
			clitest.CheckOneLineError(t, "sweep", code, stderr, tt.wants...)
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was made: a run may have started", out)
			}
		})
	}
}

func TestDryRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := runSweep(context.Background(), "--file", tinySweep(t), "--out", out, "--dry-run")
	if code != 0 {
		t.Fatalf("status %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 5 || !strings.Contains(lines[0], "4 runs") ||
		lines[4] != "003-lr=0.003-dropout=0.25: --set train.optimizer.lr=0.003 --set model.cnn.dropout=0.25" {
		t.Errorf("dry run printed:\n%s", stdout)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("the dry run made %s", out)
	}
}
