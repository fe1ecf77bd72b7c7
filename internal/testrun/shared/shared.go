// Package shared trains the tiny run of package testrun once per test binary, for tests that
// only read it (eval, predict).
package shared

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gorgonet/gorgonet/config"
	"github.com/gorgonet/gorgonet/internal/testrun"
	"github.com/gorgonet/gorgonet/train"
)

var tiny struct {
	once      sync.Once
	root, dir string
	err       error
}

// Run returns the run directory of one epoch of the tiny run, training it on first use.
// Tests must not change it.
func Run(t testing.TB) string {
	t.Helper()
	tiny.once.Do(func() {
		if tiny.root, tiny.err = os.MkdirTemp("", "gorgonet-tiny-run-"); tiny.err != nil {
			return
		}
		tiny.dir = filepath.Join(tiny.root, "run")
		var cfg config.Experiment
		if cfg, tiny.err = testrun.Config(); tiny.err == nil {
			_, tiny.err = train.Run(context.Background(), train.Options{Config: cfg, OutDir: tiny.dir})
		}
	})
	if tiny.err != nil {
		t.Fatalf("tiny run: %v", tiny.err)
	}
	return tiny.dir
}

// Cleanup removes the run; call it from TestMain after m.Run.
func Cleanup() {
	if tiny.root != "" {
		os.RemoveAll(tiny.root)
	}
}
