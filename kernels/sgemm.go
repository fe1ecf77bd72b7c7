package kernels

import (
	"fmt"
	"runtime"
)

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices with BLAS semantics:
// op(A) is m×k (A is stored k×m when transA), op(B) is k×n (n×k when transB), C is m×n, and
// lda, ldb and ldc are the row strides. When beta is 0, C is overwritten without being read,
// so NaN or Inf in C does not reach the result. Large products use every core
// (GOMAXPROCS); see SgemmThreads. It panics on arguments that break those rules, as BLAS does.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	SgemmThreads(0, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SgemmThreads is Sgemm on at most threads cores; 0 means GOMAXPROCS. A caller that already
// runs one worker per core passes 1. Small products run on one core whatever threads says.
func SgemmThreads(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	p := problem{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc}
	if err := p.check(); err != nil {
		panic("kernels: Sgemm: " + err.Error())
	}
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		p.scaleC()
		return
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	im := active.Load()
	if im.flex && p.swapPays() {
		p = p.swapped()
	}
	if im.flex && p.direct(threads) {
		return
	}
	cl := getCall(im, threads)
	cl.p = p
	cl.start(threads)
	putCall(cl)
}

// problem is one Sgemm call's arguments.
type problem struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
	transC         bool // c holds Cᵀ: the problem was swapped (see swapped)
}

// swapPays reports whether computing Cᵀ = op(B)ᵀ·op(A)ᵀ costs less than C itself. Packing a
// transposed B gathers it element by element, several times dearer than copying rows; the
// swap packs op(A) instead and writes C transposed, which pays when A is the smaller.
func (p *problem) swapPays() bool {
	if !p.transB {
		return false // B's rows are copied as they lie: nothing to save
	}
	const gather, transposedStore = 4, 2
	packA := p.m * p.k
	if !p.transA {
		packA *= gather
	}
	return packA+transposedStore*p.m*p.n < gather*p.n*p.k
}

// swapped is the problem Cᵀ = op(B)ᵀ·op(A)ᵀ, whose result the kernels store transposed.
func (p problem) swapped() problem {
	return problem{transA: !p.transB, transB: !p.transA, m: p.n, n: p.m, k: p.k, alpha: p.alpha, beta: p.beta,
		a: p.b, lda: p.ldb, b: p.a, ldb: p.lda, c: p.c, ldc: p.ldc, transC: !p.transC}
}

// check applies the BLAS rules for shapes, strides and slice lengths.
func (p *problem) check() error {
	if p.m < 0 || p.n < 0 || p.k < 0 {
		return fmt.Errorf("negative dimension m=%d n=%d k=%d", p.m, p.n, p.k)
	}
	ar, ac := p.m, p.k
	if p.transA {
		ar, ac = p.k, p.m
	}
	br, bc := p.k, p.n
	if p.transB {
		br, bc = p.n, p.k
	}
	if err := checkMatrix("A", ar, ac, p.a, p.lda); err != nil {
		return err
	}
	if err := checkMatrix("B", br, bc, p.b, p.ldb); err != nil {
		return err
	}
	return checkMatrix("C", p.m, p.n, p.c, p.ldc)
}

func checkMatrix(name string, rows, cols int, s []float32, ld int) error {
	if ld < max(1, cols) {
		return fmt.Errorf("ld%s=%d is less than the %d columns of %s", name, ld, cols, name)
	}
	if rows > 0 && cols > 0 && len(s) < (rows-1)*ld+cols {
		return fmt.Errorf("%s has %d elements, a %d×%d matrix with stride %d needs %d", name, len(s), rows, cols, ld, (rows-1)*ld+cols)
	}
	return nil
}

// scaleC sets C = beta·C, the whole product when alpha or k is 0.
func (p *problem) scaleC() {
	for i := 0; i < p.m; i++ {
		row := p.c[i*p.ldc : i*p.ldc+p.n]
		if p.beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= p.beta
		}
	}
}

// aAt and bAt read op(A)[i, p] and op(B)[p, j].
func (p *problem) aAt(i, q int) float32 {
	if p.transA {
		return p.a[q*p.lda+i]
	}
	return p.a[i*p.lda+q]
}

func (p *problem) bAt(q, j int) float32 {
	if p.transB {
		return p.b[j*p.ldb+q]
	}
	return p.b[q*p.ldb+j]
}
