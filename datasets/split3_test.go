package datasets

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
)

func TestSplit3(t *testing.T) {
	for _, tt := range []struct {
		n                         int
		valFrac, testFrac         float64
		wantTrain, wantVal, wantT int
	}{
		{100, 0.1, 0.1, 80, 10, 10},
		{3000, 0.1, 0.2, 2100, 300, 600},
		{10, 0, 0, 10, 0, 0},
		{10, 0.5, 0.5, 0, 5, 5},
		{3, 0.5, 0.5, 0, 2, 1}, // rounding never takes more than n
		{7, 0.25, 0.25, 3, 2, 2},
		{0, 0.1, 0.1, 0, 0, 0},
	} {
		name := fmt.Sprintf("Split3(%d, %v, %v)", tt.n, tt.valFrac, tt.testFrac)
		train, val, test := Split3(tt.n, tt.valFrac, tt.testFrac, 5)
		if len(train) != tt.wantTrain || len(val) != tt.wantVal || len(test) != tt.wantT {
			t.Errorf("%s: sizes %d/%d/%d, want %d/%d/%d", name, len(train), len(val), len(test), tt.wantTrain, tt.wantVal, tt.wantT)
		}
		all := slices.Concat(train, val, test)
		slices.Sort(all)
		if len(all) != tt.n || !isIdentity(all) {
			t.Errorf("%s: train, val and test are not a disjoint cover of 0..%d", name, tt.n-1)
		}
		train2, val2, test2 := Split3(tt.n, tt.valFrac, tt.testFrac, 5)
		if !reflect.DeepEqual(train, train2) || !reflect.DeepEqual(val, val2) || !reflect.DeepEqual(test, test2) {
			t.Errorf("%s: two calls with the same seed differ", name)
		}
	}

	_, val1, _ := Split3(1000, 0.1, 0.1, 1)
	if _, val2, _ := Split3(1000, 0.1, 0.1, 2); reflect.DeepEqual(val1, val2) {
		t.Error("Split3 with seeds 1 and 2 chose the same validation set")
	}
	train, _, _ := Split3(1000, 0.1, 0.1, 1)
	if slices.IsSorted(train) {
		t.Error("Split3 returned the training indices sorted; a limit would take the first examples of the file")
	}
	// The validation set is SplitValidation's, so a test fraction can be added to a config
	// without moving examples between training and validation.
	im := tinyImages(1000)
	_, valImages := SplitValidation(im, 0.1, 1)
	if !reflect.DeepEqual(val1, exampleIDs(valImages)) {
		t.Error("Split3's validation set differs from SplitValidation's for the same seed and fraction")
	}
}

func TestSplit3PanicsOnBadFractions(t *testing.T) {
	for _, f := range [][2]float64{{-0.1, 0}, {0, -0.1}, {0.6, 0.5}, {1.5, 0}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Split3(10, %v, %v) did not panic", f[0], f[1])
				}
			}()
			Split3(10, f[0], f[1], 1)
		}()
	}
}

func TestSplitByKey(t *testing.T) {
	var pairs []Pair
	for k := range 200 {
		for alt := range 1 + k%3 { // keys with one, two or three alternatives
			pairs = append(pairs, Pair{Key: fmt.Sprint("w", k), Target: []string{fmt.Sprint(alt)}})
		}
	}
	train, val, test := SplitByKey(pairs, 0.1, 0.2, 3)
	if got := len(train) + len(val) + len(test); got != len(pairs) {
		t.Errorf("SplitByKey: %d pairs out, want %d", got, len(pairs))
	}
	split := map[string]string{}
	for name, set := range map[string][]Pair{"train": train, "val": val, "test": test} {
		keys := map[string]bool{}
		for _, p := range set {
			keys[p.Key] = true
			if other, ok := split[p.Key]; ok && other != name {
				t.Errorf("key %s is in both %s and %s", p.Key, other, name)
			}
			split[p.Key] = name
		}
		want := map[string]int{"train": 140, "val": 20, "test": 40}[name]
		if len(keys) != want {
			t.Errorf("%s holds %d keys, want %d", name, len(keys), want)
		}
	}

	train2, val2, test2 := SplitByKey(pairs, 0.1, 0.2, 3)
	if !reflect.DeepEqual(train, train2) || !reflect.DeepEqual(val, val2) || !reflect.DeepEqual(test, test2) {
		t.Error("SplitByKey with the same seed gave different splits")
	}
	reversed := slices.Clone(pairs)
	slices.Reverse(reversed)
	_, valRev, _ := SplitByKey(reversed, 0.1, 0.2, 3)
	if !reflect.DeepEqual(keySet(val), keySet(valRev)) {
		t.Error("SplitByKey depends on the order of the pairs, not only on their keys")
	}
	if _, val3, _ := SplitByKey(pairs, 0.1, 0.2, 4); reflect.DeepEqual(keySet(val), keySet(val3)) {
		t.Error("SplitByKey with seeds 3 and 4 chose the same validation keys")
	}
}

func keySet(pairs []Pair) map[string]bool {
	set := map[string]bool{}
	for _, p := range pairs {
		set[p.Key] = true
	}
	return set
}

// Pairs of one group stay in one split even when their keys differ, and the fractions count
// groups.
func TestSplitByKeyKeepsGroupsWhole(t *testing.T) {
	var pairs []Pair
	for chapter := range 50 {
		for verse := range 1 + chapter%4 {
			pairs = append(pairs, Pair{Key: fmt.Sprintf("%d:%d", chapter, verse), Group: fmt.Sprint(chapter)})
		}
	}
	train, val, test := SplitByKey(pairs, 0.2, 0.2, 1)
	where := map[string]string{}
	for name, set := range map[string][]Pair{"train": train, "val": val, "test": test} {
		groups := map[string]bool{}
		for _, p := range set {
			groups[p.Group] = true
			if other, ok := where[p.Group]; ok && other != name {
				t.Errorf("chapter %s is in both %s and %s", p.Group, other, name)
			}
			where[p.Group] = name
		}
		if want := map[string]int{"train": 30, "val": 10, "test": 10}[name]; len(groups) != want {
			t.Errorf("%s holds %d chapters, want %d", name, len(groups), want)
		}
	}
}
