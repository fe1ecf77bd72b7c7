package graphs

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/chewxy/hm"
	"github.com/gorgonet/gorgonet/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// LSTMOptions configures LSTM.
type LSTMOptions struct {
	Layers  int     // stacked layers, >= 1
	Dropout float64 // dropout on the outputs of every layer but the last, training graphs only (as torch.nn.LSTM's dropout)
	Mask    *G.Node // optional (B, T) input: 1 for real steps, 0 for padding; padding comes after a sequence's real steps. nil = all steps real
	Carry   bool    // keep the (h, c) state between runs: register a State per layer so trainers can Carry/Reset/checkpoint it; false = every run starts from zeros
}

// LSTM is torch.nn.LSTM(input, hidden, num_layers, batch_first=True) over x (B, T, I),
// returning the top layer's outputs (B, T, H). Parameters under s, with PyTorch names and
// layouts: weight_ih_l{k} (4H, in), weight_hh_l{k} (4H, H), bias_ih_l{k} (4H), bias_hh_l{k}
// (4H), gate order i, f, g, o; initialised U(±1/√H) as PyTorch does. A padded step changes
// nothing: h and c are carried through it unchanged and its output equals the carried h,
// so the output at the last time step is each sequence's state after its last real step.
func LSTM(s *Scope, x *G.Node, hidden int, o LSTMOptions) *G.Node {
	if x.Dims() != 3 {
		panic(fmt.Sprintf("graphs: LSTM %s wants a (batch, steps, features) input, got shape %v", s.path, x.Shape()))
	}
	if hidden < 1 || o.Layers < 1 {
		panic(fmt.Sprintf("graphs: LSTM %s needs hidden >= 1 and layers >= 1, got %d and %d", s.path, hidden, o.Layers))
	}
	if o.Dropout < 0 || o.Dropout >= 1 {
		panic(fmt.Sprintf("graphs: LSTM %s dropout %v is outside [0, 1)", s.path, o.Dropout))
	}
	batch, steps := x.Shape()[0], x.Shape()[1]
	if o.Mask != nil && !o.Mask.Shape().Eq(tensor.Shape{batch, steps}) {
		panic(fmt.Sprintf("graphs: LSTM %s wants a (%d, %d) mask, got shape %v", s.path, batch, steps, o.Mask.Shape()))
	}
	y := x
	for k := 0; k < o.Layers; k++ {
		if k > 0 {
			y = Dropout(s.Sub(fmt.Sprintf("dropout_l%d", k-1)), y, o.Dropout)
		}
		y = lstmLayer(s, y, hidden, k, o) // (B, T, H)
	}
	return y
}

