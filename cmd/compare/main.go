// Command compare sets training runs side by side: a table of their best validation results
// and a figure of their curves.
package main

import (
	"os"

	_ "go4.org/unsafe/assume-no-moving-gc" // Gorgonia panics at init on Go 1.26 without it

	"github.com/gorgonet/gorgonet/cmd/internal/cli"
)

func main() { os.Exit(cli.Main(newCommand(), os.Args[1:], os.Stderr)) }
