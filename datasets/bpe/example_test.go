package bpe_test

import (
	"fmt"

	"github.com/gorgonet/gorgonet/datasets/bpe"
)

func Example() {
	texts := []string{"low low low lower newest newest widest", "low low newest newest newest newest widest widest"}
	m, err := bpe.Learn(texts, 20)
	if err != nil {
		fmt.Println(err)
		return
	}
	// "h" never occurs in training: it becomes <unk> (id 1, datasets.UnkID).
	units := m.Encode("the lowest")
	fmt.Printf("%q\n", units)
	fmt.Println(m.IDs("the lowest"))
	fmt.Println(m.Decode(units))
	// Output:
	// ["▁" "t" "<unk>" "e" "▁low" "est"]
	// [6 8 1 4 22 16]
	// t<unk>e lowest
}
