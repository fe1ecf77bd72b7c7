package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gorgonet/gorgonet/cmd/internal/cli"
	"github.com/gorgonet/gorgonet/internal/testrun"
)

// tempRoot holds what the tests of this package share: the built binary and one tiny run.
var tempRoot string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gorgonet-train-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tempRoot = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// tinyArgs make a run of 8 steps on 256 MNIST images with a 1200-image validation split:
// a few seconds on one core.
func tinyArgs() []string {
	return append(testrun.Args(), "--progress", "lines")
}

// runTrain runs the train command in-process as main does and returns its exit status and
// everything it wrote to stdout and stderr.
func runTrain(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	cmd := newCommand()
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	code = cli.Main(cmd, args, &errOut)
	return code, out.String(), errOut.String()
}

var built struct {
	once sync.Once
	path string
	err  error
}

// buildTrain builds the train binary once per test run, for the tests that need a real
// process to signal.
func buildTrain(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			built.err = err
			return
		}
		built.path = filepath.Join(tempRoot, "train")
		cmd := exec.Command(goTool, "build", "-o", built.path, "./cmd/train")
		cmd.Dir = filepath.Join("..", "..") // the module root
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build ./cmd/train: %v\n%s", err, out)
		}
	})
	var noGo *exec.Error
	if errors.As(built.err, &noGo) {
		t.Skipf("cannot build the train binary without the go command: %v", noGo)
	}
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}
