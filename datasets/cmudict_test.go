package datasets

import (
	"compress/gzip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestLoadCMUdict(t *testing.T) {
	pairs, err := LoadCMUdict("")
	if err != nil {
		t.Fatal(err)
	}
	words := map[string][]Pair{}
	for _, p := range pairs {
		words[p.Key] = append(words[p.Key], p)
		if strings.Join(p.Source, "") != p.Key {
			t.Fatalf("pair %v: source does not spell its key", p)
		}
		for _, ph := range p.Target {
			if !slices.Contains(CMUdictPhonemes, ph) {
				t.Fatalf("pair %v: phoneme %q is not one of the 39", p, ph)
			}
		}
	}
	// 133,784 lines; 6 skipped (5 brace names, "D\uFFFDJ\uFFFD"); 315 repeat a pronunciation once
	// stress is removed.
	if got, want := len(pairs), 133463; got != want {
		t.Errorf("LoadCMUdict: %d pairs, want %d", got, want)
	}
	if got, want := len(words), 124999; got != want {
		t.Errorf("LoadCMUdict: %d distinct words, want %d", got, want)
	}
	t.Logf("CMUdict: %d pairs, %d distinct words", len(pairs), len(words))
	if got, want := len(CMUdictPhonemes), 39; got != want {
		t.Errorf("%d phonemes, want %d", got, want)
	}

	for _, tt := range []struct {
		word string
		want [][]string // the phonemes of each alternative, in file order
	}{
		{"a", [][]string{{"AH"}, {"EY"}}},
		{"aardvark", [][]string{{"AA", "R", "D", "V", "AA", "R", "K"}}},
		{"aaronson", [][]string{{"EH", "R", "AH", "N", "S", "AH", "N"}, {"AA", "R", "AH", "N", "S", "AH", "N"}}},
		{"abstract", [][]string{{"AE", "B", "S", "T", "R", "AE", "K", "T"}}}, // AE1..AE2 and AE0..AE1 are one after stress removal
		{"don't", [][]string{{"D", "OW", "N", "T"}, {"D", "OW", "N"}}},
		{"los_angeles", [][]string{{"L", "AO", "S", "AE", "N", "JH", "AH", "L", "AH", "S"}}},
		{"{brace", nil},
	} {
		var got [][]string
		for _, p := range words[tt.word] {
			got = append(got, p.Target)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("pronunciations of %q = %q, want %q", tt.word, got, tt.want)
		}
	}
}

func TestLoadCMUdictFile(t *testing.T) {
	want := []Pair{
		{Key: "a", Source: []string{"a"}, Target: []string{"AH"}},
		{Key: "a", Source: []string{"a"}, Target: []string{"EY"}},
		{Key: "abstract", Source: strings.Split("abstract", ""), Target: []string{"AE", "B", "S", "T", "R", "AE", "K", "T"}},
		{Key: "don't", Source: strings.Split("don't", ""), Target: []string{"D", "OW", "N", "T"}},
		{Key: "read", Source: strings.Split("read", ""), Target: []string{"R", "IY", "D"}},
		{Key: "read", Source: strings.Split("read", ""), Target: []string{"R", "EH", "D"}},
		{Key: "los_angeles", Source: strings.Split("los_angeles", ""), Target: []string{"L", "AO", "S", "AE", "N", "JH", "AH", "L", "AH", "S"}},
	}
	raw := filepath.Join("testdata", "cmudict-tiny.txt")
	got, err := LoadCMUdict(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("LoadCMUdict(%s) =\n%q\nwant\n%q", raw, got, want)
	}

	// The same file gzipped reads the same.
	data, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	gz := filepath.Join(t.TempDir(), "dict.txt.gz")
	f, err := os.Create(gz)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if got, err := LoadCMUdict(gz); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("LoadCMUdict(gzipped): err %v, same pairs %v", err, reflect.DeepEqual(got, want))
	}
}

func TestLoadCMUdictErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct{ contents, wantErr string }{
		{"A  AH0\nB\n", `dict.txt:2: word "B" has no phonemes`},
		{";;; comment\nCAT  K AE1 T\nDOG  D AO1 GG\n", `dict.txt:3: word "DOG": unknown phoneme "GG"`},
		{"CAT  K AE4 T\n", `dict.txt:1: word "CAT": unknown phoneme "AE4"`},
	} {
		path := filepath.Join(dir, "dict.txt")
		writeFile(t, path, []byte(tt.contents))
		if _, err := LoadCMUdict(path); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("LoadCMUdict(%q) error %v, want one containing %q", tt.contents, err, tt.wantErr)
		}
	}
	if _, err := LoadCMUdict(filepath.Join(dir, "none.txt")); err == nil || !strings.Contains(err.Error(), "none.txt: no such file") {
		t.Errorf("LoadCMUdict(missing file) error %v", err)
	}
}

func TestLoadCMUdictSplit(t *testing.T) {
	pairs, err := LoadCMUdict("")
	if err != nil {
		t.Fatal(err)
	}
	train, val, test := SplitByKey(pairs, 0.05, 0.05, 1)
	splitOf := map[string]int{}
	for i, set := range [][]Pair{train, val, test} {
		for _, p := range set {
			if j, ok := splitOf[p.Key]; ok && j != i {
				t.Fatalf("word %q is in splits %d and %d", p.Key, j, i)
			}
			splitOf[p.Key] = i
		}
	}
	if got := len(train) + len(val) + len(test); got != len(pairs) {
		t.Errorf("splits hold %d pairs, want %d", got, len(pairs))
	}
	t.Logf("CMUdict split 0.05/0.05: train %d, val %d, test %d pairs", len(train), len(val), len(test))
}
