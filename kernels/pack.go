package kernels

import "unsafe"

// packA copies rows [i0, i0+mc) and columns [q0, q0+kc) of op(A) into dst as micro-panels
// of mr rows, each stored k step by k step (mr values a step), padding the last panel with
// zeros.
func (p *problem) packA(dst []float32, mr, i0, mc, q0, kc int) {
	for ip := 0; ip*mr < mc; ip++ {
		d := dst[ip*mr*kc : (ip+1)*mr*kc]
		i, rows := i0+ip*mr, min(mr, mc-ip*mr)
		if p.transA {
			for q := 0; q < kc; q++ {
				row := d[q*mr : q*mr+mr]
				copy(row, p.a[(q0+q)*p.lda+i:][:rows])
				clear(row[rows:])
			}
			continue
		}
		for r := 0; r < rows; r++ {
			src := p.a[(i+r)*p.lda+q0:][:kc]
			for q, v := range src {
				d[q*mr+r] = v
			}
		}
		for r := rows; r < mr; r++ {
			for q := 0; q < kc; q++ {
				d[q*mr+r] = 0
			}
		}
	}
}

// packStripe copies rows [i0, i0+rows) (rows ≤ 12) and columns [q0, q0+kc) of op(A) into
// dst and returns its strides for the flex kernels. A in place at a power-of-two stride puts
// every row (or every k step) in one set of L1; in dst rows lie kc+16 apart (A's own layout,
// copied row by row) or k steps 12 apart (a transposed A, copied step by step).
func (p *problem) packStripe(dst []float32, i0, rows, q0, kc int) (rs, ps int) {
	if p.transA {
		if rows == 12 {
			for q := 0; q < kc; q++ {
				*(*[12]float32)(dst[q*12:]) = *(*[12]float32)(p.a[(q0+q)*p.lda+i0:])
			}
			return 1, 12
		}
		for q := 0; q < kc; q++ {
			copy(dst[q*12:q*12+rows], p.a[(q0+q)*p.lda+i0:][:rows])
		}
		return 1, 12
	}
	ld := kc + 16
	for r := 0; r < rows; r++ {
		copy(dst[r*ld:r*ld+kc], p.a[(i0+r)*p.lda+q0:][:kc])
	}
	return ld, 1
}

// packB copies rows [q0, q0+kc) and columns [j0, j0+nc) of op(B) into dst as micro-panels
// of nr columns, each stored k step by k step (nr values a step), zero-padded.
func (p *problem) packB(dst []float32, nr, q0, kc, j0, nc int) {
	for jp := 0; jp*nr < nc; jp++ {
		d := dst[jp*nr*kc : (jp+1)*nr*kc]
		j, cols := j0+jp*nr, min(nr, nc-jp*nr)
		if !p.transB {
			for q := 0; q < kc; q++ {
				row := d[q*nr : q*nr+nr]
				copy(row, p.b[(q0+q)*p.ldb+j:][:cols])
				clear(row[cols:])
			}
			continue
		}
		c := 0
		for ; c+8 <= cols; c += 8 {
			transpose8(d[c:], nr, p.b[(j+c)*p.ldb+q0:], p.ldb, kc)
		}
		for ; c+4 <= cols; c += 4 {
			transpose4(d[c:], nr, p.b[(j+c)*p.ldb+q0:], p.ldb, kc)
		}
		for ; c < cols; c++ {
			src := p.b[(j+c)*p.ldb+q0:][:kc]
			for q, v := range src {
				d[q*nr+c] = v
			}
		}
		for c := cols; c < nr; c++ {
			for q := 0; q < kc; q++ {
				d[q*nr+c] = 0
			}
		}
	}
}

// grow returns buf with length n, reallocated 64-byte aligned (a cache line, a zmm load)
// when it is too small.
func grow(buf []float32, n int) []float32 {
	if cap(buf) >= n {
		return buf[:n]
	}
	raw := make([]float32, n+16)
	off := int((64 - uintptr(unsafe.Pointer(&raw[0]))%64) % 64 / 4)
	return raw[off : off+n : off+n]
}

// transpose8 writes rows 0-7 of src (row stride ld, kc columns) as columns 0-7 of dst (row
// stride nr), 8×8 blocks in AVX2 registers where the CPU has them.
func transpose8(dst []float32, nr int, src []float32, ld, kc int) {
	if kc == 0 {
		return
	}
	_ = src[7*ld+kc-1] // the asm reads inside rows 0-7, kc columns
	_ = dst[(kc-1)*nr+7]
	q := 0
	if blocks := kc / 8; hasTranspose8 && blocks > 0 && !forcePortablePack {
		transpose8AVX2(&dst[0], nr, &src[0], ld, blocks)
		q = blocks * 8
	}
	if q < kc {
		transpose4(dst[q*nr:], nr, src[q:], ld, kc-q)
		transpose4(dst[q*nr+4:], nr, src[4*ld+q:], ld, kc-q)
	}
}

// forcePortablePack makes transpose8 use the Go loop, for its test.
var forcePortablePack = false

// transpose4 writes rows 0-3 of src (row stride ld, kc columns) as columns 0-3 of dst (row
// stride nr): four adjacent values a step, so each step writes one cache line, not four.
func transpose4(dst []float32, nr int, src []float32, ld, kc int) {
	s0, s1, s2, s3 := src[:kc], src[ld:ld+kc], src[2*ld:2*ld+kc], src[3*ld:3*ld+kc]
	for q := range s0 {
		d := dst[q*nr : q*nr+4]
		d[0], d[1], d[2], d[3] = s0[q], s1[q], s2[q], s3[q]
	}
}
