package config

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/configs"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"unknown nested key", "name: x\ntrain:\n  optimizer:\n    name: adam\n    lr_rate: 0.1\n",
			`x.yaml:5: unknown key "lr_rate" in train.optimizer`},
		{"unknown key with suggestion", "train:\n  epoch: 3\n",
			`x.yaml:2: unknown key "epoch" in train (did you mean epochs?)`},
		{"unknown top-level key", "nme: x\n", `x.yaml:1: unknown key "nme" at top level (did you mean name?)`},
		{"word for integer", "name: x\ntrain:\n  epochs: abc\n", `x.yaml:3: train.epochs: cannot use "abc" as an integer`},
		{"fraction for integer", "train:\n  epochs: 2.5\n", `x.yaml:2: train.epochs: cannot use "2.5" as an integer`},
		{"quoted number for integer", "train:\n  epochs: \"2\"\n", `x.yaml:2: train.epochs: cannot use "2" as an integer`},
		{"negative seed", "seed: -1\n", `x.yaml:1: seed: cannot use "-1" as a non-negative integer`},
		{"word for bool", "train:\n  optimizer:\n    nesterov: yes\n",
			`x.yaml:3: train.optimizer.nesterov: cannot use "yes" as true or false`},
		{"word for number", "train:\n  optimizer:\n    lr: fast\n", `x.yaml:3: train.optimizer.lr: cannot use "fast" as a number`},
		{"bad list element", "model:\n  cnn:\n    channels: [16, x]\n",
			`x.yaml:3: model.cnn.channels[1]: cannot use "x" as an integer`},
		{"scalar for list", "model:\n  cnn:\n    hidden: 128\n", `x.yaml:3: model.cnn.hidden: cannot use "128" as a list of integers`},
		{"scalar for section", "train: fast\n", `x.yaml:1: train: cannot use "fast" as a mapping of keys`},
		{"empty value", "data:\n  path:\n", `x.yaml:2: data.path: cannot use an empty value as a string`},
		{"duplicate key", "name: a\nname: b\n", `x.yaml:2: name is set twice (first on line 1)`},
		{"empty file", "", `x.yaml: empty config`},
		{"only comments", "# nothing\n", `x.yaml: empty config`},
		{"empty document", "---\n", `x.yaml: empty config`},
		{"not a mapping", "- a\n- b\n", `x.yaml:1: a config must be a mapping of keys, got a list`},
		{"second document", "name: a\n---\nname: b\n", `x.yaml:2: a second YAML document; a config file holds one`},
		{"syntax error", "name: [a\n", `x.yaml:1: did not find expected ',' or ']'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(tt.src))
			if err == nil || err.Error() != tt.want {
				t.Errorf("Parse(%q) error = %v, want %s", tt.src, err, tt.want)
			}
		})
	}
}

func TestParseStartsFromDefault(t *testing.T) {
	got, err := Parse("x.yaml", []byte("train:\n  optimizer:\n    lr: 0.01\nmodel:\n  cnn:\n    channels: [8]\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Train.Optimizer.LR = 0.01
	cnn(&want, func(c *CNN) { c.Channels = []int{8} })
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse = %+v, want %+v", got, want)
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		arg, wantSource, wantErr string
	}{
		{"mnist-cnn", "configs/mnist-cnn.yaml", ""},
		{"testdata/partial.yaml", "testdata/partial.yaml", ""},
		{"testdata/unknown-key.yaml", "testdata/unknown-key.yaml", `testdata/unknown-key.yaml:9: unknown key "lr_rate" in train.optimizer`},
		{"testdata/type-error.yaml", "testdata/type-error.yaml", `testdata/type-error.yaml:5: model.cnn.kernel: cannot use "three" as an integer`},
		{"no-such-config", "configs/no-such-config.yaml", `unknown config "no-such-config": no such file, and the embedded configs are ` + strings.Join(configs.Names(), ", ")},
		{"missing.yaml", "missing.yaml", "open missing.yaml: no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			_, source, err := Load(tt.arg)
			if source != tt.wantSource {
				t.Errorf("Load(%q) source = %q, want %q", tt.arg, source, tt.wantSource)
			}
			if got := errString(err); got != tt.wantErr {
				t.Errorf("Load(%q) error = %q, want %q", tt.arg, got, tt.wantErr)
			}
		})
	}
}

func TestLoadExistingFileWithoutExtension(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.WriteFile("mnist-cnn", []byte("name: local\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e, source, err := Load("mnist-cnn")
	if err != nil || source != "mnist-cnn" || e.Name != "local" {
		t.Errorf("Load(mnist-cnn) = name %q, source %q, %v; want the local file", e.Name, source, err)
	}
}

func TestYAMLRoundTrip(t *testing.T) {
	odd := Default()
	for _, kv := range []string{"name=yes", "data.path=#1: a b", "model.cnn.hidden=[]",
		"seed=18446744073709551615", "train.optimizer.eps=1e-300", "train.schedule.min_lr=0.00001"} {
		if err := odd.Set(kv); err != nil {
			t.Fatal(err)
		}
	}
	loaded, _, err := Load("fashion-mnist-cnn")
	if err != nil {
		t.Fatal(err)
	}
	for name, e := range map[string]Experiment{"default": Default(), "odd values": odd, "fashion-mnist-cnn": loaded} {
		data, err := e.YAML()
		if err != nil {
			t.Fatalf("%s: YAML: %v", name, err)
		}
		got, err := Parse("resolved.yaml", data)
		if err != nil {
			t.Fatalf("%s: Parse(YAML()): %v\n%s", name, err, data)
		}
		if !reflect.DeepEqual(got, e) {
			t.Errorf("%s: round trip = %+v, want %+v\n%s", name, got, e, data)
		}
	}
}

func TestYAMLListsAreFlow(t *testing.T) {
	data, err := Default().YAML()
	if err != nil {
		t.Fatal(err)
	}
	if want := "channels: [32, 64]\n"; !strings.Contains(string(data), want) {
		t.Errorf("YAML() = \n%s\nwant a line %q", data, want)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
