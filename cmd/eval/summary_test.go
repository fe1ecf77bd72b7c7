package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/checkpoint"
)

// TestEvalSummary: --summary prints the summary of the checkpoint's model, whose total is
// the number of parameter values the checkpoint holds, and evaluates nothing.
func TestEvalSummary(t *testing.T) {
	run := tinyRun(t)
	code, stdout, stderr := runEval("--checkpoint", run, "--summary")
	if code != 0 || stderr != "" {
		t.Fatalf("eval --summary: exit status %d, stderr %q", code, stderr)
	}
	f, err := checkpoint.Read(filepath.Join(run, "checkpoints", "best.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	params := 0
	for name, tensor := range f.Tensors {
		if !strings.HasPrefix(name, "optimizer/") {
			params += len(tensor.F32)
		}
	}
	for _, want := range []string{"model summary", "conv1  conv2d", "fc2", fmt.Sprintf("total parameters   %s", commas(params)),
		"optimizer state", "forward FLOPs"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("eval --summary lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "accuracy") {
		t.Errorf("eval --summary evaluated:\n%s", stdout)
	}
	if code, _, stderr := runEval("--checkpoint", run, "--summary", "--json"); code == 0 || !strings.Contains(stderr, "--summary") {
		t.Errorf("--summary --json: exit status %d, stderr %q; want a refusal naming --summary", code, stderr)
	}
}

// commas writes n as the summary does: 6,794.
func commas(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
