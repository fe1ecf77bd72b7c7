package graphs

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// RecurrentOptions configures the recurrent layers, LSTM and GRU.
type RecurrentOptions struct {
	Layers  int     // stacked layers, >= 1
	Dropout float64 // dropout on the outputs of every layer but the last, training graphs only (as torch.nn.LSTM's and GRU's dropout)
	Mask    *G.Node // optional (B, T) input: 1 for real steps, 0 for padding; padding comes after a sequence's real steps. nil = all steps real
	Carry   bool    // keep the state (LSTM: h and c; GRU: h) between runs: register a State per layer so trainers can Carry/Reset/checkpoint it; false = every run starts from zeros
}

// recurrentCell is what one kind of recurrent layer adds to the shared recurrentOp: its
// gates and the kernels of a whole sequence, forward and back, in both element types (an
// interface cannot have generic methods, so each is a one-line call of a generic function).
type recurrentCell interface {
	name() string    // "lstm", "gru": the op's name and the prefix of its errors
	gates() int      // gate blocks of H rows in weight_ih and weight_hh
	stateParts() int // blocks of B·H values in the carried state
	forward32(op *recurrentOp, v recurrentVals[float32], out []float32) error
	forward64(op *recurrentOp, v recurrentVals[float64], out []float64) error
	backward32(op *recurrentOp, v recurrentVals[float32], dOut []float32)
	backward64(op *recurrentOp, v recurrentVals[float64], dOut []float64)
}

// recurrent checks the input and options of the layer kind (for messages: "LSTM", "GRU")
// and stacks o.Layers layers of cells from newCell, with dropout between them.
func recurrent(kind string, newCell func() recurrentCell, s *Scope, x *G.Node, hidden int, o RecurrentOptions) *G.Node {
	if x.Dims() != 3 {
		panic(fmt.Sprintf("graphs: %s %s wants a (batch, steps, features) input, got shape %v", kind, s.path, x.Shape()))
	}
	if hidden < 1 || o.Layers < 1 {
		panic(fmt.Sprintf("graphs: %s %s needs hidden >= 1 and layers >= 1, got %d and %d", kind, s.path, hidden, o.Layers))
	}
	if o.Dropout < 0 || o.Dropout >= 1 {
		panic(fmt.Sprintf("graphs: %s %s dropout %v is outside [0, 1)", kind, s.path, o.Dropout))
	}
	batch, steps := x.Shape()[0], x.Shape()[1]
	if o.Mask != nil && !o.Mask.Shape().Eq(tensor.Shape{batch, steps}) {
		panic(fmt.Sprintf("graphs: %s %s wants a (%d, %d) mask, got shape %v", kind, s.path, batch, steps, o.Mask.Shape()))
	}
	y := x
	for k := 0; k < o.Layers; k++ {
		if k > 0 {
			y = Dropout(s.Sub(fmt.Sprintf("dropout_l%d", k-1)), y, o.Dropout)
		}
		y = recurrentLayer(s, y, hidden, k, o, newCell()) // (B, T, H)
	}
	return y
}

// recurrentLayer adds layer k's parameters (PyTorch names and layouts, U(±1/√H)), its
// state when carried, and its op.
func recurrentLayer(s *Scope, x *G.Node, hidden, k int, o RecurrentOptions, c recurrentCell) *G.Node {
	in, gates := x.Shape()[2], c.gates()*hidden
	bound := fanInBound(hidden)
	wih := s.param(fmt.Sprintf("weight_ih_l%d", k), []int{gates, in}, []int{gates, in}, bound)
	whh := s.param(fmt.Sprintf("weight_hh_l%d", k), []int{gates, hidden}, []int{gates, hidden}, bound)
	bih := s.param(fmt.Sprintf("bias_ih_l%d", k), []int{gates}, []int{gates}, bound)
	bhh := s.param(fmt.Sprintf("bias_hh_l%d", k), []int{gates}, []int{gates}, bound)
	op := &recurrentOp{fusedOp: newFusedOp(c.name()), cell: c, batch: x.Shape()[0], steps: x.Shape()[1], in: in,
		hidden: hidden, masked: o.Mask != nil, workers: defaultWorkers()}
	if o.Carry {
		op.state = &State{Name: s.qualify(fmt.Sprintf("state_l%d", k))}
		n := c.stateParts() * op.batch * hidden
		switch s.dtype {
		case tensor.Float32:
			op.state.Initial, op.state.Final = make([]float32, n), make([]float32, n)
		case tensor.Float64:
			op.state.Initial64, op.state.Final64 = make([]float64, n), make([]float64, n)
		}
		s.addState(op.state)
	}
	inputs := []*G.Node{x, wih, whh, bih, bhh}
	if o.Mask != nil {
		inputs = append(inputs, o.Mask)
	}
	return must(G.ApplyOp(op, inputs...))
}

