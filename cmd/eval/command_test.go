package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/checkpoint"
	"github.com/gorgonet/gorgonet/cmd/internal/cli"
	"github.com/gorgonet/gorgonet/cmd/internal/clitest"
	"github.com/gorgonet/gorgonet/internal/testrun/shared"
)

func TestMain(m *testing.M) {
	code := m.Run()
	shared.Cleanup()
	os.Exit(code)
}

// tinyRun is the shared tiny run (one epoch, 256 MNIST images, 1200 validation images);
// its accuracy is poor, so tests check formats, not classes.
func tinyRun(t *testing.T) string { return shared.Run(t) }

// runEval runs the eval command in-process as main does.
func runEval(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	cmd := newCommand()
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	code = cli.Main(cmd, args, &errOut)
	return code, out.String(), errOut.String()
}

// evalJSON runs eval --json with args and decodes the one JSON object it must print.
func evalJSON(t *testing.T, args ...string) report {
	t.Helper()
	code, stdout, stderr := runEval(append(args, "--json")...)
	if code != 0 {
		t.Fatalf("eval %s: exit status %d\nstderr: %s", strings.Join(args, " "), code, stderr)
	}
	if stderr != "" {
		t.Errorf("stderr %q, want nothing", stderr)
	}
	if n := strings.Count(stdout, "\n"); n != 1 || !strings.HasSuffix(stdout, "\n") {
		t.Errorf("stdout has %d lines, want one JSON object on one line:\n%s", n, stdout)
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	var keys map[string]json.RawMessage
	if err := dec.Decode(&keys); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%s", err, stdout)
	}
	if err := dec.Decode(new(any)); err != io.EOF {
		t.Errorf("stdout holds more than one JSON value (%v):\n%s", err, stdout)
	}
	for _, k := range []string{"checkpoint", "split", "examples", "loss", "accuracy", "classes", "confusion"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("JSON has no key %q: %s", k, stdout)
		}
	}
	var r report
	d := json.NewDecoder(strings.NewReader(stdout))
	d.DisallowUnknownFields()
	if err := d.Decode(&r); err != nil {
		t.Fatalf("stdout does not decode as a report: %v", err)
	}
	return r
}

// checkReport checks that a report is self-consistent: a 10×10 confusion matrix that
// counts every example once, an accuracy that is its trace, a finite positive loss.
func checkReport(t *testing.T, r report) {
	t.Helper()
	if !slices.Equal(r.Classes, []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}) {
		t.Errorf("classes %v, want the digits", r.Classes)
	}
	if len(r.Confusion) != 10 {
		t.Fatalf("confusion matrix has %d rows, want 10", len(r.Confusion))
	}
	total, correct := 0, 0
	for i, row := range r.Confusion {
		if len(row) != 10 {
			t.Fatalf("confusion row %d has %d columns, want 10", i, len(row))
		}
		for j, n := range row {
			if n < 0 {
				t.Errorf("confusion[%d][%d] = %d", i, j, n)
			}
			total += n
			if i == j {
				correct += n
			}
		}
	}
	if total != r.Examples {
		t.Errorf("confusion matrix counts %d examples, report says %d", total, r.Examples)
	}
	if want := float64(correct) / float64(r.Examples); math.Abs(r.Accuracy-want) > 1e-12 {
		t.Errorf("accuracy %v, want the trace of the confusion matrix over examples, %v", r.Accuracy, want)
	}
	if math.IsNaN(r.Loss) || math.IsInf(r.Loss, 0) || r.Loss <= 0 {
		t.Errorf("loss %v, want a finite positive cross-entropy", r.Loss)
	}
}

