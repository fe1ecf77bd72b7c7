// Command sgemm-impls prints the SGEMM implementations this CPU runs, one a line, fastest
// first: the values GORGONET_SGEMM takes. CI runs the test suite once on each.
package main

import (
	"fmt"

	"github.com/gorgonet/gorgonet/kernels"
)

func main() {
	for _, name := range kernels.Impls() {
		fmt.Println(name)
	}
}