// recurrentOp is one recurrent layer over a whole sequence: inputs x (B, T, I), weight_ih
// (gH, I), weight_hh (gH, H), bias_ih (gH), bias_hh (gH) for g gates, and optionally the
// mask (B, T); output (B, T, H). The input projection of all B·T rows is one matrix
// product; each step adds h·W_hhᵀ and applies the cell. Batch rows are independent, so
// each worker runs the whole recurrence on its own rows without synchronising per step.
// Everything the backward pass needs stays in the op's buffers (here and in the cell),
// stored time-major (row t·B + b) so a step's rows are contiguous.
type recurrentOp struct {
	fusedOp
	cell                     recurrentCell
	batch, steps, in, hidden int
	masked                   bool
	state                    *State // nil: every run starts from zeros
	workers                  int
	runs                     uint64 // forward runs so far; see recurrentGradOp

	xT    buffer // (T·B, I) the input, time-major
	whhT  buffer // (H, gH): W_hh transposed, so each step's product reads B as it lies
	gates buffer // (T·B, gH) the input projection, then the cell's activations
	hs    buffer // ((T+1)·B, H) h before step 0 and after every step
	out   buffer // (B, T, H)
	back  recurrentBackward
}

// recurrentBackward holds the gradients of one forward run, computed once (BPTT) and
// shared by the op's gradient ops.
type recurrentBackward struct {
	run    uint64    // the forward run the gradients belong to; 0 = none yet
	dGates buffer    // (T·B, gH) gradients w.r.t. the input projection x·W_ihᵀ + b_ih
	dh     buffer    // (B, H) gradients flowing to the previous step's h
	dxT    buffer    // (T·B, I)
	grads  [5]buffer // what the gradient ops return: dx, dW_ih, dW_hh, db_ih, db_hh
}

func (op *recurrentOp) inRanks() []int {
	if op.masked {
		return []int{3, 2, 2, 1, 1, 2}
	}
	return []int{3, 2, 2, 1, 1}
}

func (op *recurrentOp) Arity() int             { return len(op.inRanks()) }
func (op *recurrentOp) Type() hm.Type          { return fnType(3, op.inRanks()...) }
func (op *recurrentOp) outShape() tensor.Shape { return tensor.Shape{op.batch, op.steps, op.hidden} }
func (op *recurrentOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.outShape(), nil
}
func (op *recurrentOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	for i := range min(n, 5) {
		d[i] = true // x and the four parameters; not the mask
	}
	return d
}

func (op *recurrentOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	grads := make(G.Nodes, len(inputs))
	args := append(append(G.Nodes{}, inputs...), output, grad)
	for i := range 5 {
		n, err := G.ApplyOp(&recurrentGradOp{fusedOp: newFusedOp(op.cell.name() + "-grad"), fwd: op, wrt: i}, args...)
		if err != nil {
			return nil, err
		}
		grads[i] = n
	}
	return grads, nil
}

