package models

import "github.com/gorgonet/gorgonet/graphs"

// LSTM is the cell of torch.nn.LSTM: parameters lstm.weight_ih_l0, …, carried states
// lstm.state_l0, … (h then c).
var LSTM = Cell{Name: "lstm", Layer: graphs.LSTM, Gates: 4}
