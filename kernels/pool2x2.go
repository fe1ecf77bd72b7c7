package kernels

import "math"

// nan32 is the quiet NaN a pooling window with a NaN gives, on every path.
var nan32 = math.Float32frombits(0x7fc00000)

// MaxPool2x2 max-pools planes planes of inH×inW float32 values, stored one after another in
// x, with 2×2 windows of stride 2 and no padding (floor mode: outH = inH/2, outW = inW/2, an
// odd last row or column is left out), optionally behind a ReLU. out and argmax take the
// planes×outH×outW results, plane by plane and row by row; the lengths must be exactly
// these.
//
// For the window a b / c d (top-left, top-right, bottom-left, bottom-right) out is
// max(a, b, c, d) as Go's max takes it (+0 above −0), and argmax the index of the first of
// a, b, c, d equal to it (so −0 and +0 tie), counted from base at x[0]: the index in the
// caller's flat indexing when x starts at its element base. A window with a NaN gives the
// quiet NaN 0x7fc00000 and argmax −1. With relu, out is max(out, 0) (so −0 becomes +0) and
// argmax is −1 where the maximum is ≤ 0: the ReLU's gradient is 0 there. These are the
// values of a ReLU followed by a max pool, with the pool's gradient routed to argmax.
//
// On AVX-512 (vectorMath) a row of windows takes 16 at a time; elsewhere, and under
// GORGONET_SGEMM=portable, one at a time. Both paths give the same bits. Nothing past the
// slices' lengths is read or written; base + len(x) must fit in an int32.
func MaxPool2x2(out []float32, argmax []int32, x []float32, planes, inH, inW int, base int32, relu bool) {
	if planes < 0 || inH < 0 || inW < 0 {
		panic("kernels: MaxPool2x2: negative size")
	}
	outH, outW := inH/2, inW/2
	if len(x) != planes*inH*inW || len(out) != planes*outH*outW || len(argmax) != len(out) {
		panic("kernels: MaxPool2x2: slice lengths do not match the shape")
	}
	if base < 0 || int64(base)+int64(len(x)) > math.MaxInt32+1 {
		panic("kernels: MaxPool2x2: indices do not fit in an int32")
	}
	if len(out) == 0 {
		return
	}
	if vectorMath() {
		maxPool2x2AVX512(&out[0], &argmax[0], &x[0], planes, inH, inW, base, relu)
		return
	}
	inPlane, outPlane := inH*inW, outH*outW
	for p := range planes {
		for oh := range outH {
			o := p*outPlane + oh*outW
			maxPool2x2Row(out[o:o+outW], argmax[o:o+outW], x, p*inPlane+2*oh*inW, inW, base, relu)
		}
	}
}

// maxPool2x2Row is MaxPool2x2 for one row of windows, the first with its top-left value at
// x[i], for rows of W values. The comparisons whose outcome is a coin flip on activations
// (which value is the maximum, whether the ReLU cuts it) are integer ones, which compile to
// conditional moves: a float32's bits, as an int32, are ≤ 0 exactly when it is ≤ 0, and
// equalKey makes float equality integer equality.
func maxPool2x2Row(out []float32, argmax []int32, x []float32, i, W int, base int32, relu bool) {
	_ = x[i+2*len(out)-1+W]
	cut := int32(math.MinInt32) // the ReLU cuts bits below cut: none without it, ≤ 0 with it
	if relu {
		cut = 1
	}
	for ow := range out {
		j := i + 2*ow
		a, b, c, d := x[j], x[j+1], x[j+W], x[j+W+1]
		best := max(max(a, b), max(c, d)) // NaN if any is NaN
		kb := equalKey(best)
		at := base + int32(j+W+1)
		if equalKey(c) == kb {
			at = base + int32(j+W)
		}
		if equalKey(b) == kb {
			at = base + int32(j+1)
		}
		if equalKey(a) == kb {
			at = base + int32(j)
		}
		if int32(math.Float32bits(best)) < cut {
			at = -1
		}
		if relu {
			best = max(best, 0)
		}
		if best != best { // rare: a predictable branch
			best, at = nan32, -1
		}
		out[ow], argmax[ow] = best, at
	}
}

// equalKey maps float32s that are not NaN to int32s equal exactly when the floats are: the
// bits, with negative values' magnitude bits flipped and then 1 added, so that −0 meets +0.
func equalKey(v float32) int32 {
	k := int32(math.Float32bits(v))
	s := k >> 31 // −1 for negative values
	return k ^ int32(uint32(s)>>1) - s
}
