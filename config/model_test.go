package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestModelHoldsOnlyItsKindsBlock(t *testing.T) {
	tests := []struct{ src, want string }{
		{"model:\n  kind: cnn\n  lstm:\n    hidden: 8\n",
			"x.yaml:3: model.lstm is the block of kind lstm, but model.kind is cnn; a config holds only its own kind's block"},
		{"model:\n  lstm:\n    hidden: 8\n", // no kind: the default's, cnn
			"x.yaml:2: model.lstm is the block of kind lstm, but model.kind is cnn; a config holds only its own kind's block"},
		{"model:\n  kind: rnn\n", `x.yaml:2: model.kind: cannot use "rnn" as one of cnn, lstm, transformer`},
		{"model:\n  kind: lstm\n  lstm:\n    hiden: 8\n", `x.yaml:4: unknown key "hiden" in model.lstm (did you mean hidden?)`},
		{"model:\n  kind: lstm\n  lstn: {}\n", `x.yaml:3: unknown key "lstn" in model (did you mean lstm?)`},
		{"model:\n  kind: lstm\n  lstm:\n    hidden: big\n", `x.yaml:4: model.lstm.hidden: cannot use "big" as an integer`},
		{"model:\n  kind: lstm\n  kind: cnn\n", "x.yaml:3: model.kind is set twice (first on line 2)"},
		{"model: [1]\n", `x.yaml:1: model: cannot use a list as a mapping of keys`},
	}
	for _, tt := range tests {
		if _, err := Parse("x.yaml", []byte(tt.src)); err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%q) = %v\nwant %s", tt.src, err, tt.want)
		}
	}
}

func TestModelBlockStartsFromItsDefaults(t *testing.T) {
	e, err := Parse("x.yaml", []byte("model:\n  kind: lstm\n  lstm:\n    hidden: 32\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := NewRecurrent().(Recurrent)
	want.Hidden = 32
	if e.Model.Kind != "lstm" || !reflect.DeepEqual(e.Model.Block, want) {
		t.Errorf("model = %+v, want lstm %+v", e.Model, want)
	}
	if err := e.Validate(); err != nil {
		t.Error(err)
	}
}

func TestSetModel(t *testing.T) {
	e := Default()
	if err := e.Set("model.lstm.hidden=32"); err == nil || !strings.Contains(err.Error(), "set model.kind=lstm first") {
		t.Errorf("a key of another kind's block: %v", err)
	}
	if err := e.Set("model.kind=rnn"); err == nil || err.Error() != "--set model.kind=rnn: model.kind must be one of cnn, lstm, transformer" {
		t.Errorf("an unknown kind: %v", err)
	}
	before := e
	for _, kv := range []string{"model.kind=lstm", "model.lstm.hidden=32", "model.lstm={layers: 2}"} {
		if err := e.Set(kv); err != nil {
			t.Fatalf("Set(%q): %v", kv, err)
		}
	}
	want := NewRecurrent().(Recurrent)
	want.Hidden, want.Layers = 32, 2
	if e.Model.Kind != "lstm" || !reflect.DeepEqual(e.Model.Block, want) {
		t.Errorf("after Set: %+v, want lstm %+v", e.Model, want)
	}
	if !reflect.DeepEqual(before, Default()) {
		t.Errorf("Set changed a copy of the experiment: %+v", before.Model)
	}
	if err := e.Set("model.lstm.hiden=3"); err == nil || !strings.Contains(err.Error(), `unknown key "model.lstm.hiden" (did you mean model.lstm.hidden?)`) {
		t.Errorf("a typo in the block: %v", err)
	}
	if err := e.Set("model.kind=lstm"); err != nil || e.Model.Block.(Recurrent).Hidden != 32 {
		t.Errorf("setting the same kind again reset its block: %v, %+v", err, e.Model.Block)
	}
}

func TestResolvedYAMLHoldsOnlyItsKind(t *testing.T) {
	e := Default()
	if err := e.Set("model.kind=transformer"); err != nil {
		t.Fatal(err)
	}
	out, err := e.YAML()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "cnn:") || !strings.Contains(string(out), "transformer:\n    dim: 64") {
		t.Errorf("resolved YAML:\n%s", out)
	}
	back, err := Parse("resolved", out)
	if err != nil || !reflect.DeepEqual(back, e) {
		t.Errorf("Parse(YAML()) = %+v, %v; want %+v", back.Model, err, e.Model)
	}
}

// TestParseSaved reads the config of a gorgonet/1 checkpoint, which listed every kind's block.
func TestParseSaved(t *testing.T) {
	v1 := "name: old\nmodel:\n  kind: lstm\n  cnn:\n    kernel: 3\n  lstm:\n    hidden: 16\n  transformer:\n    dim: 8\n"
	e, err := ParseSaved("ckpt", []byte(v1))
	if err != nil {
		t.Fatal(err)
	}
	if e.Name != "old" || e.Model.Kind != "lstm" || e.Model.Recurrent().Hidden != 16 {
		t.Errorf("ParseSaved = %+v", e)
	}
}
