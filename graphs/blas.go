//go:build !openblas

package graphs

import (
	"github.com/gorgonet/gorgonet/kernels"
	G "gorgonia.org/gorgonia"
)

// The default build multiplies float32 matrices with the kernels package's SGEMM (Go
// assembly, no cgo), in the fused ops and in Gorgonia's own products alike.
func init() { G.Use(kernels.BLAS{}) }
