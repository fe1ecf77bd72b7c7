// Command eval reports the metrics of a trained gorgonet checkpoint on a data split.
package main

import (
	"os"

	_ "go4.org/unsafe/assume-no-moving-gc" // Gorgonia panics at init on Go 1.26 without it

	"github.com/gorgonet/gorgonet/cmd/internal/cli"
)

func main() { os.Exit(cli.Main(newCommand(), os.Args[1:], os.Stderr)) }
