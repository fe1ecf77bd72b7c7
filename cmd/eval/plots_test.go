package main

import (
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/cmd/internal/clitest"
	"github.com/gorgonet/gorgonet/internal/testrun/shared"
)

// checkPNGs checks that each of paths is a PNG of a sane size and that dir holds nothing else.
func checkPNGs(t *testing.T, dir string, paths []string) {
	t.Helper()
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		im, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if b := im.Bounds(); b.Dx() < 150 || b.Dy() < 150 || b.Dx() > 4000 || b.Dy() > 4000 {
			t.Errorf("%s is %d×%d pixels", p, b.Dx(), b.Dy())
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(paths) {
		t.Errorf("%s holds %d files, want the %d pictures (no temporary files)", dir, len(entries), len(paths))
	}
}

// TestEvalPlots: --plots DIR creates DIR and writes an image classifier's confusion matrix
// and mistakes there, lists them in the table and in the JSON report, and refuses, in one
// line and before evaluating, a DIR that cannot be made.
func TestEvalPlots(t *testing.T) {
	run := tinyRun(t)
	dir := filepath.Join(t.TempDir(), "a", "plots")
	want := []string{filepath.Join(dir, "confusion.png"), filepath.Join(dir, "mistakes.png")}
	r := evalJSON(t, "--checkpoint", run, "--split", "val", "--plots", dir)
	if !slices.Equal(r.Plots, want) {
		t.Fatalf("JSON plots %v, want %v", r.Plots, want)
	}
	checkPNGs(t, dir, want)

	code, stdout, stderr := runEval("--checkpoint", run, "--split", "val", "--plots", dir)
	if code != 0 || stderr != "" {
		t.Fatalf("exit status %d, stderr %q", code, stderr)
	}
	if line := "plots      " + want[0] + "\n           " + want[1] + "\n"; !strings.HasSuffix(stdout, line) {
		t.Errorf("table does not end with %q:\n%s", line, stdout)
	}

	code, stdout, stderr = runEval("--checkpoint", run, "--summary", "--plots", dir)
	clitest.CheckOneLineError(t, "eval", code, stderr, "--summary", "--plots")

	file := filepath.Join(t.TempDir(), "file")
	write(t, file, nil)
	code, stdout, stderr = runEval("--checkpoint", run, "--plots", filepath.Join(file, "plots"))
	clitest.CheckOneLineError(t, "eval", code, stderr, "--plots", file)
	if stdout != "" {
		t.Errorf("stdout %q, want nothing", stdout)
	}
}

// TestEvalPlotsOfTasks: a pronunciation model draws one attention map per decoded example
// (four), a language model the surprisal of the split's first characters.
func TestEvalPlotsOfTasks(t *testing.T) {
	t.Run("seq2seq", func(t *testing.T) {
		run := shared.Task(t, "cmudict-transformer")
		dir := t.TempDir()
		r := taskJSON(t, with("perplexity", "wer", "per", "plots"), "--checkpoint", run, "--samples", "0", "--plots", dir)
		var want []string
		for _, n := range []string{"1", "2", "3", "4"} {
			want = append(want, filepath.Join(dir, "attention-"+n+".png"))
		}
		if !slices.Equal(r.Plots, want) {
			t.Fatalf("plots %v, want %v", r.Plots, want)
		}
		checkPNGs(t, dir, want)
	})
	t.Run("language model", func(t *testing.T) {
		run := shared.Task(t, "opticks-charlm")
		dir := t.TempDir()
		r := taskJSON(t, with("perplexity", "bits_per_char", "plots"), "--checkpoint", run, "--plots", dir)
		want := []string{filepath.Join(dir, "surprisal.png")}
		if !slices.Equal(r.Plots, want) {
			t.Fatalf("plots %v, want %v", r.Plots, want)
		}
		checkPNGs(t, dir, want)
	})
}