func lstmLayer(s *Scope, x *G.Node, hidden, k int, o LSTMOptions) *G.Node {
	in, gates := x.Shape()[2], 4*hidden
	bound := fanInBound(hidden)
	wih := s.param(fmt.Sprintf("weight_ih_l%d", k), []int{gates, in}, []int{gates, in}, bound)
	whh := s.param(fmt.Sprintf("weight_hh_l%d", k), []int{gates, hidden}, []int{gates, hidden}, bound)
	bih := s.param(fmt.Sprintf("bias_ih_l%d", k), []int{gates}, []int{gates}, bound)
	bhh := s.param(fmt.Sprintf("bias_hh_l%d", k), []int{gates}, []int{gates}, bound)
	op := &lstmOp{fusedOp: newFusedOp("lstm"), batch: x.Shape()[0], steps: x.Shape()[1], in: in, hidden: hidden,
		masked: o.Mask != nil, workers: defaultWorkers()}
	if o.Carry {
		op.state = &State{Name: s.qualify(fmt.Sprintf("state_l%d", k))}
		n := 2 * op.batch * hidden // h then c
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

// lstmOp is one LSTM layer over a whole sequence: inputs x (B, T, I), weight_ih (4H, I),
// weight_hh (4H, H), bias_ih (4H), bias_hh (4H) and optionally the mask (B, T); output
// (B, T, H). The input projection of all B·T rows is one matrix product; each step adds
// h·W_hhᵀ and applies the gates. Batch rows are independent, so each worker runs the whole
// recurrence on its own rows without synchronising per step. Everything the backward pass
// needs stays in the op's buffers, stored time-major (row t·B + b) so a step's rows are
// contiguous.
type lstmOp struct {
	fusedOp
	batch, steps, in, hidden int
	masked                   bool
	state                    *State // nil: every run starts from zeros
	workers                  int
	runs                     uint64 // forward runs so far; see lstmGradOp

	xT     buffer // (T·B, I) the input, time-major
	whhT   buffer // (H, 4H): W_hh transposed, so each step's product reads B as it lies
	gates  buffer // (T·B, 4H) activations i, f, g, o of every step
	hs, cs buffer // ((T+1)·B, H) h and c before step 0 and after every step
	tanhC  buffer // (T·B, H) tanh of each step's new cell (before masking)
	out    buffer // (B, T, H)
	back   lstmBackward
}

// lstmBackward holds the gradients of one forward run, computed once (BPTT) and shared by
// the op's gradient ops.
type lstmBackward struct {
	run    uint64    // the forward run the gradients belong to; 0 = none yet
	dGates buffer    // (T·B, 4H) gradients w.r.t. the gate pre-activations
	dh, dc buffer    // (B, H) gradients flowing to the previous step
	dxT    buffer    // (T·B, I)
	grads  [5]buffer // what the gradient ops return: dx, dW_ih, dW_hh, db_ih, db_hh
}

func (op *lstmOp) inRanks() []int {
	if op.masked {
		return []int{3, 2, 2, 1, 1, 2}
	}
	return []int{3, 2, 2, 1, 1}
}

func (op *lstmOp) Arity() int             { return len(op.inRanks()) }
func (op *lstmOp) Type() hm.Type          { return fnType(3, op.inRanks()...) }
func (op *lstmOp) outShape() tensor.Shape { return tensor.Shape{op.batch, op.steps, op.hidden} }
func (op *lstmOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.outShape(), nil
}
func (op *lstmOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	for i := range min(n, 5) {
		d[i] = true // x and the four parameters; not the mask
	}
	return d
}

func (op *lstmOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	grads := make(G.Nodes, len(inputs))
	args := append(append(G.Nodes{}, inputs...), output, grad)
	for i := range 5 {
		n, err := G.ApplyOp(&lstmGradOp{fusedOp: newFusedOp("lstm-grad"), fwd: op, wrt: i}, args...)
		if err != nil {
			return nil, err
		}
		grads[i] = n
	}
	return grads, nil
}

func (op *lstmOp) Do(vals ...G.Value) (G.Value, error) {
	dt := vals[0].Dtype()
	out := op.out.get(dt, op.outShape())
	op.runs++
	var err error
	switch dt {
	case tensor.Float32:
		err = lstmForward(op, lstmValues[float32](op, vals), data[float32](out))
	case tensor.Float64:
		err = lstmForward(op, lstmValues[float64](op, vals), data[float64](out))
	default:
		err = fmt.Errorf("lstm: unsupported type %v", dt)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// lstmVals are the data of an lstmOp's inputs; mask is nil when every step is real.
type lstmVals[T float] struct{ x, wih, whh, bih, bhh, mask []T }

func lstmValues[T float](op *lstmOp, vals []G.Value) lstmVals[T] {
	v := lstmVals[T]{x: data[T](vals[0]), wih: data[T](vals[1]), whh: data[T](vals[2]), bih: data[T](vals[3]), bhh: data[T](vals[4])}
	if op.masked {
		v.mask = data[T](vals[5])
	}
	return v
}

// stateOf returns the slices of st that a graph of element type T reads and writes.
func stateOf[T float](st *State) (initial, final []T) {
	var zero T
	if _, ok := any(zero).(float32); ok {
		return any(st.Initial).([]T), any(st.Final).([]T)
	}
	return any(st.Initial64).([]T), any(st.Final64).([]T)
}

func lstmForward[T float](op *lstmOp, v lstmVals[T], out []T) error {
	B, S, I, H := op.batch, op.steps, op.in, op.hidden
	G4, dt := 4*H, dtypeOf[T]()
	xT := data[T](op.xT.get(dt, tensor.Shape{S * B, I}))
	whhT := data[T](op.whhT.get(dt, tensor.Shape{H, G4}))
	gates := data[T](op.gates.get(dt, tensor.Shape{S * B, G4}))
	hs := data[T](op.hs.get(dt, tensor.Shape{(S + 1) * B, H}))
	cs := data[T](op.cs.get(dt, tensor.Shape{(S + 1) * B, H}))
	tanhC := data[T](op.tanhC.get(dt, tensor.Shape{S * B, H}))

	var initial, final []T
	if op.state != nil {
		initial, final = stateOf[T](op.state)
		if len(initial) != 2*B*H || len(final) != 2*B*H {
			return fmt.Errorf("lstm: state %s holds %d and %d values of %v, want %d", op.state.Name, len(initial), len(final), dt, 2*B*H)
		}
		copy(hs[:B*H], initial[:B*H])
		copy(cs[:B*H], initial[B*H:])
	} else {
		clear(hs[:B*H])
		clear(cs[:B*H])
	}

	toTimeMajor(B, S, I, v.x, xT)
	transposeRows(G4, H, 0, H, v.whh, whhT)
	// gates = x·W_ihᵀ + b_ih + b_hh for every step at once
	parallel(S*B, op.workers, func(_, lo, hi int) {
		for r := lo; r < hi; r++ {
			row := gates[r*G4:][:G4]
			for j := range row {
				row[j] = v.bih[j] + v.bhh[j]
			}
		}
	})
	gemm(false, true, S*B, G4, I, 1, xT, v.wih, 1, gates)

	parallel(B, op.workers, func(_, lo, hi int) {
		n := hi - lo
		for t := 0; t < S; t++ {
			gemmSerial(false, false, n, G4, H, 1, hs[(t*B+lo)*H:][:n*H], whhT, 1, gates[(t*B+lo)*G4:][:n*G4])
			for b := lo; b < hi; b++ {
				m := T(1)
				if v.mask != nil {
					m = v.mask[b*S+t]
				}
				r := t*B + b
				lstmCell(H, m, gates[r*G4:][:G4], hs[r*H:][:H], cs[r*H:][:H], hs[(r+B)*H:][:H], cs[(r+B)*H:][:H], tanhC[r*H:][:H])
				copy(out[(b*S+t)*H:][:H], hs[(r+B)*H:][:H])
			}
		}
	})
	if final != nil {
		copy(final[:B*H], hs[S*B*H:])
		copy(final[B*H:], cs[S*B*H:])
	}
	return nil
}

// lstmCell turns one row's gate pre-activations into activations (in place) and computes
// the new state from (hPrev, cPrev); with mask m = 0 the state is carried unchanged.
func lstmCell[T float](H int, m T, g, hPrev, cPrev, h, c, tanhC []T) {
	if unsafe.Sizeof(m) == 4 {
		lstmCell32(H, float32(m), f32(g), f32(hPrev), f32(cPrev), f32(h), f32(c), f32(tanhC))
		return
	}
	ig, fg, gg, og := g[:H], g[H:2*H], g[2*H:3*H], g[3*H:4*H]
	for j := 0; j < H; j++ {
		i, f, gv, o := T(gateSigmoid(float64(ig[j]))), T(gateSigmoid(float64(fg[j]))), T(gateTanh(float64(gg[j]))), T(gateSigmoid(float64(og[j])))
		ig[j], fg[j], gg[j], og[j] = i, f, gv, o
		cn := f*cPrev[j] + i*gv
		tc := T(gateTanh(float64(cn)))
		tanhC[j] = tc
		c[j] = m*cn + (1-m)*cPrev[j]
		h[j] = m*o*tc + (1-m)*hPrev[j]
	}
}

// lstmCell32 is lstmCell in float32, its activations 16 at a time.
func lstmCell32(H int, m float32, g, hPrev, cPrev, h, c, tanhC []float32) {
	kernels.Sigmoid(g[:2*H], g[:2*H]) // i, f
	kernels.Tanh(g[2*H:3*H], g[2*H:3*H])
	kernels.Sigmoid(g[3*H:4*H], g[3*H:4*H])
	ig, fg, gg, og := g[:H], g[H:2*H], g[2*H:3*H], g[3*H:4*H]
	c, cPrev, h, hPrev, tanhC = c[:H], cPrev[:H], h[:H], hPrev[:H], tanhC[:H]
	for j := range c {
		c[j] = fg[j]*cPrev[j] + ig[j]*gg[j]
	}
	kernels.Tanh(tanhC, c)
	for j, tc := range tanhC {
		h[j] = m*og[j]*tc + (1-m)*hPrev[j]
		c[j] = m*c[j] + (1-m)*cPrev[j]
	}
}

// f32 is s as []float32, for T = float32.
func f32[T float](s []T) []float32 {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&s[0])), len(s))
}

// gateSigmoid and gateTanh are the gates' activations in float64 (float32 cells use the
// kernels package's vector versions).
func gateSigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
func gateTanh(x float64) float64    { return math.Tanh(x) }

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

// lstmGradOp is the gradient of an lstmOp's output w.r.t. its input wrt (0 x, 1 weight_ih,
// 2 weight_hh, 3 bias_ih, 4 bias_hh). Its inputs are the forward op's inputs, its output
// (which orders it after the forward run whose buffers it reads) and the output's gradient.
// The first gradient op to run after a forward run does the whole BPTT for all five; the
// others of the same run find it done (the forward op counts its runs), whatever order
// Gorgonia runs them in and however many of them the graph has.
type lstmGradOp struct {
	fusedOp
	fwd *lstmOp
	wrt int
}

func (op *lstmGradOp) Arity() int { return op.fwd.Arity() + 2 }
func (op *lstmGradOp) Type() hm.Type {
	return fnType(op.fwd.inRanks()[op.wrt], append(op.fwd.inRanks(), 3, 3)...)
}
func (op *lstmGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[op.wrt].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("lstm-grad: input %d has no shape", op.wrt)
	}
	return s.Clone(), nil
}

