package datasets

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
)

// Streams keep the split and the epoch orders independent for the same seed.
const (
	splitStream = 0x73706c6974 // "split"
	epochStream = 0x65706f6368 // "epoch"
)

// SplitValidation holds out round(valFraction*N) examples of train (chosen by a seeded
// permutation) as validation; returns the remaining training set, shuffled by the same
// permutation, and the validation set. valFraction 0 gives a validation set with N=0.
// It panics unless 0 <= valFraction <= 1 (configs validate it first).
func SplitValidation(train *Images, valFraction float64, seed uint64) (tr, val *Images) {
	if !(valFraction >= 0 && valFraction <= 1) {
		panic(fmt.Sprintf("datasets: SplitValidation: valFraction %v is outside [0, 1]", valFraction))
	}
	nVal := int(math.Round(valFraction * float64(train.N)))
	order := permutation(train.N, seed, splitStream)
	return train.Subset(order[nVal:]), train.Subset(order[:nVal])
}

// EpochOrder returns the example order for an epoch: a permutation of 0..n-1 that depends only
// on (seed, epoch), so a resumed run can recompute it exactly.
func EpochOrder(n int, seed uint64, epoch int) []int {
	return permutation(n, seed, epochStream^mix64(uint64(epoch)))
}

// Batches cuts order into consecutive batches of size batchSize; the last batch is shorter when
// len(order) is not a multiple (never dropped). The batches share order's memory.
func Batches(order []int, batchSize int) [][]int {
	if batchSize <= 0 {
		panic(fmt.Sprintf("datasets: Batches: batch size %d is not positive", batchSize))
	}
	batches := make([][]int, 0, (len(order)+batchSize-1)/batchSize)
	for start := 0; start < len(order); start += batchSize {
		end := min(start+batchSize, len(order))
		batches = append(batches, order[start:end:end])
	}
	return batches
}

// permutation is a Fisher-Yates shuffle of 0..n-1 driven by PCG(seed, mix64(stream)). It does its
// own bounded draws instead of rand.Perm so that orders stay the same across Go releases.
func permutation(n int, seed, stream uint64) []int {
	src := rand.NewPCG(seed, mix64(stream))
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := uniform(src, uint64(i+1))
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// uniform returns a uniform integer in [0, n) (Lemire's multiply-and-reject method).
func uniform(src *rand.PCG, n uint64) uint64 {
	hi, lo := bits.Mul64(src.Uint64(), n)
	if lo < n {
		threshold := -n % n
		for lo < threshold {
			hi, lo = bits.Mul64(src.Uint64(), n)
		}
	}
	return hi
}

// mix64 is the SplitMix64 finaliser: nearby inputs (epoch 3, epoch 4) give unrelated PCG streams.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
