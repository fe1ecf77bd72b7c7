package experiment

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/gorgonet/gorgonet/config"
	"github.com/gorgonet/gorgonet/graphs"
	"github.com/gorgonet/gorgonet/models"
	"github.com/gorgonet/gorgonet/snapshot"
)

// Task is an experiment's data joined to its model: everything the training loop needs
// besides the optimizer. Each kind of data (images, labelled text, a character stream,
// sequence pairs) has one.
type Task interface {
	// Info describes the data for checkpoints: shapes, classes, vocabularies.
	Info() snapshot.DataInfo
	// Sizes are the numbers of training and validation examples.
	Sizes() (train, val int)
	// Batches lists the training batches of epoch as example indices (chunk numbers for a
	// stream); the order depends only on the seed and the epoch.
	Batches(epoch int) [][]int
	// NewGraph builds the training graph of batches of shape (models.Batch.Shape; 0 is the
	// full graph) on the values of shared, or with new parameters from seed when shared is nil.
	NewGraph(shape int, shared []*graphs.Param, seed uint64) (*models.Graph, error)
	// Batch writes the training examples idx (one of Batches) as a batch. Its buffers are the
	// task's, allocated once and rewritten by the next call.
	Batch(idx []int) models.Batch
	// NewEvaluator builds an evaluation graph on the values of params (nil: new values, to
	// be restored from a checkpoint) running batch examples at a time.
	NewEvaluator(params []*graphs.Param, batch int) (Evaluator, error)
}

// Evaluator computes a model's metrics on a split of its task's data.
type Evaluator interface {
	// Evaluate stops with an error wrapping ctx.Err() when ctx is done.
	Evaluate(ctx context.Context, split string, o EvalOptions) (Metrics, error)
	// WriteReport writes the task's own figures of m as text (a confusion matrix, perplexity,
	// error rates and samples); classes are the class names of classifiers.
	WriteReport(w io.Writer, m Metrics, classes []string)
	Params() []*graphs.Param
	Close() error
}

// EvalOptions are the choices of one evaluation.
type EvalOptions struct {
	// Decode runs the full decoder on sequence-to-sequence tasks (word and phoneme error
	// rates, BLEU); without it they report the teacher-forced loss and token accuracy only,
	// which is what validation during training needs.
	Decode bool
	// Samples is the number of examples (source, reference, hypothesis) to include.
	Samples int
	// Beam overrides the configured beam width when > 0.
	Beam int
	// LengthPenalty, when set, overrides the configured decode.length_penalty.
	LengthPenalty *float64
	// Plots keeps in Metrics what a Plotter draws: the most confident mistakes of image
	// classifiers, the cross-attention of the first decoded examples of sequence models,
	// the surprisal of the first characters of language models.
	Plots bool
}

// Metrics are a model's results on one split. Which fields are set depends on the task.
type Metrics struct {
	Split     string  `json:"split"`
	Examples  int     `json:"examples"`
	Loss      float64 `json:"loss"`     // mean cross-entropy per example (classifiers) or per token
	Accuracy  float64 `json:"accuracy"` // fraction in [0, 1]: of examples, or of tokens for sequences
	Confusion [][]int `json:"confusion,omitempty"`

	Perplexity  float64 `json:"perplexity,omitempty"`    // language models: exp(loss)
	BitsPerChar float64 `json:"bits_per_char,omitempty"` // character language models: loss / ln 2

	WER  *float64 `json:"wer,omitempty"`  // sequence-to-sequence: fraction of outputs not equal to a reference
	PER  *float64 `json:"per,omitempty"`  // G2P: phoneme edit distance / reference length
	BLEU *float64 `json:"bleu,omitempty"` // translation: corpus BLEU-4, 0–100
	CHRF *float64 `json:"chrf,omitempty"` // translation: corpus chrF2 (sacrebleu's CHRF()), 0–100

	// Summarisation: mean ROUGE-1, ROUGE-2 and ROUGE-L F1 (rouge-score with use_stemmer=True),
	// 0–100, of the outputs and of the lead baseline on the same examples.
	Rouge1     *float64 `json:"rouge1,omitempty"`
	Rouge2     *float64 `json:"rouge2,omitempty"`
	RougeL     *float64 `json:"rougeL,omitempty"`
	LeadRouge1 *float64 `json:"lead_rouge1,omitempty"`
	LeadRouge2 *float64 `json:"lead_rouge2,omitempty"`
	LeadRougeL *float64 `json:"lead_rougeL,omitempty"`

	Samples []Sample `json:"samples,omitempty"`

	// Kept for the pictures when EvalOptions.Plots asks; not part of the report.
	Mistakes  []Mistake   `json:"-"` // image classifiers: the most confident first
	Attention []Attention `json:"-"` // sequence-to-sequence: the first decoded examples
	Surprisal []float64   `json:"-"` // language models: bits of the split's tokens 1, 2, …
}

