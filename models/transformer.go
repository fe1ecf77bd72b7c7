package models

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graphs"
)

// TransformerConfig sizes a Transformer: the encoder-decoder of torch.nn.Transformer with
// token embeddings and an output layer (sequence pairs), or its encoder alone with mean
// pooling and a linear layer (classification).
type TransformerConfig struct {
	SourceVocab, TargetVocab int // TargetVocab 0 for the encoder-only classifier
	SourceLen, TargetLen     int // tokens per source and per decoder input
	Layer                    graphs.LayerConfig
	EncoderLayers            int
	DecoderLayers            int
	Classes                  int // encoder-only classifier outputs
	// ShareEmbeddings ties the source and target embeddings and the output layer's weight to
	// one table, "src_emb.weight" (fairseq's share_all_embeddings): the vocabularies must be
	// one. Drawn N(0, 1/dim) rather than N(0, 1), since it also scores the outputs.
	ShareEmbeddings bool
}

// Validate reports the first size that cannot build a model.
func (c TransformerConfig) Validate() error {
	switch {
	case c.SourceVocab < 1 || c.SourceLen < 1:
		return fmt.Errorf("source vocabulary %d and length %d must be > 0", c.SourceVocab, c.SourceLen)
	case c.TargetVocab > 0 && c.TargetLen < 1:
		return fmt.Errorf("target length must be > 0, got %d", c.TargetLen)
	case c.TargetVocab > 0 && c.DecoderLayers < 1:
		return fmt.Errorf("transformer.decoder_layers must be > 0 for sequence pairs, got %d", c.DecoderLayers)
	case c.TargetVocab == 0 && c.Classes < 1:
		return fmt.Errorf("classes must be > 0, got %d", c.Classes)
	case c.ShareEmbeddings && (c.TargetVocab == 0 || c.SourceVocab != c.TargetVocab):
		return fmt.Errorf("transformer.share_embeddings needs sequence pairs with one vocabulary, got %d source and %d target tokens", c.SourceVocab, c.TargetVocab)
	case c.EncoderLayers < 1:
		return fmt.Errorf("transformer.encoder_layers must be > 0, got %d", c.EncoderLayers)
	case c.Layer.Dim%2 != 0:
		return fmt.Errorf("transformer.dim must be even, got %d", c.Layer.Dim)
	}
	if err := c.Layer.Validate(); err != nil {
		return fmt.Errorf("transformer: %v", err)
	}
	return nil
}

// embed is emb(ids)·√d + sinusoidal positions, as the reference Seq2SeqTransformer; w is the
// embedding table.
func embed(ids, w *G.Node, d int) *G.Node {
	return graphs.ScaledPositionalEncoding(graphs.EmbeddingOf(ids, w), math.Sqrt(float64(d)))
}

// sourceTable and targetTable are the embedding tables of c: src_emb and tgt_emb, or, with
// shared embeddings, src_emb for both (defined once in a graph that has both).
func sourceTable(s *graphs.Scope, c TransformerConfig) *G.Node {
	std := 1.0
	if c.ShareEmbeddings {
		std = 1 / math.Sqrt(float64(c.Layer.Dim))
	}
	return graphs.EmbeddingWeight(s.Sub("src_emb"), c.SourceVocab, c.Layer.Dim, std)
}

func targetTable(s *graphs.Scope, c TransformerConfig, source *G.Node) *G.Node {
	switch {
	case !c.ShareEmbeddings:
		return graphs.EmbeddingWeight(s.Sub("tgt_emb"), c.TargetVocab, c.Layer.Dim, 1)
	case source != nil:
		return source
	}
	return sourceTable(s, c)
}

// encode embeds the source and runs the encoder: (B, S) ids → memory (B, S, d).
func encode(s *graphs.Scope, src, srcMask, table *G.Node, c TransformerConfig, prefix string, finalNorm bool) *G.Node {
	x := embed(src, table, c.Layer.Dim)
	return graphs.Encoder(s.Sub(prefix), x, c.EncoderLayers, c.Layer, srcMask, finalNorm)
}

