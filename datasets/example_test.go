package datasets_test

import (
	"fmt"

	"github.com/gorgonet/gorgonet/datasets"
)

func ExampleLoadMNIST() {
	train, test, err := datasets.LoadMNIST("") // the copy embedded in the binary
	if err != nil {
		fmt.Println(err)
		return
	}
	tr, val := datasets.SplitValidation(train, 0.1, 1)
	fmt.Println(tr.N, val.N, test.N, test.Rows, test.Cols, test.Classes[test.Labels[0]])
	// Output: 54000 6000 10000 28 28 7
}

func ExampleBatches() {
	order := datasets.EpochOrder(10, 1, 0)
	for _, batch := range datasets.Batches(order, 4) {
		fmt.Println(batch)
	}
	// Output:
	// [1 7 2 4]
	// [9 0 6 3]
	// [5 8]
}
