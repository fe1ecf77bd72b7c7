package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gorgonet/gorgonet/cmd/internal/clitest"
	"github.com/gorgonet/gorgonet/config"
	"github.com/gorgonet/gorgonet/snapshot"
)

var tiny struct {
	once           sync.Once
	dir            string
	code           int
	stdout, stderr string
}

// tinyRun trains the tiny config once into a run directory that the tests share, read-only.
func tinyRun(t *testing.T) (dir, stdout, stderr string) {
	t.Helper()
	tiny.once.Do(func() {
		tiny.dir = filepath.Join(tempRoot, "tiny")
		// --config after the --set flags: overrides apply whatever the order.
		tiny.code, tiny.stdout, tiny.stderr = runTrain(append(tinyArgs(), "--out", tiny.dir, "--config", "mnist-cnn")...)
	})
	if tiny.code != 0 {
		t.Fatalf("tiny run: exit status %d\nstdout:\n%s\nstderr:\n%s", tiny.code, tiny.stdout, tiny.stderr)
	}
	return tiny.dir, tiny.stdout, tiny.stderr
}

// TestTrainErrors: every mistake a user can make on the command line ends in one line on
// stderr that names the file, key, flag or directory at fault, before any training.
func TestTrainErrors(t *testing.T) {
	// In args and wants, $DIR is a fresh temporary directory holding files and $RUN a
	// finished run.
	tests := []struct {
		name  string
		files map[string]string // written into $DIR first
		args  []string
		wants []string
	}{
		{
			name:  "unknown key in a config file",
			files: map[string]string{"typo.yaml": "name: typo\ntrain:\n  epoch: 3\n"},
			args:  []string{"--config", "$DIR/typo.yaml"},
			wants: []string{"$DIR/typo.yaml:3:", `"epoch"`, "epochs"},
		},
		{
			name:  "wrong type in a config file",
			files: map[string]string{"bad.yaml": "name: bad\ntrain:\n  batch_size: 64\n  epochs: three\n"},
			args:  []string{"--config", "$DIR/bad.yaml"},
			wants: []string{"$DIR/bad.yaml:4:", "train.epochs"},
		},
		{
			name:  "config file that does not exist",
			args:  []string{"--config", "$DIR/missing.yaml"},
			wants: []string{"$DIR/missing.yaml"},
		},
		{
			name:  "unknown embedded config",
			args:  []string{"--config", "does-not-exist"},
			wants: []string{`"does-not-exist"`, "mnist-cnn"},
		},
		{
			name:  "--set with a value of the wrong type",
			args:  []string{"--set", "train.epochs=abc"},
			wants: []string{"train.epochs"},
		},
		{
			name:  "--set of an unknown key",
			args:  []string{"--set", "nosuch.key=1"},
			wants: []string{`"nosuch.key"`},
		},
		{
			name:  "--set without a value",
			args:  []string{"--set", "train.epochs"},
			wants: []string{"--set train.epochs", "key=value"},
		},
		{
			name:  "--set of an invalid value",
			args:  []string{"--set", "train.epochs=0"},
			wants: []string{"train.epochs"},
		},
		{
			name:  "data directory that does not exist",
			args:  []string{"--config", "fashion-mnist-cnn", "--set", "data.path=$DIR/nonexistent", "--out", "$DIR/run"},
			wants: []string{"$DIR/nonexistent"},
		},
		{
			name:  "--resume of a directory without a run",
			args:  []string{"--resume", "$DIR"},
			wants: []string{"$DIR"},
		},
		{
			name:  "a model that cannot fit in memory",
			args:  []string{"--set", "model.cnn.channels=[100000000]"},
			wants: []string{"GB of memory available", "model.cnn", "train.batch_size"},
		},
		{
			name:  "a batch that cannot fit in memory",
			args:  []string{"--set", "train.batch_size=1000000000"},
			wants: []string{"batch 1000000000", "GB of memory available", "train.batch_size"},
		},
		{
			name:  "--force-resume without --resume",
			args:  []string{"--force-resume"},
			wants: []string{"--force-resume goes with --resume DIR"},
		},
		{
			name:  "--resume with --config",
			args:  []string{"--resume", "$RUN", "--config", "mnist-cnn"},
			wants: []string{"--config"},
		},
		{
			name:  "--resume changing the model",
			args:  []string{"--resume", "$RUN", "--set", "model.cnn.hidden=[32]"},
			wants: []string{"model.cnn.hidden"},
		},
		{
			name:  "new run over an existing one",
			args:  append(tinyArgs(), "--out", "$RUN"),
			wants: []string{"$RUN", "--resume"},
		},
		{
			name:  "bad --progress",
			args:  []string{"--progress", "bogus"},
			wants: []string{"--progress", `"bogus"`},
		},
		{
			name:  "negative --max-steps",
			args:  []string{"--max-steps", "-1"},
			wants: []string{"--max-steps"},
		},
		{
			name:  "unknown flag",
			args:  []string{"--epochs", "3"},
			wants: []string{"--epochs"},
		},
		{
			name:  "stray argument",
			args:  []string{"mnist-cnn"},
			wants: []string{`"mnist-cnn"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			expand := func(s string) string {
				s = strings.ReplaceAll(s, "$DIR", dir)
				if strings.Contains(s, "$RUN") {
					run, _, _ := tinyRun(t)
					s = strings.ReplaceAll(s, "$RUN", run)
				}
				return s
			}
			for name, content := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var args, wants []string
			for _, a := range tt.args {
				args = append(args, expand(a))
			}
			for _, w := range tt.wants {
				wants = append(wants, expand(w))
			}
			code, stdout, stderr := runTrain(args...)
			clitest.CheckOneLineError(t, "train", code, stderr, wants...)
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
		})
	}
}

// TestTrainHelpAndCompletion: help, the completion scripts and completion of flag values
// succeed and print what a user looks for.
func TestTrainHelpAndCompletion(t *testing.T) {
	tests := []struct {
		args  []string
		wants []string
	}{
		{[]string{"--help"}, []string{"Examples:", "--set", "--resume", "--config", "go run ./cmd/train", "mnist-cnn"}},
		{[]string{"completion", "bash"}, []string{"# bash completion", "__start_train", "complete -o default"}},
		{[]string{"completion", "zsh"}, []string{"#compdef train"}},
		{[]string{"__complete", "--set", "train.ep"}, []string{"train.epochs=", "train.optimizer.lr="}},
		{[]string{"__complete", "--config", ""}, []string{"mnist-cnn", "fashion-mnist-cnn"}},
		{[]string{"__complete", "--progress", ""}, []string{"bar", "lines", "auto"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runTrain(tt.args...)
			if code != 0 {
				t.Fatalf("exit status %d, want 0; stderr %q", code, stderr)
			}
			for _, want := range tt.wants {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout does not contain %q:\n%.2000s", want, stdout)
				}
			}
		})
	}
}

// TestPrintConfig: --print-config prints the resolved experiment, every key of its kind with
// the overrides applied, parses back to the same experiment, and trains nothing.
func TestPrintConfig(t *testing.T) {
	code, stdout, stderr := runTrain("--config", "mnist-lstm", "--set", "model.lstm.layers=2", "--print-config")
	if code != 0 {
		t.Fatalf("exit status %d; stderr %q", code, stderr)
	}
	got, err := config.Parse("stdout", []byte(stdout))
	if err != nil {
		t.Fatal(err)
	}
	want, _, _ := config.Load("mnist-lstm")
	if err := want.Set("model.lstm.layers=2"); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("printed %+v\nwant %+v", got, want)
	}
	for _, key := range []string{"beta2: 0.999", "keep_last: 3", "embedding: 64", "layers: 2"} {
		if !strings.Contains(stdout, key) {
			t.Errorf("printed config lacks %q:\n%s", key, stdout)
		}
	}
	if strings.Contains(stdout, "cnn:") {
		t.Errorf("printed config holds another kind's block:\n%s", stdout)
	}
}

// TestTrainTinyRun: a tiny run ends with status 0, tells the user where the run is and how
// to evaluate it, and leaves a complete run directory.
func TestTrainTinyRun(t *testing.T) {
	dir, stdout, stderr := tinyRun(t)
	wantOut := []string{
		"best validation accuracy ",
		"run directory " + dir,
		"evaluate with: go run ./cmd/eval --checkpoint " + dir,
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != len(wantOut) {
		t.Errorf("stdout has %d lines, want %d:\n%s", len(lines), len(wantOut), stdout)
	}
	for i, want := range wantOut {
		if i < len(lines) && !strings.HasPrefix(lines[i], want) {
			t.Errorf("stdout line %d is %q, want it to start with %q", i+1, lines[i], want)
		}
	}
	for _, want := range []string{
		"training mnist-cnn: 256 train / 1200 val examples, 1 epochs of 8 steps, run directory " + dir,
		"epoch 1/1 step 8/8",
		"epoch 1/1: val loss ",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not contain %q:\n%s", want, stderr)
		}
	}

	b, err := os.ReadFile(filepath.Join(dir, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("config.yaml", b)
	if err != nil {
		t.Fatalf("config.yaml: %v", err)
	}
	if cfg.Data.Limit != 256 || !slices.Equal(cfg.Model.CNN().Channels, []int{4, 8}) || cfg.Train.Epochs != 1 {
		t.Errorf("config.yaml does not hold the --set values: limit %d, channels %v, epochs %d",
			cfg.Data.Limit, cfg.Model.CNN().Channels, cfg.Train.Epochs)
	}
	checkMetricsFile(t, filepath.Join(dir, "metrics.jsonl"))
	for _, name := range []string{"last", "best"} {
		l, err := snapshot.Load(filepath.Join(dir, "checkpoints", name+".safetensors"))
		if err != nil {
			t.Fatalf("%s checkpoint: %v", name, err)
		}
		if l.Progress.Epoch != 1 || l.Progress.Step != 8 {
			t.Errorf("%s checkpoint at epoch %d step %d, want epoch 1 step 8", name, l.Progress.Epoch, l.Progress.Step)
		}
	}
}

// checkMetricsFile checks that every line of metrics.jsonl is a JSON object with a split
// and a loss, and that there is at least one validation line.
func checkMetricsFile(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	val := 0
	for sc := bufio.NewScanner(f); sc.Scan(); {
		var line struct {
			Split string
			Loss  *float64
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil || line.Loss == nil || line.Split == "" {
			t.Errorf("metrics line %q is not a metrics record: %v", sc.Text(), err)
		}
		if line.Split == "val" {
			val++
		}
	}
	if val == 0 {
		t.Errorf("%s has no validation line", path)
	}
}
