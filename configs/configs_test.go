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
	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/experiment"
	"github.com/gorgonet/gorgonet/models"
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

// dataShapes are the example shapes of the data sets the configs use, so that building the
// graphs needs no data on disk.
var dataShapes = map[string]experiment.DataInfo{
	"mnist":         {Input: [3]int{1, 28, 28}, Classes: datasets.MNISTClasses},
	"fashion-mnist": {Input: [3]int{1, 28, 28}, Classes: datasets.FashionMNISTClasses},
}

// buildGraphs builds the training and evaluation graphs the experiment describes.
func buildGraphs(t *testing.T, e config.Experiment) {
	t.Helper()
	info, ok := dataShapes[e.Data.Name]
	if !ok {
		t.Fatalf("no shape known for data set %q; add it to dataShapes", e.Data.Name)
	}
	spec, err := experiment.ModelSpec(e.Model, info)
	if err != nil {
		t.Fatal(err)
	}
	net, err := models.BuildClassifier(spec, models.BuildOptions{Batch: e.Train.BatchSize, Training: true, Seed: e.Seed})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := experiment.NewEvaluator(spec, net.Params(), e.Train.EvalBatchSize)
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