// TestEvalJSON: eval --json prints one JSON object whose numbers fit together, for each
// split, for a run directory and for a checkpoint file.
func TestEvalJSON(t *testing.T) {
	run := tinyRun(t)
	best := filepath.Join(run, "checkpoints", "best.safetensors")
	last := filepath.Join(run, "checkpoints", "last.safetensors")
	tests := []struct {
		name           string
		args           []string
		wantCheckpoint string
		wantSplit      string
		wantExamples   int
	}{
		{"run directory", []string{"--checkpoint", run}, best, "test", 10000},
		{"run directory, val", []string{"--checkpoint", run, "--split", "val"}, best, "val", 1200}, // 0.02 of 60000
		{"run directory, train", []string{"--checkpoint", run, "--split", "train"}, best, "train", 256},
		{"file", []string{"--checkpoint", last, "--split", "val"}, last, "val", 1200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := evalJSON(t, tt.args...)
			if r.Checkpoint != tt.wantCheckpoint || r.Split != tt.wantSplit || r.Examples != tt.wantExamples {
				t.Errorf("got checkpoint %s, split %q, %d examples; want %s, %q, %d",
					r.Checkpoint, r.Split, r.Examples, tt.wantCheckpoint, tt.wantSplit, tt.wantExamples)
			}
			checkReport(t, r)
		})
	}
}

// TestEvalBatchSizeDoesNotMatter: the evaluation batch size, including one that leaves a
// short last batch, changes nothing in the result.
func TestEvalBatchSizeDoesNotMatter(t *testing.T) {
	run := tinyRun(t)
	want := evalJSON(t, "--checkpoint", run, "--split", "val")
	for _, batch := range []string{"7", "5000"} { // a short last batch; one batch, mostly padding
		got := evalJSON(t, "--checkpoint", run, "--split", "val", "--batch-size", batch)
		if got.Examples != want.Examples || math.Abs(got.Loss-want.Loss) > 1e-6 || !slices.EqualFunc(got.Confusion, want.Confusion, slices.Equal) {
			t.Errorf("--batch-size %s: %d examples, loss %v, confusion %v; want %d, %v, %v as with the run's batch size",
				batch, got.Examples, got.Loss, got.Confusion, want.Examples, want.Loss, want.Confusion)
		}
	}
}

// TestEvalTable: without --json, eval prints a readable report with the confusion matrix.
func TestEvalTable(t *testing.T) {
	run := tinyRun(t)
	code, stdout, stderr := runEval("--checkpoint", run, "--split", "val")
	if code != 0 {
		t.Fatalf("exit status %d: %s", code, stderr)
	}
	for _, want := range []string{
		"checkpoint " + filepath.Join(run, "checkpoints", "best.safetensors") + " (mnist-cnn, epoch 1, step 8)",
		"split      val, 1200 examples",
		"accuracy   ",
		"confusion matrix (rows: true class, columns: predicted class)",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout does not contain %q:\n%s", want, stdout)
		}
	}
	rows := 0
	for _, line := range strings.Split(stdout, "\n") {
		if f := strings.Fields(line); len(f) == 11 && f[0] >= "0" && f[0] <= "9" {
			rows++
		}
	}
	if rows != 10 {
		t.Errorf("found %d rows of the confusion matrix, want 10:\n%s", rows, stdout)
	}
}

