package main

import (
	"io"

	"github.com/gorgonet/gorgonet/experiment"
	"github.com/gorgonet/gorgonet/train"
)

// printSummary writes the summary of m's model as training printed it: its training graph
// (batch train.batch_size, the checkpoint's weights) and its optimizer.
func printSummary(w io.Writer, m *experiment.Model) error {
	cfg := m.Checkpoint.Config
	g, err := m.Task.NewGraph(0, m.Params(), cfg.Seed)
	if err != nil {
		return err
	}
	s, err := train.ModelSummary(g, cfg.Train.Optimizer)
	if err != nil {
		return err
	}
	return s.Write(w)
}
