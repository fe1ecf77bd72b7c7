// Package openblas is OpenBLAS's SGEMM through cgo, built only with -tags openblas: the
// yardstick of the kernels package's benchmarks.
package openblas
