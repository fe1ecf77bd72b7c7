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
