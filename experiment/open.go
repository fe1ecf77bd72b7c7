package experiment

import "fmt"

// Model is a trained classifier loaded from a checkpoint, ready to evaluate or predict.
type Model struct {
	*Evaluator
	Checkpoint *Loaded
}

// OpenModel loads the checkpoint at path and builds its evaluation graph with batch size
// batch (0 = the run's train.eval_batch_size).
func OpenModel(path string, batch int) (*Model, error) {
	l, err := Load(path)
	if err != nil {
		return nil, err
	}
	spec, err := ModelSpec(l.Config.Model, l.Info)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if batch <= 0 {
		batch = l.Config.Train.EvalBatchSize
	}
	ev, err := NewEvaluator(spec, nil, batch)
	if err != nil {
		return nil, err
	}
	if err := l.RestoreParams(ev.Params()); err != nil {
		ev.Close()
		return nil, err
	}
	return &Model{Evaluator: ev, Checkpoint: l}, nil
}

// CheckData refuses evaluation data that does not fit the model (another image size or
// other classes than it was trained on).
func (m *Model) CheckData(d *ImageData) error {
	want, got := m.Checkpoint.Info, d.Info
	if want.Input != got.Input || len(want.Classes) != len(got.Classes) {
		return fmt.Errorf("data %q has %d classes of %v images; the model in %s expects %d classes of %v",
			m.Checkpoint.Config.Data.Name, len(got.Classes), got.Input, m.Checkpoint.Path, len(want.Classes), want.Input)
	}
	return nil
}
