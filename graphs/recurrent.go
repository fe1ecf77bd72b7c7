package graphs

import (
	"fmt"
	"strings"

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

// cellKind is what the shared recurrentOp needs to know of a kind of recurrent cell; the
// cell's own buffers are a separate value (*lstmCell, *gruCell), whose type forwardCell and
// backwardCell switch on to run its kernels.
type cellKind struct {
	name       string // "lstm", "gru": the op's name and the prefix of its errors
	gates      int    // gate blocks of H rows in weight_ih and weight_hh
	stateParts int    // blocks of B·H values in the carried state
}

// forwardCell runs op's cell over the whole sequence.
func forwardCell[T float](op *recurrentOp, v recurrentVals[T], out []T) error {
	switch c := op.cell.(type) {
	case *lstmCell:
		return lstmForward(op, c, v, out)
	case *gruCell:
		return gruForward(op, c, v, out)
	}
	return fmt.Errorf("%s: no kernels for %T", op.kind.name, op.cell)
}

// backwardCell back-propagates dOut through the last forward run of op's cell.
func backwardCell[T float](op *recurrentOp, v recurrentVals[T], dOut []T) {
	switch c := op.cell.(type) {
	case *lstmCell:
		lstmBPTT(op, c, v, dOut)
	case *gruCell:
		gruBPTT(op, c, v, dOut)
	}
}

// recurrent checks the input and options of a layer of the given kind and stacks o.Layers
// layers of it, each with the buffers newCell makes, with dropout between them.
func recurrent(kind cellKind, newCell func() any, s *Scope, x *G.Node, hidden int, o RecurrentOptions) *G.Node {
	name := strings.ToUpper(kind.name)
	if x.Dims() != 3 {
		panic(fmt.Sprintf("graphs: %s %s wants a (batch, steps, features) input, got shape %v", name, s.path, x.Shape()))
	}
	if hidden < 1 || o.Layers < 1 {
		panic(fmt.Sprintf("graphs: %s %s needs hidden >= 1 and layers >= 1, got %d and %d", name, s.path, hidden, o.Layers))
	}
	if o.Dropout < 0 || o.Dropout >= 1 {
		panic(fmt.Sprintf("graphs: %s %s dropout %v is outside [0, 1)", name, s.path, o.Dropout))
	}
	batch, steps := x.Shape()[0], x.Shape()[1]
	if o.Mask != nil && !o.Mask.Shape().Eq(tensor.Shape{batch, steps}) {
		panic(fmt.Sprintf("graphs: %s %s wants a (%d, %d) mask, got shape %v", name, s.path, batch, steps, o.Mask.Shape()))
	}
	y := x
	for k := 0; k < o.Layers; k++ {
		if k > 0 {
			y = Dropout(s.Sub(fmt.Sprintf("dropout_l%d", k-1)), y, o.Dropout)
		}
		y = recurrentLayer(s, y, hidden, k, o, kind, newCell()) // (B, T, H)
	}
	return y
}

// recurrentLayer adds layer k's parameters (PyTorch names and layouts, U(±1/√H)), its
// state when carried, and its op.
func recurrentLayer(s *Scope, x *G.Node, hidden, k int, o RecurrentOptions, kind cellKind, cell any) *G.Node {
	in, gates := x.Shape()[2], kind.gates*hidden
	bound := fanInBound(hidden)
	wih := s.param(fmt.Sprintf("weight_ih_l%d", k), []int{gates, in}, []int{gates, in}, bound)
	whh := s.param(fmt.Sprintf("weight_hh_l%d", k), []int{gates, hidden}, []int{gates, hidden}, bound)
	bih := s.param(fmt.Sprintf("bias_ih_l%d", k), []int{gates}, []int{gates}, bound)
	bhh := s.param(fmt.Sprintf("bias_hh_l%d", k), []int{gates}, []int{gates}, bound)
	op := &recurrentOp{fusedOp: newFusedOp(kind.name), kind: kind, cell: cell, batch: x.Shape()[0], steps: x.Shape()[1], in: in,
		hidden: hidden, masked: o.Mask != nil, workers: defaultWorkers()}
	if o.Carry {
		op.state = &State{Name: s.qualify(fmt.Sprintf("state_l%d", k))}
		n := kind.stateParts * op.batch * hidden
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
	kind                     cellKind
	cell                     any // the kind's own buffers
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
		n, err := G.ApplyOp(&recurrentGradOp{fusedOp: newFusedOp(op.kind.name + "-grad"), fwd: op, wrt: i}, args...)
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
		err = forwardCell(op, recurrentValues[float32](op, vals), data[float32](out))
	case tensor.Float64:
		err = forwardCell(op, recurrentValues[float64](op, vals), data[float64](out))
	default:
		err = fmt.Errorf("%s: unsupported type %v", op.kind.name, dt)
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
		return fmt.Errorf("%s: state %s holds %d and %d values of %v, want %d", op.kind.name, op.state.Name, len(initial), len(final), dtypeOf[T](), want)
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

// startForward readies a forward run: it fills h before step 0 and the cell's further
// state parts (LSTM: c), each B·H, from the carried state or with zeros; and sets the gates
// to the input projection x·W_ihᵀ + b_ih of every step at once, with b_hh added to the
// first hhBias columns (the gates whose hidden bias is a plain sum). It returns the
// buffers W_hhᵀ (H, gH), the gates (T·B, gH) and the hidden states ((T+1)·B, H).
func startForward[T float](op *recurrentOp, v recurrentVals[T], hhBias int, parts ...[]T) (whhT, gates, hs []T, err error) {
	B, S, I, H := op.batch, op.steps, op.in, op.hidden
	gH, dt := op.kind.gates*H, dtypeOf[T]()
	xT := data[T](op.xT.get(dt, tensor.Shape{S * B, I}))
	whhT = data[T](op.whhT.get(dt, tensor.Shape{H, gH}))
	gates = data[T](op.gates.get(dt, tensor.Shape{S * B, gH}))
	hs = data[T](op.hs.get(dt, tensor.Shape{(S + 1) * B, H}))
	if err := loadState(op, append([][]T{hs}, parts...)...); err != nil {
		return nil, nil, nil, err
	}
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
	return whhT, gates, hs, nil
}

// recur runs the recurrence forward over the batch rows split among the workers: for each
// step t, hidden(t, lo, n) adds h_t·W_hhᵀ for rows [lo, lo+n), then cell(b, t, r, m) makes
// row b's h_{t+1} (r = t·B + b, m its mask), which becomes the output at (b, t).
func recur[T float](op *recurrentOp, v recurrentVals[T], hs, out []T, hidden func(t, lo, n int), cell func(b, t, r int, m T)) {
	B, S, H := op.batch, op.steps, op.hidden
	parallel(B, op.workers, func(_, lo, hi int) {
		for t := 0; t < S; t++ {
			hidden(t, lo, hi-lo)
			for b := lo; b < hi; b++ {
				r := t*B + b
				cell(b, t, r, v.real(b*S+t))
				copy(out[(b*S+t)*H:][:H], hs[(r+B)*H:][:H])
			}
		}
	})
}

// recurBack runs the recurrence backward, from the last step to the first, over the batch
// rows split among the workers: clear(lo, hi) zeroes the gradients flowing back into step
// T−1 for rows [lo, hi); then for each step t, cell(b, t, r, m) takes row b's gradients
// back through the cell (r = t·B + b, m its mask) and hidden(t, lo, n) adds what flows through
// h_t·W_hhᵀ to dh for rows [lo, lo+n).
func recurBack[T float](op *recurrentOp, v recurrentVals[T], clear func(lo, hi int), cell func(b, t, r int, m T), hidden func(t, lo, n int)) {
	B, S := op.batch, op.steps
	parallel(B, op.workers, func(_, lo, hi int) {
		clear(lo, hi)
		for t := S - 1; t >= 0; t-- {
			for b := lo; b < hi; b++ {
				cell(b, t, t*B+b, v.real(b*S+t))
			}
			hidden(t, lo, hi-lo)
		}
	})
}

// backwardBuffers are the gradient buffers as T: dGates, dh and dxT.
func backwardBuffers[T float](op *recurrentOp) (dG, dh, dxT []T) {
	bk, R, dt := &op.back, op.steps*op.batch, dtypeOf[T]()
	return data[T](bk.dGates.get(dt, tensor.Shape{R, op.kind.gates * op.hidden})),
		data[T](bk.dh.get(dt, tensor.Shape{op.batch, op.hidden})), data[T](bk.dxT.get(dt, tensor.Shape{R, op.in}))
}

// parameterGrads turns the gradients w.r.t. the input projection (dGi) and the hidden
// projection h·W_hhᵀ + b_hh (dGh; the same slice when the cell adds both before its
// non-linearities) of every step into the gradients of x and the four parameters.
func parameterGrads[T float](op *recurrentOp, v recurrentVals[T], dGi, dGh, dxT []T) {
	B, S, I, H := op.batch, op.steps, op.in, op.hidden
	gH, R, dt := op.kind.gates*H, S*B, dtypeOf[T]()
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
			backwardCell(f, recurrentValues[float32](f, vals), data[float32](vals[len(vals)-1]))
		case tensor.Float64:
			backwardCell(f, recurrentValues[float64](f, vals), data[float64](vals[len(vals)-1]))
		default:
			return nil, fmt.Errorf("%s: unsupported type %v", op.name, dt)
		}
		f.back.run = f.runs
	}
	return f.back.grads[op.wrt].t, nil
}

// LastStep returns x[:, T-1, :] of a (B, T, H) node as (B, H).
func LastStep(x *G.Node) *G.Node {
	if x.Dims() != 3 {
		panic(fmt.Sprintf("graphs: LastStep wants a (batch, steps, features) input, got shape %v", x.Shape()))
	}
	s := x.Shape()
	return must(G.ApplyOp(&lastStepOp{fusedOp: newFusedOp("last-step"), batch: s[0], steps: s[1], width: s[2]}, x))
}

// lastStepOp copies the last step of each sequence; Gorgonia's Slice would give a view that
// the fused ops cannot read as plain rows.
type lastStepOp struct {
	fusedOp
	batch, steps, width int
	out                 buffer
}

func (op *lastStepOp) Arity() int    { return 1 }
func (op *lastStepOp) Type() hm.Type { return fnType(2, 3) }
func (op *lastStepOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.batch, op.width}, nil
}
func (op *lastStepOp) DiffWRT(int) []bool { return []bool{true} }

