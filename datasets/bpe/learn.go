package bpe

import (
	"cmp"
	"container/heap"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// minPairCount is the fewest occurrences a pair needs to be merged, subword-nmt's default
// (--min-frequency 2): a pair seen once would only memorise one rare word.
const minPairCount = 2

// Learn learns a BPE model from texts (Normalize'd and split into words at spaces), merging
// the most frequent adjacent pair of units again and again until there are vocabSize distinct
// units (all base characters seen in texts, Marker among them, plus the merged ones) or no pair
// occurs twice. Ties between equally frequent pairs go to the smaller left unit, then the smaller
// right unit, in byte order, so learning is deterministic and needs no seed. A merge that would
// spell one of datasets' special tokens ("<unk>", ...) is skipped. Learn fails when texts hold no
// word or vocabSize is below the number of distinct characters.
//
// Pair counts are kept up to date incrementally (an index from each pair to the words holding
// it), so a merge costs time in the words it touches, not in the corpus.
func Learn(texts []string, vocabSize int) (*Model, error) {
	counts := map[string]int{}
	for _, t := range texts {
		for _, w := range words(Normalize(t)) {
			counts[Marker+w]++
		}
	}
	if len(counts) == 0 {
		return nil, errors.New("bpe: the training texts hold no words")
	}
	l := newLearner(counts)
	chars := l.alphabet()
	if vocabSize < len(chars) {
		return nil, fmt.Errorf("bpe: vocabulary size %d is below the %d distinct characters of the training texts", vocabSize, len(chars))
	}
	m, err := newModel(chars, l.learn(vocabSize-len(chars)))
	if err != nil {
		return nil, fmt.Errorf("bpe: %v", err)
	}
	return m, nil
}

// pair is two adjacent units, by symbol id.
type pair struct{ a, b int32 }

// learner holds the distinct words of a corpus as sequences of symbol ids and the counts of
// their adjacent pairs.
type learner struct {
	syms   []string         // symbol id → unit
	symID  map[string]int32 // unit → symbol id
	words  [][]int32        // distinct words, in byte order
	freq   []int            // occurrences of each word
	pairs  map[pair]int     // occurrences of each pair, weighted by word counts
	where  map[pair][]int32 // words that hold (or once held) each pair; may repeat a word
	queue  pairQueue        // every (pair, count) ever current; stale entries are skipped
	banned map[string]bool  // units a merge must not spell
	stamp  []int            // per word: the last merge that rewrote it
	sites  []int            // scratch: where a merge applies in one word
}

func newLearner(counts map[string]int) *learner {
	l := &learner{symID: map[string]int32{}, pairs: map[pair]int{}, where: map[pair][]int32{}, banned: map[string]bool{}}
	for _, s := range specials() {
		l.banned[s] = true
	}
	for _, w := range slices.Sorted(maps.Keys(counts)) {
		seq := make([]int32, 0, len(w))
		for _, r := range w {
			seq = append(seq, l.symbol(string(r)))
		}
		l.words = append(l.words, seq)
		l.freq = append(l.freq, counts[w])
	}
	l.stamp = make([]int, len(l.words))
	for i, seq := range l.words {
		for j := 0; j+1 < len(seq); j++ {
			p := pair{seq[j], seq[j+1]}
			l.pairs[p] += l.freq[i]
			l.where[p] = append(l.where[p], int32(i))
		}
	}
	l.queue.syms = l.syms
	for p, n := range l.pairs {
		l.queue.entries = append(l.queue.entries, queued{p, n})
	}
	heap.Init(&l.queue)
	return l
}

// symbol returns the id of unit s, adding it when new.
func (l *learner) symbol(s string) int32 {
	if id, ok := l.symID[s]; ok {
		return id
	}
	id := int32(len(l.syms))
	l.syms = append(l.syms, s)
	l.symID[s] = id
	return id
}

// alphabet is every character of the corpus, most frequent first, ties in byte order.
func (l *learner) alphabet() []string {
	counts := make([]int, len(l.syms))
	for i, seq := range l.words {
		for _, s := range seq {
			counts[s] += l.freq[i]
		}
	}
	chars := slices.Clone(l.syms)
	slices.SortFunc(chars, func(a, b string) int {
		if c := cmp.Compare(counts[l.symID[b]], counts[l.symID[a]]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return chars
}

// learn merges pairs until newUnits units have been added or no pair occurs minPairCount
// times, and returns the merges in order.
func (l *learner) learn(newUnits int) []Merge {
	var merges []Merge
	delta := map[pair]int{}
	for added := 0; added < newUnits; {
		p, ok := l.best()
		if !ok {
			break
		}
		merged := l.syms[p.a] + l.syms[p.b]
		if _, exists := l.symID[merged]; !exists {
			added++
		}
		c := l.symbol(merged)
		l.queue.syms = l.syms
		merges = append(merges, Merge{l.syms[p.a], l.syms[p.b]})
		clear(delta)
		l.apply(p, c, len(merges), delta)
		for q, d := range delta {
			if d == 0 {
				continue
			}
			l.pairs[q] += d
			if l.pairs[q] == 0 {
				delete(l.pairs, q)
				continue
			}
			heap.Push(&l.queue, queued{q, l.pairs[q]})
		}
	}
	return merges
}

// best pops the most frequent current pair that may be merged.
func (l *learner) best() (pair, bool) {
	for l.queue.Len() > 0 {
		e := heap.Pop(&l.queue).(queued)
		if l.pairs[e.p] != e.count || l.banned[l.syms[e.p.a]+l.syms[e.p.b]] {
			continue // stale, or spells a special token
		}
		if e.count < minPairCount {
			return pair{}, false
		}
		return e.p, true
	}
	return pair{}, false
}

// apply rewrites every word holding p with p merged into c, recording in delta how the pair
// counts change and indexing the words under the pairs that c forms.
func (l *learner) apply(p pair, c int32, stamp int, delta map[pair]int) {
	for _, wi := range l.where[p] {
		if l.stamp[wi] == stamp {
			continue // listed twice
		}
		l.stamp[wi] = stamp
		l.rewrite(wi, p, c, delta)
	}
	delete(l.where, p)
}

// rewrite merges each occurrence of p in word wi, left to right without overlap, into c. Only
// pairs touching a merged position change: those of the old word go out of delta, those of the
// new word come in, and the new ones (all holding c) index wi.
func (l *learner) rewrite(wi int32, p pair, c int32, delta map[pair]int) {
	seq, f := l.words[wi], l.freq[wi]
	sites := l.sites[:0]
	for j := 0; j+1 < len(seq); j++ {
		if seq[j] == p.a && seq[j+1] == p.b {
			sites = append(sites, j)
			j++
		}
	}
	l.sites = sites
	if len(sites) == 0 {
		return // the word no longer holds p
	}
	last := -1 // the last pair index counted, so adjacent sites share their middle pair once
	for _, j := range sites {
		for k := max(j-1, last+1); k <= j+1 && k+1 < len(seq); k++ {
			delta[pair{seq[k], seq[k+1]}] -= f
			last = k
		}
	}
	out, next := 0, 0
	for j := 0; j < len(seq); j++ {
		if next < len(sites) && sites[next] == j {
			sites[next] = out // now the merged unit's position in the new word
			seq[out] = c
			next++
			j++
		} else {
			seq[out] = seq[j]
		}
		out++
	}
	seq = seq[:out]
	l.words[wi] = seq
	last = -1
	for _, q := range sites {
		for k := max(q-1, last+1); k <= q && k+1 < len(seq); k++ {
			np := pair{seq[k], seq[k+1]}
			delta[np] += f
			l.where[np] = append(l.where[np], wi)
			last = k
		}
	}
}

// queued is a pair with its count at the time it was queued.
type queued struct {
	p     pair
	count int
}

// pairQueue is a max-heap of pairs: highest count first, then the smaller left unit, then the
// smaller right unit, in byte order.
type pairQueue struct {
	entries []queued
	syms    []string
}

func (q *pairQueue) Len() int { return len(q.entries) }

func (q *pairQueue) Less(i, j int) bool {
	a, b := q.entries[i], q.entries[j]
	if a.count != b.count {
		return a.count > b.count
	}
	if c := strings.Compare(q.syms[a.p.a], q.syms[b.p.a]); c != 0 {
		return c < 0
	}
	return q.syms[a.p.b] < q.syms[b.p.b]
}

func (q *pairQueue) Swap(i, j int) { q.entries[i], q.entries[j] = q.entries[j], q.entries[i] }

func (q *pairQueue) Push(x any) { q.entries = append(q.entries, x.(queued)) }

func (q *pairQueue) Pop() any {
	e := q.entries[len(q.entries)-1]
	q.entries = q.entries[:len(q.entries)-1]
	return e
}
