//go:build openblas

package graphs

// With -tags openblas the fused ops multiply with OpenBLAS through cgo instead of gonum's
// pure-Go kernels. It needs Debian's libopenblas-dev; set OPENBLAS_NUM_THREADS=1 (the ops
// already split batches over the cores) and, on CPUs this OpenBLAS does not know,
// OPENBLAS_CORETYPE (see BENCHMARKS.md).

// #cgo LDFLAGS: -lopenblas
import "C"

import (
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
)

func init() { G.Use(netlib.Implementation{}) }