func (op *lastStepOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	n, err := G.ApplyOp(&lastStepGradOp{fusedOp: newFusedOp("last-step-grad"), fwd: op}, inputs[0], grad)
	return G.Nodes{n}, err
}

func (op *lastStepOp) Do(vals ...G.Value) (G.Value, error) {
	dt := vals[0].Dtype()
	out := op.out.get(dt, tensor.Shape{op.batch, op.width})
	switch dt {
	case tensor.Float32:
		lastStepCopy(op, data[float32](vals[0]), data[float32](out), false)
	case tensor.Float64:
		lastStepCopy(op, data[float64](vals[0]), data[float64](out), false)
	default:
		return nil, fmt.Errorf("last-step: unsupported type %v", dt)
	}
	return out, nil
}

// lastStepCopy copies between the last steps of seq (B, T, W) and rows (B, W): into rows,
// or, when back, into seq with every other step zeroed.
func lastStepCopy[T float](op *lastStepOp, seq, rows []T, back bool) {
	W, S := op.width, op.steps
	if back {
		clear(seq)
	}
	for b := 0; b < op.batch; b++ {
		s, r := seq[(b*S+S-1)*W:][:W], rows[b*W:][:W]
		if back {
			copy(s, r)
		} else {
			copy(r, s)
		}
	}
}

// lastStepGradOp puts the gradient of the last step back in place, zeros elsewhere; its
// inputs are the forward input and the output's gradient.
type lastStepGradOp struct {
	fusedOp
	fwd *lastStepOp
	out buffer
}

func (op *lastStepGradOp) Arity() int    { return 2 }
func (op *lastStepGradOp) Type() hm.Type { return fnType(3, 3, 2) }
func (op *lastStepGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	f := op.fwd
	return tensor.Shape{f.batch, f.steps, f.width}, nil
}

func (op *lastStepGradOp) Do(vals ...G.Value) (G.Value, error) {
	dt := vals[0].Dtype()
	f := op.fwd
	out := op.out.get(dt, tensor.Shape{f.batch, f.steps, f.width})
	switch dt {
	case tensor.Float32:
		lastStepCopy(f, data[float32](out), data[float32](vals[1]), true)
	case tensor.Float64:
		lastStepCopy(f, data[float64](out), data[float64](vals[1]), true)
	default:
		return nil, fmt.Errorf("last-step-grad: unsupported type %v", dt)
	}
	return out, nil
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
