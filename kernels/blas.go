package kernels

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// BLAS is gonum's pure-Go BLAS with this package's Sgemm, the BLAS that gorgonia.Use and
// tensor.Use take: gorgonia.Use(kernels.BLAS{}) makes Gorgonia's float32 matrix products use
// these kernels.
type BLAS struct {
	gonum.Implementation
	// Threads caps the cores a product uses, as SgemmThreads does; 0 means GOMAXPROCS.
	Threads int
}

// Sgemm is blas.Float32's Sgemm: C = alpha·op(A)·op(B) + beta·C, row-major.
func (b BLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, bm []float32, ldb int, beta float32, c []float32, ldc int) {
	SgemmThreads(b.Threads, transposed(tA), transposed(tB), m, n, k, alpha, a, lda, bm, ldb, beta, c, ldc)
}

func transposed(t blas.Transpose) bool {
	switch t {
	case blas.NoTrans:
		return false
	case blas.Trans, blas.ConjTrans:
		return true
	}
	panic("kernels: Sgemm: bad transpose " + string(rune(t)))
}