// decode embeds the decoder input and runs the decoder and output layer: logits (B·T, V).
func decode(s *graphs.Scope, tgtIn, memory, srcMask, table *G.Node, c TransformerConfig, batch int) *G.Node {
	y := embed(tgtIn, table, c.Layer.Dim)
	// Causal self-attention keeps every real position from seeing the padding after it, so
	// the decoder needs no target padding mask; padded positions carry no loss.
	h := graphs.Decoder(s.Sub("tf.decoder"), y, memory, c.DecoderLayers, c.Layer, nil, srcMask, true)
	h = graphs.Reshape(h, tensor.Shape{batch * c.TargetLen, c.Layer.Dim})
	if c.ShareEmbeddings {
		return graphs.TiedLinear(s.Sub("out"), h, table)
	}
	return graphs.Linear(s.Sub("out"), h, c.TargetVocab)
}

// Seq2Seq is a built encoder-decoder training (or teacher-forced evaluation) graph.
// Parameter names follow the reference Seq2SeqTransformer: src_emb, tgt_emb, tf (an
// nn.Transformer) and out.
type Seq2Seq struct {
	*Graph
	Source     *G.Node // (B, S) source ids
	SourceMask *G.Node // (B, S) 1 for real tokens
	TargetIn   *G.Node // (B, T) <bos> y1 … yn, padded
	Logits     *G.Node // (B·T, V)
	// Labels and Weights (training graphs) are the targets y1 … yn <eos> as class indices,
	// (B·T), and their weights (0 for padding); the loss smooths them by
	// BuildOptions.LabelSmoothing (graphs.LabelCrossEntropy).
	Labels, Weights *G.Node
}

// BuildSeq2Seq builds the teacher-forced graph of c; training graphs also have the loss.
func BuildSeq2Seq(c TransformerConfig, o BuildOptions) (*Seq2Seq, error) {
	if err := checkMemory("transformer", c.footprint(), o); err != nil {
		return nil, err
	}
	m := &Seq2Seq{}
	g, err := build(o, func(s *graphs.Scope) *G.Node {
		m.Source = s.Input("source", o.Batch, c.SourceLen)
		m.SourceMask = s.Input("source_mask", o.Batch, c.SourceLen)
		m.TargetIn = s.Input("target_in", o.Batch, c.TargetLen)
		src := sourceTable(s, c)
		memory := encode(s, m.Source, m.SourceMask, src, c, "tf.encoder", true)
		m.Logits = decode(s, m.TargetIn, memory, m.SourceMask, targetTable(s, c, src), c, o.Batch)
		if !o.Training {
			return nil
		}
		m.Labels = s.Input("labels", o.Batch*c.TargetLen)
		m.Weights = s.Input("weights", o.Batch*c.TargetLen)
		return graphs.LabelCrossEntropy(m.Logits, m.Labels, m.Weights, o.LabelSmoothing)
	})
	if err != nil {
		return nil, err
	}
	m.Graph = g
	return m, nil
}

// EncoderGraph is the encoder half of a Seq2Seq for decoding: source → memory.
type EncoderGraph struct {
	*Graph
	Source, SourceMask *G.Node
	Memory             *G.Node // (B, S, d)
}

// BuildEncoder builds the encoder of c on shared parameter values.
func BuildEncoder(c TransformerConfig, o BuildOptions) (*EncoderGraph, error) {
	if err := checkMemory("transformer encoder", c.footprint(), o); err != nil {
		return nil, err
	}
	e := &EncoderGraph{}
	g, err := build(o, func(s *graphs.Scope) *G.Node {
		e.Source = s.Input("source", o.Batch, c.SourceLen)
		e.SourceMask = s.Input("source_mask", o.Batch, c.SourceLen)
		e.Memory = encode(s, e.Source, e.SourceMask, sourceTable(s, c), c, "tf.encoder", true)
		return nil
	})
	if err != nil {
		return nil, err
	}
	e.Graph = g
	return e, nil
}

// TransformerSpec is the encoder-only classifier of the benchmark suite's tfenc model:
// emb·√d + positions, nn.TransformerEncoder (no final norm), mean over the real tokens, fc.
// Parameter names: emb, enc.layers.i.*, fc.
func TransformerSpec(c TransformerConfig) Spec {
	build := func(s *graphs.Scope, x, mask *G.Node) *G.Node {
		h := embed(x, graphs.EmbeddingWeight(s.Sub("emb"), c.SourceVocab, c.Layer.Dim, 1), c.Layer.Dim)
		h = graphs.Encoder(s.Sub("enc"), h, c.EncoderLayers, c.Layer, mask, false) // (B, S, d)
		return graphs.Linear(s.Sub("fc"), graphs.MeanPool(h, mask), c.Classes)
	}
	return Spec{Build: build, Example: []int{c.SourceLen}, Masked: true, Classes: c.Classes, Name: "transformer", size: c.footprint()}
}
