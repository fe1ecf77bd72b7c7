//go:build openblas

package kernels

import "github.com/gorgonet/gorgonet/kernels/internal/openblas"

// Under -tags openblas the benchmarks compare with OpenBLAS on the same number of threads.
func init() {
	benchImpls = append(benchImpls, struct {
		name string
		fn   sgemmFunc
	}{"openblas", openblas.Sgemm})
}
