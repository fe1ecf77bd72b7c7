// Package kernels has float32 linear-algebra kernels in Go assembly with portable fallbacks:
// an SGEMM structured as GotoBLAS and BLIS do (packed panels, cache blocking, register-blocked
// micro-kernels chosen at run time), usable by any Go program without cgo.
package kernels

//go:generate go run gen_kernels.go
