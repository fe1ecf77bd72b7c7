package kernels

import (
	"fmt"
	"os"
	"sync/atomic"
)

// microKernel multiplies a packed A micro-panel (kc steps of mr values) by a packed B
// micro-panel (kc steps of nr values) and writes C = alpha·acc + beta·C to an mr×nr tile of
// c with row stride ldc, or alpha·acc when load is false.
type microKernel func(kc int, a, b, c []float32, ldc int, alpha, beta float32, load bool)

// flexKernel computes a tile of up to 12 rows and 16 or 32 columns (mask has a bit per
// column: the low 16 bits for the first 16) of C = alpha·A·B + beta·C, or alpha·A·B when
// load is 0. Row r, step p of A is at a[r·rs + p·ps]; step p of B at b[p·bs].
type flexKernel func(k int, a *float32, rs, ps int, b *float32, bs int, c *float32, ldc int, mask uint32, alpha, beta float32, load int)

// impl is one micro-kernel with the blocking sized for it.
type impl struct {
	name       string
	mr, nr     int         // the register tile
	kc, nc, mc int         // depth of a k block, columns of a B block, rows of an A block
	kernel     microKernel // on packed A and B panels; nil where flex
	flex       bool        // the flex kernels compute every tile, reading A in place
}

// EnvImpl names the environment variable that picks the implementation at start-up, for
// tests of each path: avx512, avx2 or portable.
const EnvImpl = "GORGONET_SGEMM"

var active atomic.Pointer[impl]

func init() {
	name := os.Getenv(EnvImpl)
	if name == "" {
		active.Store(available()[0])
		return
	}
	if err := Use(name); err != nil {
		fmt.Fprintf(os.Stderr, "kernels: %s=%s: %v; using %s\n", EnvImpl, name, err, available()[0].name)
		active.Store(available()[0])
	}
}

// Impl names the implementation Sgemm uses.
func Impl() string { return active.Load().name }

// Impls names the implementations this CPU can run, fastest first.
func Impls() []string {
	var names []string
	for _, im := range available() {
		names = append(names, im.name)
	}
	return names
}

// Use makes Sgemm use the named implementation (one of Impls).
func Use(name string) error {
	for _, im := range available() {
		if im.name == name {
			active.Store(im)
			return nil
		}
	}
	return fmt.Errorf("no SGEMM implementation %q on this CPU (have %v)", name, Impls())
}
