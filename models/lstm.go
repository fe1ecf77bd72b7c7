package models

import "github.com/gorgonet/gorgonet/graphs"

// LSTM is the cell of torch.nn.LSTM: parameters lstm.weight_ih_l0, …, carried states
// lstm.state_l0, … (h then c).
var LSTM = Cell{Name: "lstm", Layer: graphs.LSTM, Gates: 4}

// LSTMConfig is RecurrentConfig under the name its callers knew before the GRU.
//
// Deprecated: use RecurrentConfig with Cell: LSTM.
type LSTMConfig = RecurrentConfig

// LSTMSpec is RecurrentSpec with the LSTM cell, whatever c.Cell holds.
func LSTMSpec(c RecurrentConfig) Spec {
	c.Cell = LSTM
	return RecurrentSpec(c)
}
