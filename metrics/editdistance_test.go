package metrics

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestEditDistance(t *testing.T) {
	tests := []struct {
		name string
		a, b string // space-separated tokens
		want int
	}{
		{"both empty", "", "", 0},
		{"empty hyp", "", "K AE1 T", 3},
		{"empty ref", "K AE1 T", "", 3},
		{"identical", "K AE1 T", "K AE1 T", 0},
		{"substitution", "K AE1 T", "K AH0 T", 1},
		{"insertion", "K AE1 T", "K AE1 T S", 1},
		{"deletion", "K AE1 T S", "K AE1 T", 1},
		{"insertion at front", "AE1 T", "K AE1 T", 1},
		{"all different", "A B C", "D E F", 3},
		{"kitten/sitting", "k i t t e n", "s i t t i n g", 3}, // k→s, e→i, +g
		{"flaw/lawn", "f l a w", "l a w n", 2},                // -f, +n
		{"transposition costs two", "A B", "B A", 2},
	}
	for _, tt := range tests {
		a, b := strings.Fields(tt.a), strings.Fields(tt.b)
		if got := EditDistance(a, b); got != tt.want {
			t.Errorf("%s: EditDistance(%q, %q) = %d, want %d", tt.name, tt.a, tt.b, got, tt.want)
		}
		if got := EditDistance(b, a); got != tt.want {
			t.Errorf("%s: EditDistance(%q, %q) = %d, want %d (symmetry)", tt.name, tt.b, tt.a, got, tt.want)
		}
	}
}

func TestEditDistanceRunes(t *testing.T) {
	if got, want := EditDistance([]rune("zahăr"), []rune("zahărul")), 2; got != want {
		t.Errorf("EditDistance(zahăr, zahărul) = %d, want %d", got, want)
	}
}

// fullMatrixDistance is the textbook O(n·m)-memory Levenshtein recurrence.
func fullMatrixDistance(a, b []int) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			sub := d[i-1][j-1]
			if a[i-1] != b[j-1] {
				sub++
			}
			d[i][j] = min(sub, d[i-1][j]+1, d[i][j-1]+1)
		}
	}
	return d[len(a)][len(b)]
}

func TestEditDistanceMatchesFullMatrix(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	randSeq := func() []int {
		s := make([]int, rng.IntN(12))
		for i := range s {
			s[i] = rng.IntN(4) // small alphabet so matches are common
		}
		return s
	}
	for range 2000 {
		a, b := randSeq(), randSeq()
		if got, want := EditDistance(a, b), fullMatrixDistance(a, b); got != want {
			t.Fatalf("EditDistance(%v, %v) = %d, want %d", a, b, got, want)
		}
	}
}

func toks(s string) []string { return strings.Fields(s) }

func TestErrorRatesAdd(t *testing.T) {
	tests := []struct {
		name string
		hyp  string
		refs []string
		want ErrorRates
	}{
		{"exact single", "K AE1 T", []string{"K AE1 T"},
			ErrorRates{Words: 1, WordErrors: 0, Tokens: 3, TokenErrors: 0}},
		{"substitution", "K AH0 T", []string{"K AE1 T"},
			ErrorRates{Words: 1, WordErrors: 1, Tokens: 3, TokenErrors: 1}},
		{"insertion", "K AE1 T S", []string{"K AE1 T"},
			ErrorRates{Words: 1, WordErrors: 1, Tokens: 3, TokenErrors: 1}},
		{"deletion", "K T", []string{"K AE1 T"},
			ErrorRates{Words: 1, WordErrors: 1, Tokens: 3, TokenErrors: 1}},
		{"empty hyp", "", []string{"K AE1 T"},
			ErrorRates{Words: 1, WordErrors: 1, Tokens: 3, TokenErrors: 3}},
		// "read": matching the second pronunciation is no error at all.
		{"exact second reference", "R EH1 D", []string{"R IY1 D", "R EH1 D"},
			ErrorRates{Words: 1, WordErrors: 0, Tokens: 3, TokenErrors: 0}},
		// Distances 1 (to the 4-token ref) and 2 (to the 3-token ref): the
		// closer, longer reference is the one counted.
		{"closest reference wins", "A B C X", []string{"A B", "A B C D"},
			ErrorRates{Words: 1, WordErrors: 1, Tokens: 4, TokenErrors: 1}},
		// Distance 1 to "A B C" (one insertion) and to "A C" (one
		// substitution): the tie goes to the shorter reference, 2 tokens.
		{"tie goes to shorter reference", "A B", []string{"A B C", "A C"},
			ErrorRates{Words: 1, WordErrors: 1, Tokens: 2, TokenErrors: 1}},
		{"tie in either order", "A B", []string{"A C", "A B C"},
			ErrorRates{Words: 1, WordErrors: 1, Tokens: 2, TokenErrors: 1}},
	}
	for _, tt := range tests {
		refs := make([][]string, len(tt.refs))
		for i, r := range tt.refs {
			refs[i] = toks(r)
		}
		var got ErrorRates
		got.Add(toks(tt.hyp), refs)
		if got != tt.want {
			t.Errorf("%s: Add(%q, %q) = %+v, want %+v", tt.name, tt.hyp, tt.refs, got, tt.want)
		}
		isExact := slices.ContainsFunc(refs, func(r []string) bool { return slices.Equal(toks(tt.hyp), r) })
		if isExact != (got.WordErrors == 0) {
			t.Errorf("%s: WordErrors = %d but exact match = %v", tt.name, got.WordErrors, isExact)
		}
	}
}

func TestErrorRatesRates(t *testing.T) {
	var e ErrorRates
	if e.WER() != 0 || e.PER() != 0 {
		t.Errorf("empty: WER, PER = %v, %v, want 0, 0", e.WER(), e.PER())
	}
	e.Add(toks("A B C D"), [][]string{toks("A B C D")}) // 0 errors / 4 tokens
	e.Add(toks("A X"), [][]string{toks("A B C")})       // sub + del: 2 errors / 3 tokens
	// WER = 1 word error / 2 words; PER = 2 token errors / 7 tokens.
	if got, want := e.WER(), 0.5; got != want {
		t.Errorf("WER() = %v, want %v", got, want)
	}
	if got, want := e.PER(), 2.0/7.0; got != want {
		t.Errorf("PER() = %v, want %v", got, want)
	}

	var onlyEmptyRefs ErrorRates
	onlyEmptyRefs.Add(toks("A"), [][]string{{}})
	if got := onlyEmptyRefs.PER(); !math.IsInf(got, 1) {
		t.Errorf("PER() with 1 error over 0 reference tokens = %v, want +Inf", got)
	}
}

func TestErrorRatesAddPanicsWithoutReferences(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Add(hyp, nil) did not panic")
		}
	}()
	var e ErrorRates
	e.Add(toks("A"), nil)
}

func BenchmarkEditDistance20Tokens(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	phones := []string{"AA1", "AE1", "AH0", "B", "D", "EH1", "IY1", "K", "L", "M", "N", "R", "S", "T"}
	x, y := make([]string, 20), make([]string, 20)
	for i := range x {
		x[i], y[i] = phones[rng.IntN(len(phones))], phones[rng.IntN(len(phones))]
	}
	b.ReportAllocs()
	for b.Loop() {
		EditDistance(x, y)
	}
}
