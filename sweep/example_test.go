package sweep_test

import (
	"fmt"
	"log"
	"strings"

	"github.com/gorgonet/gorgonet/sweep"
)

func ExampleFile_Expand() {
	f, err := sweep.Parse("lr.yaml", []byte(`
base: mnist-cnn
set:
  train.epochs: 1
grid:
  train.optimizer.lr: [0.001, 0.003]
  model.cnn.dropout: [0, 0.25]
`))
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range f.Expand().Runs {
		fmt.Printf("%s: %s\n", r.Name, strings.Join(r.Overrides, " "))
	}
	// Output:
	// 000-lr=0.001-dropout=0: train.epochs=1 train.optimizer.lr=0.001 model.cnn.dropout=0
	// 001-lr=0.001-dropout=0.25: train.epochs=1 train.optimizer.lr=0.001 model.cnn.dropout=0.25
	// 002-lr=0.003-dropout=0: train.epochs=1 train.optimizer.lr=0.003 model.cnn.dropout=0
	// 003-lr=0.003-dropout=0.25: train.epochs=1 train.optimizer.lr=0.003 model.cnn.dropout=0.25
}
