package graphs

import (
	"math"

	"gorgonia.org/tensor"
)

// The "wide" im2col of stride-1 convolutions. An example is first copied into zero-padded
// planes of (H+2p)×(W+2p) = Hp×Wp pixels. Output row oh under kernel tap (ki, kj) then reads
// Wp-long stretches of padded rows ki+oh, one after another, so a tap's whole im2col row is
// ONE contiguous run of the padded planes, outH·Wp long: one copy per tap instead of one per
// tap and output row, and no border arithmetic. The price is k−1 junk columns per output row
// (positions w ≥ outW, which read the next row's first pixels): the product makes them too,
// the forward drops them when it adds the bias, and the backward feeds them zeros, so they add
// nothing to either gradient. For the CNN's 14×14 layer that is 16/14 of the product's work.

func (g convGeometry) wide() bool         { return g.stride == 1 }
func (g convGeometry) padH() int          { return g.inH + 2*g.pad }
func (g convGeometry) padW() int          { return g.inW + 2*g.pad }
func (g convGeometry) widePositions() int { return g.outH * g.padW() } // one wide im2col row

// padSize is the floats of an example's padded planes, with k−1 past the last plane that the
// last tap's run reads (into junk columns only).
func (g convGeometry) padSize() int { return g.inC*g.padH()*g.padW() + g.kernel - 1 }

// colShape is the shape of a conv2dOp's buffer for the weight gradient: every example's
// padded planes for stride 1, else every example's im2col rows.
func (g convGeometry) colShape() tensor.Shape {
	if g.wide() {
		return tensor.Shape{g.batch, g.padSize()}
	}
	return tensor.Shape{g.batch * g.patch(), g.positions()}
}

// padInto writes the example x (C, H, W) into xp (padSize floats) as zero-padded planes.
func padInto[T float](g convGeometry, x, xp []T) {
	clear(xp)
	hp, wp := g.padH(), g.padW()
	for c := range g.inC {
		for h := range g.inH {
			copy(xp[(c*hp+h+g.pad)*wp+g.pad:][:g.inW], x[(c*g.inH+h)*g.inW:][:g.inW])
		}
	}
}

// unpad is padInto's adjoint: it writes the interior of the padded planes xp into x.
func unpad[T float](g convGeometry, xp, x []T) {
	hp, wp := g.padH(), g.padW()
	for c := range g.inC {
		for h := range g.inH {
			copy(x[(c*g.inH+h)*g.inW:][:g.inW], xp[(c*hp+h+g.pad)*wp+g.pad:])
		}
	}
}

// im2colWide writes the wide im2col rows of the padded example xp into col (C·k·k,
// outH·Wp): row (c, ki, kj) is xp's run from pixel (c, ki, kj) on.
func im2colWide[T float](g convGeometry, xp, col []T) {
	hp, wp, p := g.padH(), g.padW(), g.widePositions()
	eachTap(g, col, p, func(c, ki, kj int, tap []T) {
		copy(tap, xp[(c*hp+ki)*wp+kj:][:p])
	})
}

// col2imWide is im2colWide's adjoint: it sets the padded planes dxp to the sum of the rows
// of dcol, each added onto the run it came from. dcol's junk columns must be zero.
func col2imWide[T float](g convGeometry, dcol, dxp []T) {
	clear(dxp)
	hp, wp, p := g.padH(), g.padW(), g.widePositions()
	eachTap(g, dcol, p, func(c, ki, kj int, tap []T) {
		run := dxp[(c*hp+ki)*wp+kj:][:p]
		vecAdd(run, run, tap)
	})
}

// narrowBias writes the product wide (O, outH·Wp) to out (O, outH, outW) without its junk
// columns, adding bias[o] to plane o.
func narrowBias[T float](g convGeometry, wide, bias, out []T) {
	wp, plane := g.padW(), g.positions()
	for o := range g.outC {
		addRows(out[o*plane:], g.outW, wide[o*g.widePositions():], wp, g.outH, g.outW, bias[o])
	}
}

// widen writes the output gradient dOut (O, outH, outW) as wide rows (O, outH·Wp) with zero
// junk columns (adding −0 copies exactly).
func widen[T float](g convGeometry, dOut, wide []T) {
	clear(wide)
	addRows(wide, g.padW(), dOut, g.outW, g.outC*g.outH, g.outW, T(math.Copysign(0, -1)))
}

