package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// AddRows adds b to every copied value, rounding as one float32 addition, on every path and
// for the edges; it writes nothing between rows (past cols) or past the last row, and with
// b = −0 it copies exactly, −0 and NaN payload signs included.
func TestAddRows(t *testing.T) {
	eachImpl(t, func(t *testing.T, im string) {
		r := rand.New(rand.NewPCG(5, 5))
		for _, c := range []struct{ rows, cols, ldSrc, ldDst int }{
			{1, 1, 1, 1}, {3, 7, 9, 7}, {14, 14, 16, 14}, {28, 28, 30, 28}, {5, 16, 16, 18}, {4, 17, 20, 17}, {2, 33, 33, 40},
		} {
			for _, b := range []float32{0.5, float32(math.Copysign(0, -1)), -3} {
				src := guarded((c.rows-1)*c.ldSrc+c.cols, func(int) float32 { return specialValue(r) })
				dst := guarded((c.rows-1)*c.ldDst+c.cols, func(int) float32 { return 7 })
				AddRows(dst, c.ldDst, src, c.ldSrc, c.rows, c.cols, b)
				for i := range len(dst) {
					row, col := i/c.ldDst, i%c.ldDst
					if row >= c.rows || col >= c.cols {
						if dst[i] != 7 {
							t.Fatalf("%+v: dst[%d] outside the rows changed to %v", c, i, dst[i])
						}
						continue
					}
					v := src[row*c.ldSrc+col]
					want := v + b
					if math.Signbit(float64(b)) && b == 0 {
						want = v
					}
					if !sameFloat(dst[i], want) {
						t.Fatalf("%+v b=%v: dst[%d] = %v, want %v", c, b, i, dst[i], want)
					}
				}
			}
		}
	})
}

// Sum is within n·2⁻²⁴·Σ|x| of the float64 sum on every path.
func TestSum(t *testing.T) {
	eachImpl(t, func(t *testing.T, im string) {
		r := rand.New(rand.NewPCG(6, 6))
		for _, n := range append(rowLengths, 63, 64, 65, 196, 784, 10000) {
			x := make([]float32, n)
			var want, abs float64
			for i := range x {
				x[i] = float32(r.NormFloat64()*3 + 1)
				want += float64(x[i])
				abs += math.Abs(float64(x[i]))
			}
			got := Sum(x)
			if d := math.Abs(float64(got) - want); d > float64(n+1)*eps32*abs {
				t.Errorf("n=%d: Sum %v, float64 sum %v: off by %g, more than n·2⁻²⁴·Σ|x|", n, got, want, d)
			}
		}
		if got := Sum([]float32{1, float32(math.NaN()), 2}); got == got {
			t.Errorf("Sum with a NaN is %v", got)
		}
	})
}

func TestStridedKernelsAllocate(t *testing.T) {
	dst, src := make([]float32, 28*28), make([]float32, 28*30)
	if n := testing.AllocsPerRun(10, func() {
		AddRows(dst, 28, src, 30, 28, 28, 1)
		_ = Sum(src)
	}); n != 0 {
		t.Errorf("AddRows and Sum allocate %v times per call", n)
	}
}

// Transpose moves every value to its transposed place, bits unchanged, for blocks of eight
// rows and the rows past them, and writes nothing else.
func TestTranspose(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for _, portable := range []bool{false, true} {
		forcePortablePack = portable
		for _, c := range []struct{ rows, cols, ldSrc, ldDst int }{
			{1, 1, 1, 1}, {8, 8, 8, 8}, {64, 14, 196, 64}, {32, 28, 784, 32}, {9, 5, 7, 12}, {17, 30, 31, 20}, {3, 40, 40, 3},
		} {
			src := guarded((c.rows-1)*c.ldSrc+c.cols, func(int) float32 { return specialValue(r) })
			dst := guarded((c.cols-1)*c.ldDst+c.rows, func(int) float32 { return 7 })
			Transpose(dst, c.ldDst, src, c.ldSrc, c.rows, c.cols)
			for k := range dst {
				j, i := k/c.ldDst, k%c.ldDst
				if j >= c.cols || i >= c.rows {
					if dst[k] != 7 {
						t.Fatalf("portable=%v %+v: dst[%d] outside the transpose changed to %v", portable, c, k, dst[k])
					}
					continue
				}
				if want := src[i*c.ldSrc+j]; math.Float32bits(dst[k]) != math.Float32bits(want) {
					t.Fatalf("portable=%v %+v: dst[%d][%d] = %v, want src[%d][%d] = %v", portable, c, j, i, dst[k], i, j, want)
				}
			}
		}
	}
	forcePortablePack = false
}