// Mistake is a misclassified example of a split.
type Mistake struct {
	Index            int     // in the split
	Label, Predicted int     // class ids
	Probability      float64 // the model's probability of Predicted
}

// Attention is where a sequence-to-sequence model's last decoder layer looked in a source
// while it wrote an output: Weights[t][j], averaged over the heads, is the weight output
// token t put on source token j, and each row sums to 1.
type Attention struct {
	Input, Hypothesis string   // the source and the output as written
	Source, Output    []string // Output ends with <eos> when the model ended it
	Heads             int
	Weights           [][]float64 // (len(Output), len(Source))
}

// Sample is one decoded example shown beside the metrics.
type Sample struct {
	Source     string `json:"source"`
	Reference  string `json:"reference"`
	Hypothesis string `json:"hypothesis"`
}

// TaskLoader loads the data an experiment names and joins it to its model. saved is the
// data description of a checkpoint when evaluating one (its vocabularies are reused), nil
// when training from scratch.
type TaskLoader func(cfg config.Experiment, saved *snapshot.DataInfo) (Task, error)

// LoadTask loads the task of cfg; see TaskLoader for saved.
func LoadTask(cfg config.Experiment, saved *snapshot.DataInfo) (Task, error) {
	set, ok := DataSets[cfg.Data.Name]
	if !ok {
		return nil, fmt.Errorf("data.name: unknown data set %q (known: %s)", cfg.Data.Name, strings.Join(slices.Sorted(maps.Keys(DataSets)), ", "))
	}
	if err := checkUnits(cfg.Data); err != nil {
		return nil, err
	}
	return set.Task(cfg, saved)
}

// checkUnits refuses data.units a data set cannot be read in.
func checkUnits(d config.Data) error {
	units := DataSets[d.Name].Units
	switch {
	case d.Units == "" || slices.Contains(units, d.Units):
		return nil
	case len(units) == 0:
		return fmt.Errorf("data.units: %s holds images, which have no text units; leave it empty", d.Name)
	default:
		return fmt.Errorf("data.units: %s is read in %s, not %s", d.Name, strings.Join(units, " or "), d.Units)
	}
}

// unitsOf is the units d is read in: data.units, or the data set's own.
func unitsOf(d config.Data) string {
	if d.Units != "" {
		return d.Units
	}
	return DataSets[d.Name].Units[0]
}

// checkSaved refuses evaluation data that does not fit the model a checkpoint holds.
func checkSaved(saved *snapshot.DataInfo, got snapshot.DataInfo, name string) error {
	if saved == nil {
		return nil
	}
	if saved.Kind != got.Kind || saved.Input != got.Input || len(saved.Classes) != len(got.Classes) {
		return fmt.Errorf("data %q has %d classes of %v inputs; the model expects %d classes of %v", name, len(got.Classes), got.Input, len(saved.Classes), saved.Input)
	}
	return nil
}

// interrupted is the error of work that stopped because ctx is done, nil while it is not.
func interrupted(ctx context.Context, done, total int, what string) error {
	if ctx.Err() == nil {
		return nil
	}
	return fmt.Errorf("stopped after %d of %d %s: %w", done, total, what, ctx.Err())
}

// pickSplit returns the split called name among a task's three.
func pickSplit[T any](name string, train, val, test T) (T, error) {
	switch name {
	case "train":
		return train, nil
	case "val":
		return val, nil
	case "test":
		return test, nil
	}
	var none T
	return none, fmt.Errorf("unknown split %q: want test, val or train", name)
}
