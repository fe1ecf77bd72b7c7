package snapshot

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/gorgonet/gorgonet/config"
	"github.com/gorgonet/gorgonet/datasets/bpe"
)

// The default config's model kind is registered by package experiment, which imports this one.
func init() { config.RegisterModel(config.ModelKind{Name: "cnn", New: config.NewCNN}) }

func TestBPERoundTripsThroughACheckpoint(t *testing.T) {
	src, err := bpe.Learn([]string{"der Hund biss den Mann", "der Mann biss den Hund"}, 30)
	if err != nil {
		t.Fatal(err)
	}
	tgt, err := bpe.Learn([]string{"the dog bit the man", "the man bit the dog"}, 25)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "bpe.safetensors")
	info := DataInfo{Kind: KindPairs, Vocab: src.Vocab(), TargetVocab: tgt.Vocab(), BPE: src, TargetBPE: tgt}
	if err := Save(path, State{Config: config.Default(), Info: info}); err != nil {
		t.Fatal(err)
	}
	l, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		got, want *bpe.Model
		text      string
	}{{"BPE", l.Info.BPE, src, "der Hund biss"}, {"TargetBPE", l.Info.TargetBPE, tgt, "the man bit"}} {
		if c.got == nil {
			t.Fatalf("%s is nil after Load", c.name)
		}
		if !slices.Equal(c.got.Merges(), c.want.Merges()) || !slices.Equal(c.got.Units(), c.want.Units()) {
			t.Errorf("%s: merges or units changed", c.name)
		}
		if got, want := c.got.IDs(c.text), c.want.IDs(c.text); !slices.Equal(got, want) {
			t.Errorf("%s.IDs(%q) = %v, want %v", c.name, c.text, got, want)
		}
	}
	if !slices.Equal(l.Info.Vocab.Tokens, src.Vocab().Tokens) {
		t.Error("Vocab and BPE.Vocab() differ after Load")
	}
}

func TestNoBPEStaysNil(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plain.safetensors")
	if err := Save(path, State{Config: config.Default(), Info: DataInfo{Kind: KindText}}); err != nil {
		t.Fatal(err)
	}
	l, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if l.Info.BPE != nil || l.Info.TargetBPE != nil {
		t.Error("a checkpoint without subwords loaded a BPE model")
	}
}