// TestEvalBadCheckpoints: a damaged, foreign or mismatched checkpoint and bad flags each
// end in one line that names the file or flag, never a panic.
func TestEvalBadCheckpoints(t *testing.T) {
	run := tinyRun(t)
	good, err := os.ReadFile(filepath.Join(run, "checkpoints", "best.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	// rewrite reads the good checkpoint, lets edit change it and writes it to path.
	rewrite := func(t *testing.T, path string, edit func(f *checkpoint.File)) {
		t.Helper()
		f, err := checkpoint.Decode("good", good)
		if err != nil {
			t.Fatal(err)
		}
		edit(f)
		if err := checkpoint.Write(path, f); err != nil {
			t.Fatal(err)
		}
	}
	// replaceInHeader writes the good checkpoint with old replaced by new, of the same
	// length, once in the JSON header.
	replaceInHeader := func(t *testing.T, path, old, new string) {
		t.Helper()
		i := bytes.Index(good, []byte(old))
		if i < 0 || len(old) != len(new) {
			t.Fatalf("header has no %q to replace", old)
		}
		b := slices.Clone(good)
		copy(b[i:], new)
		write(t, path, b)
	}

	tests := []struct {
		name  string
		make  func(t *testing.T, path string) // writes the checkpoint at path
		args  []string                        // $CKPT is the checkpoint's path, $DIR the test's directory
		wants []string
	}{
		{
			name:  "truncated to half",
			make:  func(t *testing.T, path string) { write(t, path, good[:len(good)/2]) },
			wants: []string{"$CKPT", "truncated"},
		},
		{
			name:  "truncated inside the header",
			make:  func(t *testing.T, path string) { write(t, path, good[:100]) },
			wants: []string{"$CKPT", "truncated"},
		},
		{
			name: "header is not JSON",
			make: func(t *testing.T, path string) {
				b := slices.Clone(good)
				b[8] = 'X' // the header's opening brace
				write(t, path, b)
			},
			wants: []string{"$CKPT", "JSON"},
		},
		{
			name: "unknown dtype",
			make: func(t *testing.T, path string) {
				replaceInHeader(t, path, `"fc2.weight":{"dtype":"F32"`, `"fc2.weight":{"dtype":"F16"`)
			},
			wants: []string{"$CKPT", "fc2.weight", "F16"},
		},
		{
			name: "integer weights",
			make: func(t *testing.T, path string) {
				replaceInHeader(t, path, `"fc2.weight":{"dtype":"F32"`, `"fc2.weight":{"dtype":"I32"`)
			},
			wants: []string{"$CKPT", "fc2.weight", "F32"},
		},
		{
			name: "missing tensor",
			make: func(t *testing.T, path string) {
				rewrite(t, path, func(f *checkpoint.File) { delete(f.Tensors, "fc2.weight") })
			},
			wants: []string{"$CKPT", `"fc2.weight"`, "another model"},
		},
		{
			name: "renamed tensor",
			make: func(t *testing.T, path string) {
				rewrite(t, path, func(f *checkpoint.File) {
					f.Tensors["head.weight"] = f.Tensors["fc2.weight"]
					delete(f.Tensors, "fc2.weight")
				})
			},
			wants: []string{"$CKPT", `"fc2.weight"`, "another model"},
		},
		{
			name: "extra tensor",
			make: func(t *testing.T, path string) {
				rewrite(t, path, func(f *checkpoint.File) { f.Tensors["fc3.weight"] = f.Tensors["fc2.weight"] })
			},
			wants: []string{"$CKPT", `"fc3.weight"`, "another model"},
		},
		{
			name: "config of another architecture",
			make: func(t *testing.T, path string) {
				rewrite(t, path, func(f *checkpoint.File) {
					f.Metadata["config"] = strings.Replace(f.Metadata["config"], "hidden: [16]", "hidden: [32]", 1)
				})
			},
			wants: []string{"$CKPT", "fc1.weight", "[32 392]"},
		},
		{
			name: "not a gorgonet checkpoint",
			make: func(t *testing.T, path string) {
				rewrite(t, path, func(f *checkpoint.File) { delete(f.Metadata, "format") })
			},
			wants: []string{"$CKPT", "not a gorgonet checkpoint"},
		},
		{
			name: "a later format",
			make: func(t *testing.T, path string) {
				rewrite(t, path, func(f *checkpoint.File) { f.Metadata["format"] = "gorgonet/9" })
			},
			wants: []string{"$CKPT", "format gorgonet/9, and this gorgonet reads gorgonet/1 and gorgonet/2"},
		},
		{
			name: "embedded config with an unknown key",
			make: func(t *testing.T, path string) {
				rewrite(t, path, func(f *checkpoint.File) { f.Metadata["config"] += "extra: 1\n" })
			},
			wants: []string{"$CKPT", `"extra"`},
		},
		{
			name: "random bytes",
			make: func(t *testing.T, path string) {
				b := make([]byte, 4096)
				rng := rand.New(rand.NewPCG(1, 2))
				for i := range b {
					b[i] = byte(rng.Uint32())
				}
				write(t, path, b)
			},
			wants: []string{"$CKPT"},
		},
		{
			name:  "a text file",
			make:  func(t *testing.T, path string) { write(t, path, []byte("name: mnist-cnn\n")) },
			wants: []string{"$CKPT"},
		},
		{
			name:  "an empty file",
			make:  func(t *testing.T, path string) { write(t, path, nil) },
			wants: []string{"$CKPT"},
		},
		{
			name:  "no such file",
			make:  func(*testing.T, string) {},
			wants: []string{"$CKPT"},
		},
		{
			name:  "directory without checkpoints",
			args:  []string{"--checkpoint", "$DIR"},
			wants: []string{"$DIR"},
		},
		{
			name:  "no --checkpoint",
			args:  []string{"--split", "test"},
			wants: []string{"--checkpoint"},
		},
		{
			name:  "unknown split",
			args:  []string{"--checkpoint", "$RUN", "--split", "bogus"},
			wants: []string{`"bogus"`, "test, val or train"},
		},
		{
			name:  "data directory that does not exist",
			args:  []string{"--checkpoint", "$RUN", "--data-path", "$DIR/nonexistent"},
			wants: []string{"$DIR/nonexistent"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "model.safetensors")
			if tt.make != nil {
				tt.make(t, path)
			}
			if tt.args == nil {
				tt.args = []string{"--checkpoint", "$CKPT"}
			}
			expand := strings.NewReplacer("$CKPT", path, "$DIR", dir, "$RUN", run).Replace
			var args, wants []string
			for _, a := range tt.args {
				args = append(args, expand(a))
			}
			for _, w := range tt.wants {
				wants = append(wants, expand(w))
			}
			code, stdout, stderr := runEval(args...)
			clitest.CheckOneLineError(t, "eval", code, stderr, wants...)
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
		})
	}
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestEvalHelpAndCompletion: help shows examples, and --split completes its values.
func TestEvalHelpAndCompletion(t *testing.T) {
	tests := []struct {
		args  []string
		wants []string
	}{
		{[]string{"--help"}, []string{"Examples:", "--checkpoint", "--split", "--json"}},
		{[]string{"completion", "bash"}, []string{"__start_eval"}},
		{[]string{"__complete", "--split", ""}, []string{"test", "val", "train"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runEval(tt.args...)
			if code != 0 {
				t.Fatalf("exit status %d: %s", code, stderr)
			}
			for _, want := range tt.wants {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout does not contain %q:\n%.1000s", want, stdout)
				}
			}
		})
	}
}

// TestEvalStopsOnInterrupt: eval watches its context, so Ctrl-C or SIGTERM (which cancel it
// in cli.Main) stop the evaluation before its first batch, with status 130 and one line.
func TestEvalStopsOnInterrupt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errOut bytes.Buffer
	cmd := newCommand()
	cmd.SetOut(&out)
	code := cli.Run(ctx, cmd, []string{"--checkpoint", tinyRun(t), "--split", "val"}, &errOut)
	if code != cli.ExitInterrupted {
		t.Errorf("exit status %d, want %d; stderr %q", code, cli.ExitInterrupted, errOut.String())
	}
	if got, want := errOut.String(), "eval: stopped after 0 of 1200 examples (interrupted by a signal)\n"; got != want {
		t.Errorf("stderr %q, want %q", got, want)
	}
	if out.Len() != 0 {
		t.Errorf("stdout %q, want nothing", out.String())
	}
}

// TestEvalRefusesBatchThatCannotFit: a --batch-size whose graph cannot fit is refused in
// one line (it used to end in Go's out-of-memory trace).
func TestEvalRefusesBatchThatCannotFit(t *testing.T) {
	code, stdout, stderr := runEval("--checkpoint", tinyRun(t), "--batch-size", "100000000")
	clitest.CheckOneLineError(t, "eval", code, stderr, "batch 100000000", "GB of memory available", "--batch-size")
	if stdout != "" {
		t.Errorf("stdout %q, want nothing", stdout)
	}
}
