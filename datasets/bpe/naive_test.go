package bpe

import (
	"slices"
	"testing"
)

// naiveMerges is BPE as Algorithm 1 of Sennrich et al. writes it: recount every pair of every
// word before each merge. Learn must pick the same merges with its incremental counts.
func naiveMerges(texts []string, merges int) []Merge {
	counts := map[string]int{}
	for _, t := range texts {
		for _, w := range words(Normalize(t)) {
			counts[Marker+w]++
		}
	}
	segs := map[string][]string{}
	for w := range counts {
		segs[w] = nil
		for _, r := range w {
			segs[w] = append(segs[w], string(r))
		}
	}
	var out []Merge
	for len(out) < merges {
		pairs := map[Merge]int{}
		for w, seg := range segs {
			for i := 0; i+1 < len(seg); i++ {
				pairs[Merge{seg[i], seg[i+1]}] += counts[w]
			}
		}
		best, bestN := Merge{}, 0
		for p, n := range pairs {
			if n > bestN || n == bestN && (p.Left < best.Left || p.Left == best.Left && p.Right < best.Right) {
				best, bestN = p, n
			}
		}
		if bestN < minPairCount {
			break
		}
		out = append(out, best)
		for w, seg := range segs {
			segs[w] = mergeUnitsNaive(seg, best)
		}
	}
	return out
}

func mergeUnitsNaive(units []string, mg Merge) []string {
	var out []string
	for i := 0; i < len(units); i++ {
		if i+1 < len(units) && units[i] == mg.Left && units[i+1] == mg.Right {
			out = append(out, mg.Left+mg.Right)
			i++
			continue
		}
		out = append(out, units[i])
	}
	return out
}

func TestLearnMatchesNaiveRecount(t *testing.T) {
	texts := opticksLines(t, 400)
	m, err := Learn(texts, 10000)
	if err != nil {
		t.Fatal(err)
	}
	want := naiveMerges(texts, len(m.Merges())+1)
	if got := m.Merges(); !slices.Equal(got, want) {
		n := 0
		for n < min(len(got), len(want)) && got[n] == want[n] {
			n++
		}
		t.Fatalf("%d incremental merges, %d naive ones; first difference at merge %d", len(got), len(want), n+1)
	}
	// Every training word segments as training left it.
	for _, text := range texts {
		for _, w := range words(Normalize(text)) {
			var seg []string
			for _, r := range Marker + w {
				seg = append(seg, string(r))
			}
			for _, mg := range want {
				seg = mergeUnitsNaive(seg, mg)
			}
			if got := m.Encode(w); !slices.Equal(got, seg) {
				t.Fatalf("Encode(%q) = %q, training made %q", w, got, seg)
			}
		}
	}
}
