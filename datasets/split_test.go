package datasets

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
)

func TestSplitValidation(t *testing.T) {
	im := tinyImages(1000)
	for _, tt := range []struct {
		frac    float64
		wantVal int
	}{{0, 0}, {0.1, 100}, {0.25, 250}, {0.3333, 333}, {0.0005, 1}, {0.0004, 0}, {1, 1000}} {
		tr, val := SplitValidation(im, tt.frac, 7)
		if val.N != tt.wantVal || tr.N != im.N-tt.wantVal {
			t.Errorf("SplitValidation(%v): train %d, val %d; want %d, %d", tt.frac, tr.N, val.N, im.N-tt.wantVal, tt.wantVal)
		}
		all := append(exampleIDs(tr), exampleIDs(val)...)
		slices.Sort(all)
		if !isIdentity(all) {
			t.Errorf("SplitValidation(%v): train and val are not a disjoint cover of the examples", tt.frac)
		}
		for i, id := range exampleIDs(val) {
			if val.Labels[i] != im.Labels[id] {
				t.Fatalf("SplitValidation(%v): val example %d has label %d, want %d", tt.frac, id, val.Labels[i], im.Labels[id])
			}
		}
	}

	tr1, val1 := SplitValidation(im, 0.1, 7)
	tr2, val2 := SplitValidation(im, 0.1, 7)
	if !reflect.DeepEqual(tr1, tr2) || !reflect.DeepEqual(val1, val2) {
		t.Error("SplitValidation with the same seed gave different splits")
	}
	if _, val3 := SplitValidation(im, 0.1, 8); reflect.DeepEqual(exampleIDs(val1), exampleIDs(val3)) {
		t.Error("SplitValidation with seeds 7 and 8 chose the same validation set")
	}
	if ids := exampleIDs(tr1); slices.IsSorted(ids) {
		t.Error("SplitValidation left the training set in file order; Limit relies on it being shuffled")
	}
}

func TestSplitThenLimitIsBalanced(t *testing.T) {
	train, _ := loadEmbeddedForTest(t)
	tr, val := SplitValidation(train, 0.1, 1)
	if tr.N != 54000 || val.N != 6000 {
		t.Fatalf("SplitValidation(MNIST, 0.1): %d/%d, want 54000/6000", tr.N, val.N)
	}
	for class, count := range histogram(tr.Limit(1000)) {
		if count < 60 || count > 150 {
			t.Errorf("first 1000 shuffled training examples hold %d of class %d, want 60..150", count, class)
		}
	}
}

func isIdentity(p []int) bool {
	for i, v := range p {
		if v != i {
			return false
		}
	}
	return true
}

func TestEpochOrder(t *testing.T) {
	for _, n := range []int{0, 1, 2, 10, 1000} {
		got := EpochOrder(n, 42, 3)
		sorted := slices.Sorted(slices.Values(got))
		if len(got) != n || !isIdentity(sorted) {
			t.Errorf("EpochOrder(%d) = %v, not a permutation of 0..%d", n, got, n-1)
		}
	}

	// Golden orders: a change here breaks exact resume of existing runs.
	for _, tt := range []struct {
		seed  uint64
		epoch int
		want  []int
	}{
		{1, 0, []int{1, 7, 2, 4, 9, 0, 6, 3, 5, 8}},
		{1, 1, []int{5, 2, 4, 9, 0, 8, 1, 3, 7, 6}},
		{2, 0, []int{9, 4, 7, 6, 3, 1, 2, 0, 8, 5}},
	} {
		if got := EpochOrder(10, tt.seed, tt.epoch); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("EpochOrder(10, %d, %d) = %v, want %v", tt.seed, tt.epoch, got, tt.want)
		}
	}

	if !reflect.DeepEqual(EpochOrder(1000, 5, 2), EpochOrder(1000, 5, 2)) {
		t.Error("EpochOrder is not deterministic")
	}
	seen := map[string]int{}
	for epoch := range 20 {
		key := fmt.Sprint(EpochOrder(1000, 5, epoch))
		if prev, dup := seen[key]; dup {
			t.Errorf("epochs %d and %d have the same order", prev, epoch)
		}
		seen[key] = epoch
	}
	if reflect.DeepEqual(EpochOrder(1000, 5, 0), EpochOrder(1000, 6, 0)) {
		t.Error("seeds 5 and 6 give the same order")
	}
}

func TestEpochOrderIsUniform(t *testing.T) {
	// Over 4000 epochs each of 4 values should lead about 1000 times.
	var first [4]int
	for epoch := range 4000 {
		first[EpochOrder(4, 9, epoch)[0]]++
	}
	for v, count := range first {
		if count < 880 || count > 1120 {
			t.Errorf("value %d came first in %d of 4000 epochs, want about 1000", v, count)
		}
	}
}

func TestBatches(t *testing.T) {
	for _, tt := range []struct {
		n, batchSize int
		wantSizes    []int
	}{
		{10, 3, []int{3, 3, 3, 1}},
		{9, 3, []int{3, 3, 3}},
		{2, 5, []int{2}},
		{5, 1, []int{1, 1, 1, 1, 1}},
		{0, 4, []int{}},
	} {
		order := EpochOrder(tt.n, 1, 0)
		batches := Batches(order, tt.batchSize)
		sizes := []int{}
		var joined []int
		for _, b := range batches {
			sizes = append(sizes, len(b))
			joined = append(joined, b...)
		}
		if !reflect.DeepEqual(sizes, tt.wantSizes) {
			t.Errorf("Batches(%d examples, %d) sizes = %v, want %v", tt.n, tt.batchSize, sizes, tt.wantSizes)
		}
		if !slices.Equal(joined, order) {
			t.Errorf("Batches(%d examples, %d) joined = %v, want %v", tt.n, tt.batchSize, joined, order)
		}
	}

	defer func() {
		if recover() == nil {
			t.Error("Batches with batch size 0 did not panic")
		}
	}()
	Batches([]int{1, 2}, 0)
}
