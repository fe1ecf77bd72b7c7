package configs_test

import (
	"bytes"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/config"
	"github.com/gorgonet/gorgonet/configs"
	"github.com/gorgonet/gorgonet/experiment"
)

func TestNames(t *testing.T) {
	got := configs.Names()
	for _, want := range []string{"mnist-cnn", "fashion-mnist-cnn"} {
		if !slices.Contains(got, want) {
			t.Errorf("Names() = %v, lacks %q", got, want)
		}
	}
}

// TestEveryConfig decodes and validates each embedded experiment.
func TestEveryConfig(t *testing.T) {
	for _, name := range configs.Names() {
		t.Run(name, func(t *testing.T) {
			e, source, err := config.Load(name)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.Validate(); err != nil {
				t.Fatalf("%s: %v", source, err)
			}
			if e.Name != name {
				t.Errorf("%s: name = %q, want the file name %q", source, e.Name, name)
			}
			buildGraphs(t, e)
		})
	}
}

// buildGraphs loads the experiment's data, builds its training and evaluation graphs and
// fills a first training batch into the graph of its shape.
func buildGraphs(t *testing.T, e config.Experiment) {
	t.Helper()
	task, err := experiment.LoadTask(e, nil)
	if err != nil {
		t.Fatal(err)
	}
	g, err := task.NewGraph(0, nil, e.Seed)
	if err != nil {
		t.Fatal(err)
	}
	b := task.Batch(task.Batches(0)[0])
	fits := g
	if b.Shape != 0 {
		if fits, err = task.NewGraph(b.Shape, g.Params(), 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := fits.Fill(b); err != nil {
		t.Fatal(err)
	}
	ev, err := task.NewEvaluator(g.Params(), e.Train.EvalBatchSize)
	if err != nil {
		t.Fatal(err)
	}
	ev.Close()
}

// TestConfigsSayOnlyWhatTheySet checks that each file opens with the command that runs it
// and holds no key it does not use: no "unused" lines and no block of another model kind
// (which Parse refuses), so that the schema's defaults stay in one place.
func TestConfigsSayOnlyWhatTheySet(t *testing.T) {
	for _, name := range configs.Names() {
		t.Run(name, func(t *testing.T) {
			data, err := fs.ReadFile(configs.FS, name+".yaml")
			if err != nil {
				t.Fatal(err)
			}
			first, _, _ := bytes.Cut(data, []byte("\n"))
			want := "# go run ./cmd/train --config " + name + " --out runs/" + name
			if string(first) != want {
				t.Errorf("first line = %q, want %q", first, want)
			}
			for i, line := range strings.Split(string(data), "\n") {
				if strings.Contains(line, "unused") {
					t.Errorf("%s.yaml:%d: %s", name, i+1, line)
				}
			}
		})
	}
}
