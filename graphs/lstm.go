package graphs

import (
	"math"
	"unsafe"

	"github.com/gorgonet/gorgonet/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// LSTM is torch.nn.LSTM(input, hidden, num_layers, batch_first=True) over x (B, T, I),
// returning the top layer's outputs (B, T, H). Parameters under s, with PyTorch names and
// layouts: weight_ih_l{k} (4H, in), weight_hh_l{k} (4H, H), bias_ih_l{k} (4H), bias_hh_l{k}
// (4H), gate order i, f, g, o; initialised U(±1/√H) as PyTorch does. A padded step changes
// nothing: h and c are carried through it unchanged and its output equals the carried h,
// so the output at the last time step is each sequence's state after its last real step.
// With o.Carry, layer k's State "state_l{k}" holds h then c (2·B·H values).
func LSTM(s *Scope, x *G.Node, hidden int, o RecurrentOptions) *G.Node {
	return recurrent(lstmKind, func() any { return &lstmCell{} }, s, x, hidden, o)
}

// lstmCell is the LSTM's part of a recurrentOp: gates i, f, g, o, whose input and hidden
// biases are one sum, and the buffers of the cell state.
type lstmCell struct {
	cs    buffer // ((T+1)·B, H) c before step 0 and after every step
	tanhC buffer // (T·B, H) tanh of each step's new cell (before masking)
	dc    buffer // (B, H) gradients flowing to the previous step's c
}

var lstmKind = cellKind{name: "lstm", gates: 4, stateParts: 2}

// lstmForward runs the LSTM layer over the whole sequence into out (B, T, H), keeping
// what lstmBPTT needs.
func lstmForward[T float](op *recurrentOp, c *lstmCell, v recurrentVals[T], out []T) error {
	B, S, H := op.batch, op.steps, op.hidden
	G4, dt := 4*H, dtypeOf[T]()
	cs := data[T](c.cs.get(dt, tensor.Shape{(S + 1) * B, H}))
	tanhC := data[T](c.tanhC.get(dt, tensor.Shape{S * B, H}))
	whhT, gates, hs, err := startForward(op, v, G4, cs) // b_ih + b_hh for every gate
	if err != nil {
		return err
	}

	recur(op, v, hs, out, func(t, lo, n int) {
		gemmSerial(false, false, n, G4, H, 1, hs[(t*B+lo)*H:][:n*H], whhT, 1, gates[(t*B+lo)*G4:][:n*G4])
	}, func(_, _, r int, m T) {
		lstmStep(H, m, gates[r*G4:][:G4], hs[r*H:][:H], cs[r*H:][:H], hs[(r+B)*H:][:H], cs[(r+B)*H:][:H], tanhC[r*H:][:H])
	})
	saveState(op, hs[S*B*H:], cs[S*B*H:])
	return nil
}

// lstmStep turns one row's gate pre-activations into activations (in place) and computes
// the new state from (hPrev, cPrev); with mask m = 0 the state is carried unchanged.
func lstmStep[T float](H int, m T, g, hPrev, cPrev, h, c, tanhC []T) {
	if unsafe.Sizeof(m) == 4 {
		lstmStep32(H, float32(m), f32(g), f32(hPrev), f32(cPrev), f32(h), f32(c), f32(tanhC))
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

// lstmStep32 is lstmStep in float32, its activations 16 at a time.
func lstmStep32(H int, m float32, g, hPrev, cPrev, h, c, tanhC []float32) {
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

// lstmBPTT back-propagates dOut (B, T, H) through the whole sequence of the last forward
// run into the gradients of x and the four parameters.
func lstmBPTT[T float](op *recurrentOp, c *lstmCell, v recurrentVals[T], dOut []T) {
	B, S, H := op.batch, op.steps, op.hidden
	G4, dt := 4*H, dtypeOf[T]()
	gates, cs, tanhC := data[T](op.gates.t), data[T](c.cs.t), data[T](c.tanhC.t)
	dG, dh, dxT := backwardBuffers[T](op)
	dc := data[T](c.dc.get(dt, tensor.Shape{B, H}))

	recurBack(op, v, func(lo, hi int) {
		clear(dh[lo*H : hi*H])
		clear(dc[lo*H : hi*H])
	}, func(b, t, r int, m T) {
		lstmStepBackward(H, m, gates[r*G4:][:G4], cs[r*H:][:H], tanhC[r*H:][:H], dOut[(b*S+t)*H:][:H], dh[b*H:][:H], dc[b*H:][:H], dG[r*G4:][:G4])
	}, func(t, lo, n int) {
		gemmSerial(false, false, n, H, G4, 1, dG[(t*B+lo)*G4:][:n*G4], v.whh, 1, dh[lo*H:][:n*H]) // dh_{t−1} += dGates_t · W_hh
	})
	parameterGrads(op, v, dG, dG, dxT) // the hidden projection's gradients are the gates'
}

// lstmStepBackward takes one row's gradient w.r.t. its output h_t (dOut plus dh, what the
// next step passed back) and its cell c_t (dc), writes the gradients w.r.t. the gate
// pre-activations into dG, and leaves in dh and dc the parts that flow to h_{t−1} and
// c_{t−1} directly (the caller adds dG·W_hh to dh).
func lstmStepBackward[T float](H int, m T, g, cPrev, tanhC, dOut, dh, dc, dG []T) {
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
