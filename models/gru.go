package models

import "github.com/gorgonet/gorgonet/graphs"

// GRU is the cell of torch.nn.GRU: parameters gru.weight_ih_l0, …, carried states
// gru.state_l0, … (h).
var GRU = Cell{Name: "gru", Layer: graphs.GRU, Gates: 3}
