package models

import (
	"errors"
	"runtime"
	"testing"

	"github.com/gorgonet/gorgonet/graphs"
)

// TestBuildRefusesGraphsThatCannotFit: sizes whose graph cannot fit in memory are refused
// before anything is allocated (they used to end in Go's out-of-memory crash), and the
// sizes the project trains are not.
func TestBuildRefusesGraphsThatCannotFit(t *testing.T) {
	huge := DefaultCNN()
	huge.Channels = []int{100_000_000}
	lm := RecurrentConfig{Cell: LSTM, Steps: 100, Vocab: 80, Embedding: 16, Hidden: 1_000_000, Layers: 1, Classes: 80}
	tf := TransformerConfig{SourceVocab: 50, TargetVocab: 50, SourceLen: 12, TargetLen: 12, EncoderLayers: 1, DecoderLayers: 1,
		Layer: graphs.LayerConfig{Dim: 16, Heads: 2, FF: 32}}
	tests := []struct {
		name  string
		build func() error
	}{
		{"cnn channels [1e8]", func() error {
			_, err := BuildClassifier(CNNSpec(huge), BuildOptions{Batch: 64, Training: true})
			return err
		}},
		{"cnn batch 1e9", func() error {
			_, err := BuildClassifier(CNNSpec(DefaultCNN()), BuildOptions{Batch: 1_000_000_000, Training: true})
			return err
		}},
		{"cnn evaluation batch 1e8", func() error {
			_, err := BuildClassifier(CNNSpec(DefaultCNN()), BuildOptions{Batch: 100_000_000})
			return err
		}},
		{"language model hidden 1e6", func() error {
			_, err := BuildLanguageModel(lm, BuildOptions{Batch: 8, Training: true})
			return err
		}},
		{"seq2seq batch 1e9", func() error {
			_, err := BuildSeq2Seq(tf, BuildOptions{Batch: 1_000_000_000, Training: true})
			return err
		}},
		{"beam 1e9", func() error {
			_, err := NewTranslator(tf, nil, 64, 1_000_000_000)
			return err
		}},
	}
	for _, tt := range tests {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		err := tt.build()
		runtime.ReadMemStats(&after)
		var tooBig *TooBigError
		if !errors.As(err, &tooBig) {
			t.Errorf("%s: got %v, want a TooBigError", tt.name, err)
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
			t.Errorf("%s: allocated %d bytes before refusing, want under 1 MB", tt.name, got)
		}
	}
	if _, err := BuildClassifier(CNNSpec(DefaultCNN()), BuildOptions{Batch: 64, Training: true}); err != nil {
		t.Errorf("the default CNN at batch 64: %v", err)
	}
}

// TestMemoryEstimateIsInRange pins the estimate of the default CNN near what it measures:
// its training graph at batch 2000 peaked at 1.5 GB with the data, evaluation at batch 5000
// at 2.5 GB.
func TestMemoryEstimateIsInRange(t *testing.T) {
	f := DefaultCNN().footprint()
	for _, tt := range []struct {
		batch    int
		training bool
		measured float64
	}{{2000, true, 1.5 * (1 << 30)}, {5000, false, 2.5 * (1 << 30)}} {
		if got := f.bytes(tt.batch, tt.training); got < tt.measured/2 || got > tt.measured*2 {
			t.Errorf("batch %d training %v: estimate %.2f GB, measured %.2f GB; want within a factor of 2",
				tt.batch, tt.training, got/(1<<30), tt.measured/(1<<30))
		}
	}
}