func (op *lstmGradOp) Do(vals ...G.Value) (G.Value, error) {
	f := op.fwd
	if f.runs == 0 {
		return nil, fmt.Errorf("lstm-grad: the forward op has not run")
	}
	dt := vals[0].Dtype()
	if f.back.run != f.runs {
		switch dt {
		case tensor.Float32:
			lstmBPTT(f, lstmValues[float32](f, vals), data[float32](vals[len(vals)-1]))
		case tensor.Float64:
			lstmBPTT(f, lstmValues[float64](f, vals), data[float64](vals[len(vals)-1]))
		default:
			return nil, fmt.Errorf("lstm-grad: unsupported type %v", dt)
		}
		f.back.run = f.runs
	}
	return f.back.grads[op.wrt].t, nil
}

// lstmBPTT back-propagates dOut (B, T, H) through the whole sequence of the last forward
// run into the gradients of x and the four parameters.
func lstmBPTT[T float](op *lstmOp, v lstmVals[T], dOut []T) {
	B, S, I, H := op.batch, op.steps, op.in, op.hidden
	G4, R, dt := 4*H, S*op.batch, dtypeOf[T]()
	bk := &op.back
	gates, hs, cs, tanhC, xT := data[T](op.gates.t), data[T](op.hs.t), data[T](op.cs.t), data[T](op.tanhC.t), data[T](op.xT.t)
	dG := data[T](bk.dGates.get(dt, tensor.Shape{R, G4}))
	dh := data[T](bk.dh.get(dt, tensor.Shape{B, H}))
	dc := data[T](bk.dc.get(dt, tensor.Shape{B, H}))
	dxT := data[T](bk.dxT.get(dt, tensor.Shape{R, I}))
	dx := data[T](bk.grads[0].get(dt, tensor.Shape{B, S, I}))
	dWih := data[T](bk.grads[1].get(dt, tensor.Shape{G4, I}))
	dWhh := data[T](bk.grads[2].get(dt, tensor.Shape{G4, H}))
	dbih := data[T](bk.grads[3].get(dt, tensor.Shape{G4}))
	dbhh := data[T](bk.grads[4].get(dt, tensor.Shape{G4}))

	parallel(B, op.workers, func(_, lo, hi int) {
		n := hi - lo
		clear(dh[lo*H : hi*H])
		clear(dc[lo*H : hi*H])
		for t := S - 1; t >= 0; t-- {
			for b := lo; b < hi; b++ {
				m := T(1)
				if v.mask != nil {
					m = v.mask[b*S+t]
				}
				r := t*B + b
				lstmCellBackward(H, m, gates[r*G4:][:G4], cs[r*H:][:H], tanhC[r*H:][:H], dOut[(b*S+t)*H:][:H], dh[b*H:][:H], dc[b*H:][:H], dG[r*G4:][:G4])
			}
			gemmSerial(false, false, n, H, G4, 1, dG[(t*B+lo)*G4:][:n*G4], v.whh, 1, dh[lo*H:][:n*H]) // dh_{t−1} += dGates_t · W_hh
		}
	})

	gemm(true, false, G4, I, R, 1, dG, xT, 0, dWih)       // Σ_t dGates_tᵀ · x_t
	gemm(true, false, G4, H, R, 1, dG, hs[:R*H], 0, dWhh) // Σ_t dGates_tᵀ · h_{t−1}
	gemm(false, false, R, I, G4, 1, dG, v.wih, 0, dxT)    // dx_t = dGates_t · W_ih
	fromTimeMajor(B, S, I, dxT, dx)
	parallel(G4, op.workers, func(_, lo, hi int) { sumColumns(dbih, dG, G4, lo, hi) })
	copy(dbhh, dbih)
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

// lstmCellBackward takes one row's gradient w.r.t. its output h_t (dOut plus dh, what the
// next step passed back) and its cell c_t (dc), writes the gradients w.r.t. the gate
// pre-activations into dG, and leaves in dh and dc the parts that flow to h_{t−1} and
// c_{t−1} directly (the caller adds dG·W_hh to dh).
func lstmCellBackward[T float](H int, m T, g, cPrev, tanhC, dOut, dh, dc, dG []T) {
	ig, fg, gg, og := g[:H], g[H:2*H], g[2*H:3*H], g[3*H:4*H]
	for j := 0; j < H; j++ {
		i, f, gv, o, tc := ig[j], fg[j], gg[j], og[j], tanhC[j]
		dht := dOut[j] + dh[j]
		dhn := m * dht
		dcn := m*dc[j] + dhn*o*(1-tc*tc)
		dG[j] = dcn * gv * i * (1 - i)
		dG[H+j] = dcn * cPrev[j] * f * (1 - f)
		dG[2*H+j] = dcn * i * (1 - gv*gv)
		dG[3*H+j] = dhn * tc * o * (1 - o)
		dc[j] = dcn*f + (1-m)*dc[j]
		dh[j] = (1 - m) * dht
	}
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
