package kernels

// portable is the pure-Go implementation, for CPUs without AVX2 and for tests of the
// blocking and packing on every machine.
var portable = &impl{name: "portable", mr: 4, nr: 4, kc: 256, nc: 512, mc: 512, kernel: kernel4x4}

// kernel4x4 is the portable micro-kernel: a 4×4 tile of C from packed panels, its sixteen
// accumulators in registers.
func kernel4x4(kc int, a, b, c []float32, ldc int, alpha, beta float32, load bool) {
	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 float32
	a, b = a[:4*kc], b[:4*kc]
	for p := 0; p < kc; p++ {
		av, bv := a[4*p:4*p+4], b[4*p:4*p+4]
		a0, a1, a2, a3 := av[0], av[1], av[2], av[3]
		b0, b1, b2, b3 := bv[0], bv[1], bv[2], bv[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	rows := [4][4]float32{{c00, c01, c02, c03}, {c10, c11, c12, c13}, {c20, c21, c22, c23}, {c30, c31, c32, c33}}
	for r := range rows {
		row := c[r*ldc : r*ldc+4]
		for j, v := range rows[r] {
			if load {
				row[j] = alpha*v + beta*row[j]
			} else {
				row[j] = alpha * v
			}
		}
	}
}
