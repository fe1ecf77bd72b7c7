package shared

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/gorgonet/gorgonet/internal/testrun"
	"github.com/gorgonet/gorgonet/train"
)

// Task trains the tiny run of the named config (testrun.TaskSets, then extra) into a new
// directory of t, removed when t ends, and returns the run directory. A test that needs a
// run for several checks trains it once and runs them as subtests.
func Task(t testing.TB, name string, extra ...string) string {
	t.Helper()
	if name == "de-en-transformer" {
		if !testrun.DeEnAvailable() {
			t.Skip("the de-en data is not installed (apt-get install trans-de-en)")
		}
		if testing.Short() {
			t.Skip("-short: reading the de-en dictionary takes about ten seconds")
		}
	}
	if name == "bible-es-en-transformer" && !testrun.BibleAvailable() {
		t.Skip("the Bible modules are not installed (apt-get install sword-text-sparv sword-text-kjv)")
	}
	if name == "debian-summary-transformer" && !testrun.DescriptionsAvailable() {
		t.Skip("apt's Translation-en index is absent (apt-get update -o Acquire::Languages=en)")
	}
	cfg, err := testrun.TaskConfig(name, extra...)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	if _, err := train.Run(context.Background(), train.Options{Config: cfg, OutDir: dir}); err != nil {
		t.Fatalf("tiny run of %s: %v", name, err)
	}
	return dir
}
