package graphs

// State is a recurrent state that a graph carries from one run to the next, such as an
// LSTM's (h, c) in truncated back-propagation through time. The layer reads Initial at the
// start of a run and writes Final at its end; Carry makes the next run start where this one
// ended. Both are plain buffers outside the graph: no gradient flows between runs.
type State struct {
	Name               string    // checkpoint key, e.g. "lstm.state_l0"
	Initial            []float32 // read by the next run (float32 graphs)
	Final              []float32 // written by the last run
	Initial64, Final64 []float64 // the same for float64 graphs
}

// Carry makes the next run start from the state the last run ended in.
func (st *State) Carry() {
	copy(st.Initial, st.Final)
	copy(st.Initial64, st.Final64)
}

// Reset makes the next run start from zeros.
func (st *State) Reset() {
	clear(st.Initial)
	clear(st.Initial64)
}

// addState registers st so that trainers can carry, reset and checkpoint it.
func (s *Scope) addState(st *State) { s.state.states = append(s.state.states, st) }
