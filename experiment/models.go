package experiment

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/gorgonet/gorgonet/config"
	"github.com/gorgonet/gorgonet/graphs"
	"github.com/gorgonet/gorgonet/models"
)

// ModelBuilder turns the model section of a config into a classifier sized for the data.
type ModelBuilder func(m config.Model, info DataInfo) (models.Spec, error)

// Models lists the model kinds by the name used in configs (model.kind).
var Models = map[string]ModelBuilder{
	"cnn":  cnnSpec,
	"lstm": lstmSpec,

	"transformer": transformerSpec,
}

// ModelSpec is the classifier the experiment's model section describes, sized for info.
func ModelSpec(m config.Model, info DataInfo) (models.Spec, error) {
	build, ok := Models[m.Kind]
	if !ok {
		return models.Spec{}, fmt.Errorf("model.kind: unknown model %q (known: %s)", m.Kind, strings.Join(slices.Sorted(maps.Keys(Models)), ", "))
	}
	return build(m, info)
}

func cnnSpec(m config.Model, info DataInfo) (models.Spec, error) {
	if info.Kind != KindImages {
		return models.Spec{}, fmt.Errorf("model.kind: cnn classifies images, not %s data", info.Kind)
	}
	c := models.CNNConfig{
		Input: info.Input, Classes: len(info.Classes),
		Channels: m.CNN.Channels, Kernel: m.CNN.Kernel, Hidden: m.CNN.Hidden, Dropout: m.CNN.Dropout,
	}
	if err := c.Validate(); err != nil {
		return models.Spec{}, fmt.Errorf("model.%v", err)
	}
	return models.CNNSpec(c), nil
}

// lstmSpec reads images row by row (sequential MNIST: 28 steps of 28 values) and text as
// embedded token ids.
func lstmSpec(m config.Model, info DataInfo) (models.Spec, error) {
	c := lstmConfig(m)
	c.Classes = len(info.Classes)
	switch info.Kind {
	case KindImages:
		c.Steps, c.Features = info.Input[1], info.Input[0]*info.Input[2]
	case KindText:
		c.Steps, c.Vocab = info.MaxLen, info.Vocab.Size()
	default:
		return models.Spec{}, fmt.Errorf("model.kind: lstm classifies images and text, not %s data", info.Kind)
	}
	if err := c.Validate(); err != nil {
		return models.Spec{}, fmt.Errorf("model.%v", err)
	}
	return models.LSTMSpec(c), nil
}

// transformerSpec is the encoder-only classifier for text (sequence pairs use the
// encoder-decoder, built by their task).
func transformerSpec(m config.Model, info DataInfo) (models.Spec, error) {
	if info.Kind != KindText {
		return models.Spec{}, fmt.Errorf("model.kind: the transformer classifier reads text, not %s data", kindName(info.Kind))
	}
	c := transformerConfig(m)
	c.SourceVocab, c.SourceLen, c.Classes = info.Vocab.Size(), info.MaxLen, len(info.Classes)
	if err := c.Validate(); err != nil {
		return models.Spec{}, fmt.Errorf("model.%v", err)
	}
	return models.TransformerSpec(c), nil
}

// lstmConfig is the model section's LSTM block as a models.LSTMConfig; each task sets what
// its data decides (steps, features or vocabulary, classes).
func lstmConfig(m config.Model) models.LSTMConfig {
	l := m.LSTM
	return models.LSTMConfig{Embedding: l.Embedding, Hidden: l.Hidden, Layers: l.Layers, Dropout: l.Dropout}
}

// transformerConfig is the model section's transformer block as a models.TransformerConfig
// of an encoder; each task sets what its data decides (vocabularies, lengths, classes), and
// the encoder-decoder its decoder layers.
func transformerConfig(m config.Model) models.TransformerConfig {
	tf := m.Transformer
	return models.TransformerConfig{
		Layer: graphs.LayerConfig{Dim: tf.Dim, Heads: tf.Heads, FF: tf.FF, Dropout: tf.Dropout,
			Activation: tf.Activation, NormFirst: tf.NormFirst},
		EncoderLayers: tf.EncoderLayers,
	}
}
