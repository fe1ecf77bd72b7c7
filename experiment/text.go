package experiment

import (
	"context"
	"fmt"

	"github.com/gorgonet/gorgonet/config"
	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/graphs"
	"github.com/gorgonet/gorgonet/models"
	"github.com/gorgonet/gorgonet/snapshot"
)

// Sentence is a sentence encoded for a text classifier.
type Sentence struct {
	IDs   []int // at most MaxLen ids, never empty
	Label int
}

// EncodeText turns text into at most maxLen token ids of vocab: longer texts are truncated,
// words never seen in training become <unk>, and a text without tokens becomes a single
// <unk>, so every input has at least one real step.
func EncodeText(vocab *datasets.Vocab, text string, maxLen int) []int {
	return EncodeSource(vocab, datasets.Tokenize(text), maxLen)
}

// FillSentences writes the sentences into (B, T) id and mask buffers; rows past
// len(sentences) and steps past a sentence's end are padding.
func FillSentences(ids, mask []float32, sentences [][]int, steps int) {
	clear(ids)
	clear(mask)
	for r, s := range sentences {
		for t, id := range s {
			ids[r*steps+t] = float32(id)
			mask[r*steps+t] = 1
		}
	}
}

// textTask classifies sentences.
type textTask struct {
	cfg              config.Experiment
	info             snapshot.DataInfo
	spec             models.Spec
	train, val, test []Sentence

	batch  models.Batch // training batches, written by Batch
	labels []int
	rows   [][]int
}

// textSet is the task of a labelled text data set that load reads from a directory.
func textSet(load func(dir string) (*datasets.TextSet, error)) TaskLoader {
	return func(cfg config.Experiment, saved *snapshot.DataInfo) (Task, error) {
		return loadTextTask(load, cfg, saved)
	}
}

func loadTextTask(load func(dir string) (*datasets.TextSet, error), cfg config.Experiment, saved *snapshot.DataInfo) (Task, error) {
	set, err := load(cfg.Data.Path)
	if err != nil {
		return nil, err
	}
	tr, va, te := datasets.Split3(len(set.Examples), cfg.Data.ValFraction, cfg.Data.TestFraction, cfg.Seed)
	if cfg.Data.Limit > 0 && len(tr) > cfg.Data.Limit {
		tr = tr[:cfg.Data.Limit]
	}
	info := snapshot.DataInfo{Kind: snapshot.KindText, Classes: set.Classes, MaxLen: cfg.Data.MaxLen, Tokens: "words"}
	if saved != nil {
		if saved.Kind != snapshot.KindText || saved.Vocab == nil {
			return nil, fmt.Errorf("data %q is text; the model was trained on %s data", cfg.Data.Name, snapshot.KindName(saved.Kind))
		}
		info.Vocab, info.MaxLen = saved.Vocab, saved.MaxLen
	} else {
		docs := make([][]string, len(tr))
		for i, j := range tr {
			docs[i] = datasets.Tokenize(set.Examples[j].Text)
		}
		info.Vocab = datasets.BuildVocab(docs, cfg.Data.MinCount, cfg.Data.VocabSize)
	}
	spec, err := ModelSpec(cfg.Model, info)
	if err != nil {
		return nil, err
	}
	t := &textTask{cfg: cfg, info: info, spec: spec}
	encode := func(idx []int) []Sentence {
		out := make([]Sentence, len(idx))
		for i, j := range idx {
			ex := set.Examples[j]
			out[i] = Sentence{IDs: EncodeText(info.Vocab, ex.Text, info.MaxLen), Label: ex.Label}
		}
		return out
	}
	t.train, t.val, t.test = encode(tr), encode(va), encode(te)
	return t, nil
}

func (t *textTask) Info() snapshot.DataInfo { return t.info }
func (t *textTask) Sizes() (train, val int) { return len(t.train), len(t.val) }
func (t *textTask) Batches(epoch int) [][]int {
	return datasets.Batches(datasets.EpochOrder(len(t.train), t.cfg.Seed, epoch), t.cfg.Train.BatchSize)
}

func (t *textTask) split(name string) ([]Sentence, error) {
	return pickSplit(name, t.train, t.val, t.test)
}

func (t *textTask) NewGraph(_ int, shared []*graphs.Param, seed uint64) (*models.Graph, error) {
	return classifierGraph(t.spec, t.cfg.Train.BatchSize, shared, seed)
}

// Batch writes sentences idx as (B, T) ids and mask with their one-hot targets.
func (t *textTask) Batch(idx []int) models.Batch {
	b, steps := t.cfg.Train.BatchSize, t.info.MaxLen
	if t.batch.Inputs == nil {
		t.batch = models.Batch{Inputs: map[string][]float32{"input": make([]float32, b*steps),
			"mask": make([]float32, b*steps), "targets": make([]float32, b*t.spec.Classes)}}
		t.labels, t.rows = make([]int, b), make([][]int, 0, b)
	}
	t.rows = t.rows[:0]
	for i, j := range idx {
		t.rows = append(t.rows, t.train[j].IDs)
		t.labels[i] = t.train[j].Label
	}
	FillSentences(t.batch.Inputs["input"], t.batch.Inputs["mask"], t.rows, steps)
	graphs.FillTargets(t.batch.Inputs["targets"], t.labels, len(idx), t.spec.Classes)
	t.batch.Examples = len(idx)
	return t.batch
}

func (t *textTask) NewEvaluator(params []*graphs.Param, batch int) (Evaluator, error) {
	ev, err := NewClassifierEvaluator(t.spec, params, batch)
	if err != nil {
		return nil, err
	}
	return &textSplits{ClassifierEvaluator: ev, task: t}, nil
}

// textSplits evaluates a text classifier on the task's splits by name.
type textSplits struct {
	*ClassifierEvaluator
	task *textTask
}

func (e *textSplits) Evaluate(ctx context.Context, split string, _ EvalOptions) (Metrics, error) {
	data, err := e.task.split(split)
	if err != nil {
		return Metrics{}, err
	}
	rows := make([][]int, 0, e.Batch())
	fill := func(idx []int) {
		rows = rows[:0]
		for _, i := range idx {
			rows = append(rows, data[i].IDs)
		}
		FillSentences(e.Input(), e.Mask(), rows, e.task.info.MaxLen)
	}
	return e.ClassifierEvaluator.Evaluate(ctx, split, len(data), len(e.task.info.Classes), fill, func(i int) int { return data[i].Label })
}

// OpenClassifier builds the graph of a classifier's checkpoint (images or text) for predictions on new
// inputs: no data set is loaded.
func OpenClassifier(l *snapshot.Loaded, batch int) (*ClassifierEvaluator, error) {
	spec, err := ModelSpec(l.Config.Model, l.Info)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", l.Path, err)
	}
	ev, err := NewClassifierEvaluator(spec, nil, batch)
	if err != nil {
		return nil, err
	}
	if err := l.RestoreParams(ev.Params()); err != nil {
		ev.Close()
		return nil, err
	}
	return ev, nil
}
