package configs_test

import (
	"bytes"
	"io/fs"
	"slices"
	"sort"
	"testing"

	"gopkg.in/yaml.v3"

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

// buildGraphs loads the experiment's data and builds its training and evaluation graphs.
func buildGraphs(t *testing.T, e config.Experiment) {
	t.Helper()
	task, err := experiment.LoadTask(e, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := task.NewTrainer(e.Seed)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := task.NewEvaluator(tr.Graph.Params(), e.Train.EvalBatchSize)
	if err != nil {
		t.Fatal(err)
	}
	ev.Close()
}

// TestConfigsAreSelfDescribing checks that each file opens with the command that runs it
// and sets every key of the schema, so that a reader needs no defaults.
func TestConfigsAreSelfDescribing(t *testing.T) {
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
			if got, want := keysIn(t, data), config.Keys(); !slices.Equal(got, want) {
				t.Errorf("keys set = %v\nwant every key %v", got, want)
			}
		})
	}
}

// keysIn lists the dotted keys of the leaves of a YAML mapping, sorted.
func keysIn(t *testing.T, data []byte) []string {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	var keys []string
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := prefix + n.Content[i].Value
			if v := n.Content[i+1]; v.Kind == yaml.MappingNode {
				walk(v, key+".")
			} else {
				keys = append(keys, key)
			}
		}
	}
	walk(doc.Content[0], "")
	sort.Strings(keys)
	return keys
}
