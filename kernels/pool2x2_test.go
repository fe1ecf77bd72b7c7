package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// poolWindowRef is one 2×2 window pooled as a ReLU then a max pool define it, comparison by
// comparison: the window's values in the order a, b, c, d and their indices; the maximum
// is the first value above every one before it, with +0 above −0 (as Go's max has it).
func poolWindowRef(v [4]float32, idx [4]int32, relu bool) (float32, int32) {
	best, at := v[0], idx[0]
	for k := 1; k < 4; k++ {
		if v[k] > best || v[k] == 0 && best == 0 && !math.Signbit(float64(v[k])) {
			best = v[k] // a later +0 raises −0 to +0, but a's index stays: they are equal
			if v[k] > best || at < 0 {
				at = idx[k]
			}
		}
	}
	for k := range v {
		if v[k] != v[k] {
			return math.Float32frombits(0x7fc00000), -1
		}
	}
	for k := range v { // the first value equal to the maximum
		if v[k] == best {
			at = idx[k]
			break
		}
	}
	if relu && best <= 0 {
		return 0, -1
	}
	return best, at
}

// poolValue is a small integer (so that ties are frequent), or now and then ±0 or a NaN of
// either sign, or ±Inf.
func poolValue(r *rand.Rand) float32 {
	switch r.IntN(24) {
	case 0:
		return 0
	case 1:
		return float32(math.Copysign(0, -1))
	case 2:
		return float32(math.NaN())
	case 3:
		return -float32(math.NaN())
	case 4:
		return float32(math.Inf(1 - 2*r.IntN(2)))
	}
	return float32(r.IntN(7) - 3)
}

// TestMaxPool2x2 checks every path against the window-by-window reference, bit for bit (NaN
// included), and that nothing past out's or argmax's end is written: at the CNN's sizes and
// at odd ones, one plane and several, ReLU on and off, NaN-free data too (so that windows
// with ties and zeros are not mostly NaN).
func TestMaxPool2x2(t *testing.T) {
	sizes := [][2]int{{28, 28}, {14, 14}, {7, 9}, {3, 3}, {2, 2}, {1, 5}, {5, 1}, {2, 33}, {4, 64}, {6, 65}, {9, 70}, {2, 31}}
	eachImpl(t, func(t *testing.T, _ string) {
		r := rand.New(rand.NewPCG(3, 4))
		for _, sz := range sizes {
			for _, planes := range []int{1, 3} {
				for _, nans := range []bool{false, true} {
					for _, relu := range []bool{false, true} {
						inH, inW := sz[0], sz[1]
						outH, outW := inH/2, inW/2
						x := make([]float32, planes*inH*inW)
						for i := range x {
							x[i] = poolValue(r)
							for !nans && x[i] != x[i] {
								x[i] = poolValue(r)
							}
						}
						n := planes * outH * outW
						out := guarded(n, func(int) float32 { return -5 })
						argmax := make([]int32, n+8)
						for i := range argmax {
							argmax[i] = 77
						}
						const base = 1000
						MaxPool2x2(out[:n], argmax[:n], x, planes, inH, inW, base, relu)
						name := fmt.Sprintf("%d planes of %dx%d relu=%v", planes, inH, inW, relu)
						checkGuard(t, name+": out", out, n)
						for i := n; i < len(argmax); i++ {
							if argmax[i] != 77 {
								t.Fatalf("%s: argmax %d past the end changed to %d", name, i, argmax[i])
							}
						}
						for p := range planes {
							for oh := range outH {
								for ow := range outW {
									j := p*inH*inW + 2*oh*inW + 2*ow
									idx := [4]int32{int32(j), int32(j + 1), int32(j + inW), int32(j + inW + 1)}
									var v [4]float32
									for k := range v {
										v[k] = x[idx[k]]
										idx[k] += base
									}
									want, wantAt := poolWindowRef(v, idx, relu)
									o := p*outH*outW + oh*outW + ow
									if math.Float32bits(out[o]) != math.Float32bits(want) || argmax[o] != wantAt {
										t.Fatalf("%s: window (%d,%d,%d) of %v: got %v (%#x) at %d, want %v (%#x) at %d",
											name, p, oh, ow, v, out[o], math.Float32bits(out[o]), argmax[o], want, math.Float32bits(want), wantAt)
									}
								}
							}
						}
					}
				}
			}
		}
	})
}

// TestMaxPool2x2Paths checks the AVX-512 kernel against the portable code on larger random
// data, normal values and edges, where this CPU has both.
func TestMaxPool2x2Paths(t *testing.T) {
	if !avx512Here() {
		t.Skip("no AVX-512")
	}
	old := active.Load()
	defer active.Store(old)
	r := rand.New(rand.NewPCG(5, 6))
	for _, sz := range [][3]int{{64, 28, 28}, {64, 14, 14}, {5, 7, 9}, {7, 3, 3}, {2, 31, 47}} {
		planes, inH, inW := sz[0], sz[1], sz[2]
		x := make([]float32, planes*inH*inW)
		for i := range x {
			if r.IntN(2) == 0 {
				x[i] = poolValue(r)
			} else {
				x[i] = specialValue(r)
			}
		}
		n := planes * (inH / 2) * (inW / 2)
		for _, relu := range []bool{false, true} {
			var outs [2][]float32
			var args [2][]int32
			for k, im := range []*impl{avx512, portable} {
				active.Store(im)
				outs[k], args[k] = make([]float32, n), make([]int32, n)
				MaxPool2x2(outs[k], args[k], x, planes, inH, inW, 7, relu)
			}
			for i := range n {
				if math.Float32bits(outs[0][i]) != math.Float32bits(outs[1][i]) || args[0][i] != args[1][i] {
					t.Fatalf("%v relu=%v output %d: AVX-512 %v at %d, portable %v at %d", sz, relu, i, outs[0][i], args[0][i], outs[1][i], args[1][i])
				}
			}
		}
	}
}

// avx512Here reports whether the AVX-512 kernels can run on this CPU.
func avx512Here() bool {
	for _, im := range available() {
		if im == avx512 {
			return true
		}
	}
	return false
}

// TestMaxPool2x2Empty checks that empty shapes do nothing and that mismatched slices panic.
func TestMaxPool2x2Empty(t *testing.T) {
	MaxPool2x2(nil, nil, nil, 0, 28, 28, 0, true)
	MaxPool2x2(nil, nil, make([]float32, 3), 3, 1, 1, 0, true)
	defer func() {
		if recover() == nil {
			t.Fatal("no panic on a short out")
		}
	}()
	MaxPool2x2(make([]float32, 3), make([]int32, 4), make([]float32, 16), 1, 4, 4, 0, false)
}

// BenchmarkMaxPool2x2 is the reference CNN's first pool, batch 64: 32 planes of 28×28 each.
func BenchmarkMaxPool2x2(b *testing.B) {
	const planes, H, W = 64 * 32, 28, 28
	r := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, planes*H*W)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	out, argmax := make([]float32, planes*H*W/4), make([]int32, planes*H*W/4)
	old := active.Load()
	defer active.Store(old)
	for _, im := range []*impl{available()[0], portable} {
		active.Store(im)
		b.Run(im.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				MaxPool2x2(out, argmax, x, planes, H, W, 0, true)
			}
			b.ReportMetric(float64(len(x)*b.N)/b.Elapsed().Seconds()/1e9, "Ginputs/s")
		})
	}
}