func (op *recurrentOp) Do(vals ...G.Value) (G.Value, error) {
	dt := vals[0].Dtype()
	out := op.out.get(dt, op.outShape())
	op.runs++
	var err error
	switch dt {
	case tensor.Float32:
		err = op.cell.forward32(op, recurrentValues[float32](op, vals), data[float32](out))
	case tensor.Float64:
		err = op.cell.forward64(op, recurrentValues[float64](op, vals), data[float64](out))
	default:
		err = fmt.Errorf("%s: unsupported type %v", op.cell.name(), dt)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// recurrentVals are the data of a recurrentOp's inputs; mask is nil when every step is real.
type recurrentVals[T float] struct{ x, wih, whh, bih, bhh, mask []T }

func recurrentValues[T float](op *recurrentOp, vals []G.Value) recurrentVals[T] {
	v := recurrentVals[T]{x: data[T](vals[0]), wih: data[T](vals[1]), whh: data[T](vals[2]), bih: data[T](vals[3]), bhh: data[T](vals[4])}
	if op.masked {
		v.mask = data[T](vals[5])
	}
	return v
}

// real is the mask of step i (b·T + t): 1 for a real step, 0 for padding.
func (v recurrentVals[T]) real(i int) T {
	if v.mask == nil {
		return 1
	}
	return v.mask[i]
}

// stateOf returns the slices of st that a graph of element type T reads and writes.
func stateOf[T float](st *State) (initial, final []T) {
	var zero T
	if _, ok := any(zero).(float32); ok {
		return any(st.Initial).([]T), any(st.Final).([]T)
	}
	return any(st.Initial64).([]T), any(st.Final64).([]T)
}

// loadState fills the B·H values of each part (LSTM: h then c) from the carried state, or
// with zeros when the op carries none.
func loadState[T float](op *recurrentOp, parts ...[]T) error {
	n := op.batch * op.hidden
	if op.state == nil {
		for _, p := range parts {
			clear(p[:n])
		}
		return nil
	}
	initial, final := stateOf[T](op.state)
	if want := len(parts) * n; len(initial) != want || len(final) != want {
		return fmt.Errorf("%s: state %s holds %d and %d values of %v, want %d", op.cell.name(), op.state.Name, len(initial), len(final), dtypeOf[T](), want)
	}
	for i, p := range parts {
		copy(p[:n], initial[i*n:])
	}
	return nil
}

// saveState stores the B·H values of each part as the state the run ended in.
func saveState[T float](op *recurrentOp, parts ...[]T) {
	if op.state == nil {
		return
	}
	n := op.batch * op.hidden
	_, final := stateOf[T](op.state)
	for i, p := range parts {
		copy(final[i*n:][:n], p)
	}
}

// recurrentBuffers are the op's shared buffers as T: the time-major input, W_hhᵀ, the
// gates and the hidden states.
func recurrentBuffers[T float](op *recurrentOp) (xT, whhT, gates, hs []T) {
	B, S, I, H := op.batch, op.steps, op.in, op.hidden
	gH, dt := op.cell.gates()*H, dtypeOf[T]()
	return data[T](op.xT.get(dt, tensor.Shape{S * B, I})), data[T](op.whhT.get(dt, tensor.Shape{H, gH})),
		data[T](op.gates.get(dt, tensor.Shape{S * B, gH})), data[T](op.hs.get(dt, tensor.Shape{(S + 1) * B, H}))
}

// projectInputs sets gates = x·W_ihᵀ + b_ih for every step at once, adding b_hh to the
// first hhBias columns (the gates whose hidden bias is a plain sum), and fills xT and whhT.
func projectInputs[T float](op *recurrentOp, v recurrentVals[T], xT, whhT, gates []T, hhBias int) {
	B, S, I, H := op.batch, op.steps, op.in, op.hidden
	gH := op.cell.gates() * H
	toTimeMajor(B, S, I, v.x, xT)
	transposeRows(gH, H, 0, H, v.whh, whhT)
	parallel(S*B, op.workers, func(_, lo, hi int) {
		for r := lo; r < hi; r++ {
			row := gates[r*gH:][:gH]
			copy(row, v.bih)
			for j, b := range v.bhh[:hhBias] {
				row[j] += b
			}
		}
	})
	gemm(false, true, S*B, gH, I, 1, xT, v.wih, 1, gates)
}

// backwardBuffers are the gradient buffers as T: dGates, dh and dxT.
func backwardBuffers[T float](op *recurrentOp) (dG, dh, dxT []T) {
	bk, R, dt := &op.back, op.steps*op.batch, dtypeOf[T]()
	return data[T](bk.dGates.get(dt, tensor.Shape{R, op.cell.gates() * op.hidden})),
		data[T](bk.dh.get(dt, tensor.Shape{op.batch, op.hidden})), data[T](bk.dxT.get(dt, tensor.Shape{R, op.in}))
}

// parameterGrads turns the gradients w.r.t. the input projection (dGi) and the hidden
// projection h·W_hhᵀ + b_hh (dGh; the same slice when the cell adds both before its
// non-linearities) of every step into the gradients of x and the four parameters.
func parameterGrads[T float](op *recurrentOp, v recurrentVals[T], dGi, dGh, dxT []T) {
	B, S, I, H := op.batch, op.steps, op.in, op.hidden
	gH, R, dt := op.cell.gates()*H, S*B, dtypeOf[T]()
	bk := &op.back
	xT, hs := data[T](op.xT.t), data[T](op.hs.t)
	dx := data[T](bk.grads[0].get(dt, tensor.Shape{B, S, I}))
	dWih := data[T](bk.grads[1].get(dt, tensor.Shape{gH, I}))
	dWhh := data[T](bk.grads[2].get(dt, tensor.Shape{gH, H}))
	dbih := data[T](bk.grads[3].get(dt, tensor.Shape{gH}))
	dbhh := data[T](bk.grads[4].get(dt, tensor.Shape{gH}))

	gemm(true, false, gH, I, R, 1, dGi, xT, 0, dWih)       // Σ_t dGi_tᵀ · x_t
	gemm(true, false, gH, H, R, 1, dGh, hs[:R*H], 0, dWhh) // Σ_t dGh_tᵀ · h_{t−1}
	gemm(false, false, R, I, gH, 1, dGi, v.wih, 0, dxT)    // dx_t = dGi_t · W_ih
	fromTimeMajor(B, S, I, dxT, dx)
	parallel(gH, op.workers, func(_, lo, hi int) { sumColumns(dbih, dGi, gH, lo, hi) })
	if &dGh[0] == &dGi[0] {
		copy(dbhh, dbih)
		return
	}
	parallel(gH, op.workers, func(_, lo, hi int) { sumColumns(dbhh, dGh, gH, lo, hi) })
}

// recurrentGradOp is the gradient of a recurrentOp's output w.r.t. its input wrt (0 x,
// 1 weight_ih, 2 weight_hh, 3 bias_ih, 4 bias_hh). Its inputs are the forward op's inputs,
// its output (which orders it after the forward run whose buffers it reads) and the
// output's gradient. The first gradient op to run after a forward run does the whole BPTT
// for all five; the others of the same run find it done (the forward op counts its runs),
// whatever order Gorgonia runs them in and however many of them the graph has.
type recurrentGradOp struct {
	fusedOp
	fwd *recurrentOp
	wrt int
}

func (op *recurrentGradOp) Arity() int { return op.fwd.Arity() + 2 }
func (op *recurrentGradOp) Type() hm.Type {
	return fnType(op.fwd.inRanks()[op.wrt], append(op.fwd.inRanks(), 3, 3)...)
}
func (op *recurrentGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[op.wrt].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("%s: input %d has no shape", op.name, op.wrt)
	}
	return s.Clone(), nil
}

func (op *recurrentGradOp) Do(vals ...G.Value) (G.Value, error) {
	f := op.fwd
	if f.runs == 0 {
		return nil, fmt.Errorf("%s: the forward op has not run", op.name)
	}
	dt := vals[0].Dtype()
	if f.back.run != f.runs {
		switch dt {
		case tensor.Float32:
			f.cell.backward32(f, recurrentValues[float32](f, vals), data[float32](vals[len(vals)-1]))
		case tensor.Float64:
			f.cell.backward64(f, recurrentValues[float64](f, vals), data[float64](vals[len(vals)-1]))
		default:
			return nil, fmt.Errorf("%s: unsupported type %v", op.name, dt)
		}
		f.back.run = f.runs
	}
	return f.back.grads[op.wrt].t, nil
}

// toTimeMajor copies x (B, S, n) to xT (S, B, n).
func toTimeMajor[T float](B, S, n int, x, xT []T) {
	for b := 0; b < B; b++ {
		for t := 0; t < S; t++ {
			copy(xT[(t*B+b)*n:][:n], x[(b*S+t)*n:][:n])
		}
	}
}

// fromTimeMajor copies xT (S, B, n) to x (B, S, n).
func fromTimeMajor[T float](B, S, n int, xT, x []T) {
	for b := 0; b < B; b++ {
		for t := 0; t < S; t++ {
			copy(x[(b*S+t)*n:][:n], xT[(t*B+b)*n:][:n])
		}
	}
}

// sumColumns sets dst[j] to the sum of column j of the rows×cols matrix m for j in [lo, hi).
func sumColumns[T float](dst, m []T, cols, lo, hi int) {
	d := dst[lo:hi]
	clear(d)
	for r := 0; r+cols <= len(m); r += cols {
		for j, v := range m[r+lo : r+hi] {
			d[j] += v
		}
	}
}

// transposeRows writes columns [lo, hi) of the rows×cols matrix a as rows [lo, hi) of its
// transpose b (cols×rows).
func transposeRows[T float](rows, cols, lo, hi int, a, b []T) {
	const tile = 32
	for i0 := 0; i0 < rows; i0 += tile {
		for j0 := lo; j0 < hi; j0 += tile {
			for i := i0; i < min(i0+tile, rows); i++ {
				for j := j0; j < min(j0+tile, hi); j++ {
					b[j*rows+i] = a[i*cols+j]
				}
			}
		}
	}
}
