package experiment

import (
	"fmt"

	"github.com/gorgonet/gorgonet/snapshot"
)

// Model is a trained model loaded from a checkpoint with its task's data, ready to evaluate.
type Model struct {
	Evaluator
	Task       Task
	Checkpoint *snapshot.Loaded
}

// OpenModel loads the checkpoint at path, the data its config names (from dataPath instead
// of the config's data.path when not empty), and builds the evaluation graph with batch
// size batch (0 = the run's train.eval_batch_size).
func OpenModel(path, dataPath string, batch int) (*Model, error) {
	l, err := snapshot.Load(path)
	if err != nil {
		return nil, err
	}
	cfg := l.Config
	if dataPath != "" {
		cfg.Data.Path = dataPath
	}
	task, err := LoadTask(cfg, &l.Info)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if batch <= 0 {
		batch = cfg.Train.EvalBatchSize
	}
	ev, err := task.NewEvaluator(nil, batch)
	if err != nil {
		return nil, err
	}
	if err := l.RestoreParams(ev.Params()); err != nil {
		ev.Close()
		return nil, err
	}
	return &Model{Evaluator: ev, Task: task, Checkpoint: l}, nil
}
