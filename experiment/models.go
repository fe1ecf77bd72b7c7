package experiment

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/gorgonet/gorgonet/config"
	"github.com/gorgonet/gorgonet/graphs"
	"github.com/gorgonet/gorgonet/models"
	"github.com/gorgonet/gorgonet/snapshot"
)

// ModelKind is one model.kind: its config block, and the models it builds for the kinds of
// data it serves. A task asks the kind for the model it needs and refuses a kind that has none.
type ModelKind struct {
	Config config.ModelKind
	// Classifier sizes the classifier of images or text for info; nil: the kind builds none.
	Classifier func(m config.Model, info snapshot.DataInfo) (models.Spec, error)
	// LanguageModel sizes the language model of a character stream; nil: the kind builds none.
	LanguageModel func(m config.Model, info snapshot.DataInfo) models.RecurrentConfig
	// Seq2Seq sizes the encoder-decoder of sequence pairs; nil: the kind builds none.
	Seq2Seq func(m config.Model, info snapshot.DataInfo) models.TransformerConfig
}

// Models lists the model kinds by the name used in configs (model.kind). It is the one
// registry of kinds: config validation reads the same entries (config.RegisterModel).
var Models = map[string]ModelKind{}

func registerModel(k ModelKind) {
	config.RegisterModel(k.Config)
	Models[k.Config.Name] = k
}

func init() {
	registerModel(ModelKind{
		Config:     config.ModelKind{Name: "cnn", About: "convolutional classifier of images", New: config.NewCNN},
		Classifier: cnnSpec,
	})
	registerModel(ModelKind{
		Config:        config.ModelKind{Name: "lstm", About: "LSTM: images read row by row, text, character streams", New: config.NewRecurrent},
		Classifier:    recurrentSpec(models.LSTM),
		LanguageModel: languageModel(models.LSTM),
	})
	registerModel(ModelKind{
		Config:        config.ModelKind{Name: "gru", About: "GRU: images read row by row, text, character streams", New: config.NewRecurrent},
		Classifier:    recurrentSpec(models.GRU),
		LanguageModel: languageModel(models.GRU),
	})
	registerModel(ModelKind{
		Config:     config.ModelKind{Name: "transformer", About: "Transformer: encoder for text, encoder-decoder for sequence pairs", New: config.NewTransformer},
		Classifier: transformerSpec,
		Seq2Seq:    seq2seqConfig,
	})
}

// kindsWith lists the model kinds for which has is true, for errors that say which to use.
func kindsWith(has func(ModelKind) bool) string {
	var names []string
	for _, name := range slices.Sorted(maps.Keys(Models)) {
		if has(Models[name]) {
			names = append(names, name)
		}
	}
	return strings.Join(names, " or ")
}

// ModelSpec is the classifier the experiment's model section describes, sized for info.
func ModelSpec(m config.Model, info snapshot.DataInfo) (models.Spec, error) {
	k, ok := Models[m.Kind]
	if !ok {
		return models.Spec{}, fmt.Errorf("model.kind: unknown model %q (known: %s)", m.Kind, strings.Join(slices.Sorted(maps.Keys(Models)), ", "))
	}
	if k.Classifier == nil {
		return models.Spec{}, fmt.Errorf("model.kind: %s builds no classifier; use %s", m.Kind, kindsWith(func(k ModelKind) bool { return k.Classifier != nil }))
	}
	return k.Classifier(m, info)
}

func cnnSpec(m config.Model, info snapshot.DataInfo) (models.Spec, error) {
	if info.Kind != snapshot.KindImages {
		return models.Spec{}, fmt.Errorf("model.kind: cnn classifies images, not %s data", info.Kind)
	}
	c := models.CNNConfig{
		Input: info.Input, Classes: len(info.Classes),
		Channels: m.CNN().Channels, Kernel: m.CNN().Kernel, Hidden: m.CNN().Hidden, Dropout: m.CNN().Dropout,
	}
	if err := c.Validate(); err != nil {
		return models.Spec{}, fmt.Errorf("model.%v", err)
	}
	return models.CNNSpec(c), nil
}

// recurrentSpec is the classifier of a recurrent cell: images read row by row (sequential
// MNIST: 28 steps of 28 values) and text as embedded token ids.
func recurrentSpec(cell models.Cell) func(config.Model, snapshot.DataInfo) (models.Spec, error) {
	return func(m config.Model, info snapshot.DataInfo) (models.Spec, error) {
		c := recurrentConfig(m, cell)
		c.Classes = len(info.Classes)
		switch info.Kind {
		case snapshot.KindImages:
			c.Steps, c.Features = info.Input[1], info.Input[0]*info.Input[2]
		case snapshot.KindText:
			c.Steps, c.Vocab = info.MaxLen, info.Vocab.Size()
		default:
			return models.Spec{}, fmt.Errorf("model.kind: %s classifies images and text, not %s data", cell.Name, info.Kind)
		}
		if err := c.Validate(); err != nil {
			return models.Spec{}, fmt.Errorf("model.%v", err)
		}
		return models.RecurrentSpec(c), nil
	}
}

// languageModel is the character language model of a recurrent cell, sized for the
// vocabulary and chunk length of info.
func languageModel(cell models.Cell) func(config.Model, snapshot.DataInfo) models.RecurrentConfig {
	return func(m config.Model, info snapshot.DataInfo) models.RecurrentConfig {
		c := recurrentConfig(m, cell)
		c.Steps, c.Vocab, c.Classes = info.MaxLen, info.Vocab.Size(), info.Vocab.Size()
		return c
	}
}

// transformerSpec is the encoder-only classifier for text (sequence pairs use the
// encoder-decoder, built by their task).
func transformerSpec(m config.Model, info snapshot.DataInfo) (models.Spec, error) {
	if info.Kind != snapshot.KindText {
		return models.Spec{}, fmt.Errorf("model.kind: the transformer classifier reads text, not %s data", snapshot.KindName(info.Kind))
	}
	c := transformerConfig(m)
	c.SourceVocab, c.SourceLen, c.Classes = info.Vocab.Size(), info.MaxLen, len(info.Classes)
	if err := c.Validate(); err != nil {
		return models.Spec{}, fmt.Errorf("model.%v", err)
	}
	return models.TransformerSpec(c), nil
}

// recurrentConfig is the model section's recurrent block as a models.RecurrentConfig of
// cell; each task sets what its data decides (steps, features or vocabulary, classes).
func recurrentConfig(m config.Model, cell models.Cell) models.RecurrentConfig {
	r := m.Recurrent()
	return models.RecurrentConfig{Cell: cell, Embedding: r.Embedding, Hidden: r.Hidden, Layers: r.Layers, Dropout: r.Dropout}
}

// transformerConfig is the model section's transformer block as a models.TransformerConfig
// of an encoder; each task sets what its data decides (vocabularies, lengths, classes), and
// the encoder-decoder its decoder layers.
func transformerConfig(m config.Model) models.TransformerConfig {
	tf := m.Transformer()
	return models.TransformerConfig{
		Layer: graphs.LayerConfig{Dim: tf.Dim, Heads: tf.Heads, FF: tf.FF, Dropout: tf.Dropout,
			Activation: tf.Activation, NormFirst: tf.NormFirst},
		EncoderLayers: tf.EncoderLayers, ShareEmbeddings: tf.ShareEmbeddings,
	}
}
