//go:build !amd64

package kernels

func available() []*impl { return []*impl{portable} }