// convForwardWide is convForward for stride 1: out_b = narrow(W · wideCol_b) + bias. It
// keeps the padded examples in padded (B, padSize) for the weight gradient.
func convForwardWide[T float](op *conv2dOp, dt tensor.Dtype, x, w, bias, padded, out []T) {
	g := op.geom
	parallel(g.batch, op.workers, func(wk, lo, hi int) {
		col := data[T](op.cols[wk].get(dt, tensor.Shape{g.patch(), g.widePositions()}))
		wide := data[T](op.wide[wk].get(dt, tensor.Shape{g.outC, g.widePositions()}))
		for b := lo; b < hi; b++ {
			xp := padded[b*g.padSize():][:g.padSize()]
			padInto(g, x[b*g.inSize():][:g.inSize()], xp)
			im2colWide(g, xp, col)
			gemmSerial(false, false, g.outC, g.widePositions(), g.patch(), 1, w, col, 0, wide)
			narrowBias(g, wide, bias, out[b*g.outSize():][:g.outSize()])
		}
	})
}

// convScratch is one backward worker's buffers: the widened output gradient, a wide im2col
// (its gradient for the input gradient), the padded planes' gradient and the weight
// gradient's accumulator.
type convScratch struct {
	dOut, col, pad, acc buffer
}

// convInputGradWide is dx_b = unpad(col2imWide(Wᵀ · widen(dOut_b))).
func convInputGradWide[T float](op *conv2dGradOp, dt tensor.Dtype, w, dOut, grad []T) {
	g := op.fwd.geom
	p := g.widePositions()
	parallel(g.batch, op.fwd.workers, func(wk, lo, hi int) {
		s := &op.scratch[wk]
		dw := data[T](s.dOut.get(dt, tensor.Shape{g.outC, p}))
		dcol := data[T](s.col.get(dt, tensor.Shape{g.patch(), p}))
		dxp := data[T](s.pad.get(dt, tensor.Shape{g.padSize()}))
		for b := lo; b < hi; b++ {
			widen(g, dOut[b*g.outSize():][:g.outSize()], dw)
			gemmSerial(true, false, g.patch(), p, g.outC, 1, w, dw, 0, dcol)
			col2imWide(g, dcol, dxp)
			unpad(g, dxp, grad[b*g.inSize():][:g.inSize()])
		}
	})
}

// widenTransposed writes the output gradient dOut (O, outH, outW) transposed, as wide
// positions (outH·Wp, O) with zero junk rows.
func widenTransposed[T float](g convGeometry, dOut, wideT []T) {
	clear(wideT)
	for oh := range g.outH {
		transpose(wideT[oh*g.padW()*g.outC:], g.outC, dOut[oh*g.outW:], g.positions(), g.outC, g.outW)
	}
}

// convWeightGradWide is dW = Σ_b widen(dOut_b) · wideCol_bᵀ, computed transposed, dWᵀ =
// Σ_b wideCol_b · widen(dOut_b)ᵀ, so that the product reads both factors row by row in place
// (a transposed factor would be packed and its result tiles transposed back), summed per
// worker into acc (C·k·k, O). wideCol_b is made again from the padded example.
func convWeightGradWide[T float](op *conv2dGradOp, dt tensor.Dtype, padded, dOut []T) {
	g := op.fwd.geom
	p := g.widePositions()
	parallel(g.batch, op.fwd.workers, func(wk, lo, hi int) {
		s := &op.scratch[wk]
		dwT := data[T](s.dOut.get(dt, tensor.Shape{p, g.outC}))
		col := data[T](s.col.get(dt, tensor.Shape{g.patch(), p}))
		acc := data[T](s.acc.get(dt, tensor.Shape{g.patch(), g.outC}))
		clear(acc)
		for b := lo; b < hi; b++ {
			im2colWide(g, padded[b*g.padSize():][:g.padSize()], col)
			widenTransposed(g, dOut[b*g.outSize():][:g.outSize()], dwT)
			gemmSerial(false, false, g.patch(), g.outC, p, 1, col, dwT, 1, acc)
		}
	})
}
