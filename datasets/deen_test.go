package datasets

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestLoadDeEnFixture(t *testing.T) {
	pair := func(de, en string) Pair {
		return Pair{Key: de, Source: strings.Fields(de), Target: strings.Fields(en)}
	}
	want := []Pair{
		pair("haus", "house"), // "|" aligns Haus with house and Häuser with houses
		pair("häuser", "houses"),
		pair("apfel", "apple"), // ";" synonyms: each German one with each English one
		pair("apfel", "love apple"),
		pair("paradiesapfel", "apple"),
		pair("paradiesapfel", "love apple"),
		pair("katze", "cat"),
		pair("katzen", "cats"),
		pair("eine schwarze katze", "a black cat"),
		pair("aktiengesellschaft", "public limited company"), // "/AG/" and "/plc/" are abbreviations
		pair("aktiengesellschaft", "stock corporation"),
		pair("gehen", "to go"),     // "~laufen" is a see-also
		pair("abbau", "breakdown"), // "decomposition/degradation" packs two phrases: dropped
		// misaligned "|", an unclosed "(", a repeated apfel → apple and a 10-token German side: dropped
	}
	path := filepath.Join("testdata", "de-en-tiny.txt")
	got, err := LoadDeEn(path, 8)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("LoadDeEn(%s, 8) =\n%q\nwant\n%q", path, got, want)
	}
	long := pair("ein sehr langer deutscher satz mit genau zehn wörtern darin", "a short one")
	if got, err := LoadDeEn(path, 10); err != nil || !reflect.DeepEqual(got[len(got)-1], long) {
		t.Errorf("LoadDeEn(%s, 10): err %v, want the 10-token pair last", path, err)
	}
	if got, err := LoadDeEn(path, 1); err != nil || len(got) != 7 {
		t.Errorf("LoadDeEn(%s, 1): err %v, %d pairs, want 7 one-word pairs", path, err, len(got))
	}
}

func TestLoadDeEnErrors(t *testing.T) {
	dir := t.TempDir()
	noSep := filepath.Join(dir, "de-en")
	writeFile(t, noSep, []byte("# comment\nHaus {n} :: house\nHaus - house\n"))
	for _, tt := range []struct {
		path    string
		maxLen  int
		wantErr string
	}{
		{noSep, 8, `de-en:3: want one " :: " between the German and the English side`},
		{filepath.Join(dir, "none"), 8, "none does not exist; the Debian package trans-de-en installs the Ding German-English dictionary as /usr/share/trans/de-en (apt-get install trans-de-en)"},
		{noSep, 0, "maxLen 0 must be at least 1"},
	} {
		if _, err := LoadDeEn(tt.path, tt.maxLen); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("LoadDeEn(%s, %d) error %v, want one containing %q", tt.path, tt.maxLen, err, tt.wantErr)
		}
	}
}

// TestLoadDeEnInstalled loads the real dictionary when the Debian package is installed.
func TestLoadDeEnInstalled(t *testing.T) {
	if _, err := os.Stat(DeEnPath); errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s is not installed (apt-get install %s)", DeEnPath, DeEnPackage)
	}
	if testing.Short() {
		t.Skip("loading the whole dictionary takes seconds")
	}
	pairs, err := LoadDeEn("", 8)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, p := range pairs {
		keys[p.Key] = true
		if len(p.Source) < 1 || len(p.Source) > 8 || len(p.Target) < 1 || len(p.Target) > 8 {
			t.Fatalf("pair %q has a side outside 1..8 tokens", p)
		}
	}
	t.Logf("%s at maxLen 8: %d pairs, %d distinct German phrases", DeEnPath, len(pairs), len(keys))
	if len(pairs) < 500000 || len(keys) < 300000 {
		t.Errorf("%d pairs with %d keys, want at least 500,000 and 300,000", len(pairs), len(keys))
	}
}

// TestDeEnUnitsInstalled measures why de-en-transformer reads characters (README.md): as
// words, most German tokens of the phrases of up to 8 words fall outside an 8,000-token
// vocabulary (min_count 2); as characters of phrases up to 40 long, every pair keeps both
// sides within the limit.
func TestDeEnUnitsInstalled(t *testing.T) {
	if _, err := os.Stat(DeEnPath); errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s is not installed (apt-get install %s)", DeEnPath, DeEnPackage)
	}
	if testing.Short() {
		t.Skip("loading the whole dictionary takes seconds")
	}
	pairs, err := LoadDeEn("", 40)
	if err != nil {
		t.Fatal(err)
	}
	var src, tgt [][]string
	for _, p := range pairs {
		if len(p.Source) <= 8 && len(p.Target) <= 8 {
			src, tgt = append(src, p.Source), append(tgt, p.Target)
		}
	}
	deOut, enOut := outOfVocab(src, 8000), outOfVocab(tgt, 8000)
	chars := CharPairs(pairs, 40)
	keys := map[string]bool{}
	for _, p := range chars {
		keys[p.Key] = true
		if len(p.Source) > 40 || len(p.Target) > 40 {
			t.Fatalf("CharPairs kept %q, a side over 40 characters", p)
		}
	}
	t.Logf("words (up to 8): %.1f%% of German and %.1f%% of English tokens outside 8,000; chars (up to 40): %d of the %d pairs of up to 40 words, %d German phrases",
		100*deOut, 100*enOut, len(chars), len(pairs), len(keys))
	if deOut < 0.5 || enOut < 0.1 {
		t.Errorf("%.3f of German and %.3f of English tokens out of vocabulary; README.md says most German ones and a quarter of English ones", deOut, enOut)
	}
}

// outOfVocab is the share of tokens that a vocabulary of size tokens (min_count 2) built
// from the same sequences encodes as <unk>.
func outOfVocab(seqs [][]string, size int) float64 {
	v := BuildVocab(seqs, 2, size)
	var unk, n int
	for _, s := range seqs {
		for _, id := range v.Encode(s) {
			n++
			if id == UnkID {
				unk++
			}
		}
	}
	return float64(unk) / float64(n)
}
