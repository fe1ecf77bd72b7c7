package graphs

import (
	"unsafe"

	"github.com/gorgonet/gorgonet/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// GRU is torch.nn.GRU(input, hidden, num_layers, batch_first=True) over x (B, T, I),
// returning the top layer's outputs (B, T, H). Parameters under s, with PyTorch names and
// layouts: weight_ih_l{k} (3H, in), weight_hh_l{k} (3H, H), bias_ih_l{k} (3H), bias_hh_l{k}
// (3H), gate order r, z, n; initialised U(±1/√H) as PyTorch does:
//
//	r = σ(W_ir x + b_ir + W_hr h + b_hr)
//	z = σ(W_iz x + b_iz + W_hz h + b_hz)
//	n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
//	h' = (1 − z) ⊙ n + z ⊙ h
//
// A padded step changes nothing: h is carried through it unchanged and its output equals
// the carried h, so the output at the last time step is each sequence's state after its
// last real step. With o.Carry, layer k's State "state_l{k}" holds h (B·H values).
func GRU(s *Scope, x *G.Node, hidden int, o RecurrentOptions) *G.Node {
	return recurrent(gruKind, func() any { return &gruCell{} }, s, x, hidden, o)
}

// gruCell is the GRU's part of a recurrentOp. Its input projection holds x·W_ihᵀ + b_ih with
// b_hr and b_hz added, but not b_hn, which r scales; so the gradients w.r.t. the hidden
// projection (dGh) differ from the input projection's (the shared dGates) in the n block.
type gruCell struct {
	hh  buffer // (B, 3H) the current step's h·W_hhᵀ, each worker on its own rows
	hn  buffer // (T·B, H) W_hn h + b_hn of every step
	dGh buffer // (T·B, 3H) gradients w.r.t. h·W_hhᵀ + b_hh
}

var gruKind = cellKind{name: "gru", gates: 3, stateParts: 1}

// gruForward runs the GRU layer over the whole sequence into out (B, T, H), keeping what
// gruBPTT needs.
func gruForward[T float](op *recurrentOp, c *gruCell, v recurrentVals[T], out []T) error {
	B, S, H := op.batch, op.steps, op.hidden
	G3, dt := 3*H, dtypeOf[T]()
	hh := data[T](c.hh.get(dt, tensor.Shape{B, G3}))
	hn := data[T](c.hn.get(dt, tensor.Shape{S * B, H}))
	whhT, gates, hs, err := startForward(op, v, 2*H) // b_hr and b_hz add; b_hn stays inside r ⊙ (…)
	if err != nil {
		return err
	}
	bhn := v.bhh[2*H:]

	recur(op, v, hs, out, func(t, lo, n int) {
		gemmSerial(false, false, n, G3, H, 1, hs[(t*B+lo)*H:][:n*H], whhT, 0, hh[lo*G3:][:n*G3])
	}, func(b, _, r int, m T) {
		gruStep(H, m, gates[r*G3:][:G3], hh[b*G3:][:G3], bhn, hs[r*H:][:H], hs[(r+B)*H:][:H], hn[r*H:][:H])
	})
	saveState(op, hs[S*B*H:])
	return nil
}

// gruStep turns one row's input projection g into the activations r, z, n (in place), given
// the row's hidden projection hh (without bias) and b_hn; it keeps W_hn h + b_hn in hn and
// computes h from hPrev; with mask m = 0 h is carried unchanged.
func gruStep[T float](H int, m T, g, hh, bhn, hPrev, h, hn []T) {
	g, hh, bhn, hPrev, h, hn = g[:3*H], hh[:3*H], bhn[:H], hPrev[:H], h[:H], hn[:H]
	rz := g[:2*H]
	for j := range rz {
		rz[j] += hh[j]
	}
	activate(rz, kernels.Sigmoid, gateSigmoid)
	rg, zg, ng := g[:H], g[H:2*H], g[2*H:]
	for j := range hn {
		hn[j] = hh[2*H+j] + bhn[j]
		ng[j] += rg[j] * hn[j]
	}
	activate(ng, kernels.Tanh, gateTanh)
	for j, n := range ng {
		z := zg[j]
		h[j] = m*((1-z)*n+z*hPrev[j]) + (1-m)*hPrev[j]
	}
}

// activate applies an activation in place: vector, 16 at a time, in float32; scalar, in
// float64, otherwise.
func activate[T float](x []T, vector func(dst, src []float32), scalar func(float64) float64) {
	if unsafe.Sizeof(x[0]) == 4 {
		vector(f32(x), f32(x))
		return
	}
	for i, v := range x {
		x[i] = T(scalar(float64(v)))
	}
}

// gruBPTT back-propagates dOut (B, T, H) through the whole sequence of the last forward
// run into the gradients of x and the four parameters.
func gruBPTT[T float](op *recurrentOp, c *gruCell, v recurrentVals[T], dOut []T) {
	B, S, H := op.batch, op.steps, op.hidden
	G3, dt := 3*H, dtypeOf[T]()
	gates, hs, hn := data[T](op.gates.t), data[T](op.hs.t), data[T](c.hn.t)
	dGi, dh, dxT := backwardBuffers[T](op)
	dGh := data[T](c.dGh.get(dt, tensor.Shape{S * B, G3}))

	recurBack(op, v, func(lo, hi int) { clear(dh[lo*H : hi*H]) }, func(b, t, r int, m T) {
		gruStepBackward(H, m, gates[r*G3:][:G3], hn[r*H:][:H], hs[r*H:][:H], dOut[(b*S+t)*H:][:H], dh[b*H:][:H], dGi[r*G3:][:G3], dGh[r*G3:][:G3])
	}, func(t, lo, n int) {
		gemmSerial(false, false, n, H, G3, 1, dGh[(t*B+lo)*G3:][:n*G3], v.whh, 1, dh[lo*H:][:n*H]) // dh_{t−1} += dGh_t · W_hh
	})
	parameterGrads(op, v, dGi, dGh, dxT)
}

// gruStepBackward takes one row's gradient w.r.t. its output h_t (dOut plus dh, what the
// next step passed back), writes the gradients w.r.t. the input projection into dGi and
// w.r.t. the hidden projection into dGh, and leaves in dh the part that flows to h_{t−1}
// directly (the caller adds dGh·W_hh).
func gruStepBackward[T float](H int, m T, g, hn, hPrev, dOut, dh, dGi, dGh []T) {
	rg, zg, ng := g[:H], g[H:2*H], g[2*H:3*H]
	for j := 0; j < H; j++ {
		r, z, n := rg[j], zg[j], ng[j]
		dht := dOut[j] + dh[j]
		d := m * dht // w.r.t. the new h before masking
		dz := d * (hPrev[j] - n) * z * (1 - z)
		dn := d * (1 - z) * (1 - n*n)
		dr := dn * hn[j] * r * (1 - r)
		dGi[j], dGi[H+j], dGi[2*H+j] = dr, dz, dn
		dGh[j], dGh[H+j], dGh[2*H+j] = dr, dz, dn*r
		dh[j] = (1-m)*dht + d*z
	}
}
