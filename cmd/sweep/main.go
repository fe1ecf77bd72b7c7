// Command sweep runs many variants of a gorgonet experiment from one sweep file, on a local
// worker pool or as a Slurm job array, and ranks their results.
package main

import (
	"os"

	_ "go4.org/unsafe/assume-no-moving-gc" // Gorgonia panics at init on Go 1.26 without it

	"github.com/gorgonet/gorgonet/cmd/internal/cli"
)

func main() { os.Exit(cli.Main(newCommand(), os.Args[1:], os.Stderr)) }
