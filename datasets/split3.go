package datasets

import (
	"fmt"
	"math"
	"slices"
)

// Split3 cuts a seeded permutation of 0..n-1 into validation (the first round(valFrac*n)), test
// (the next round(testFrac*n)) and training (the rest) index lists, each in permutation order so
// that a limit on the training list takes a random sample. The validation list equals
// SplitValidation's for the same seed and fraction. It panics unless both fractions are in
// [0, 1] and add up to at most 1 (configs validate them first).
func Split3(n int, valFrac, testFrac float64, seed uint64) (train, val, test []int) {
	checkFractions("Split3", valFrac, testFrac)
	order := permutation(n, seed, splitStream)
	nVal, nTest := splitSizes(n, valFrac, testFrac)
	return order[nVal+nTest:], order[:nVal:nVal], order[nVal : nVal+nTest : nVal+nTest]
}

// splitSizes rounds the validation and test fractions of n; rounding never takes more than n.
func splitSizes(n int, valFrac, testFrac float64) (nVal, nTest int) {
	nVal = int(math.Round(valFrac * float64(n)))
	nTest = min(int(math.Round(testFrac*float64(n))), n-nVal)
	return nVal, nTest
}

func checkFractions(fn string, valFrac, testFrac float64) {
	if !(valFrac >= 0 && testFrac >= 0 && valFrac+testFrac <= 1) {
		panic(fmt.Sprintf("datasets: %s: fractions val %v and test %v must be non-negative and add up to at most 1", fn, valFrac, testFrac))
	}
}

// SplitByKey splits pairs into training, validation and test sets by Key (by Group where it is
// set), so that the alternatives of one key (a word's pronunciations, a phrase's translations)
// are always in the same set and evaluation can accept any of them. The fractions are of
// distinct keys (groups); the split depends only on the set of keys and the seed, not on the order of pairs. Within a set, keys
// come in a seeded random order and a key's pairs keep their input order. It panics on bad
// fractions, as Split3 does.
func SplitByKey(pairs []Pair, valFrac, testFrac float64, seed uint64) (train, val, test []Pair) {
	checkFractions("SplitByKey", valFrac, testFrac)
	byKey := map[string][]int{}
	for i, p := range pairs {
		k := p.Key
		if p.Group != "" {
			k = p.Group
		}
		byKey[k] = append(byKey[k], i)
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.Sort(keys) // the permutation then depends on the key set only
	trainKeys, valKeys, testKeys := Split3(len(keys), valFrac, testFrac, seed)
	gather := func(keyIdx []int) []Pair {
		var out []Pair
		for _, k := range keyIdx {
			for _, i := range byKey[keys[k]] {
				out = append(out, pairs[i])
			}
		}
		return out
	}
	return gather(trainKeys), gather(valKeys), gather(testKeys)
}
