package datasets

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestLoadSentiment(t *testing.T) {
	set, err := LoadSentiment("")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(set.Examples), 3000; got != want {
		t.Fatalf("LoadSentiment: %d examples, want %d", got, want)
	}
	if want := []string{"negative", "positive"}; !reflect.DeepEqual(set.Classes, want) {
		t.Errorf("Classes = %q, want %q", set.Classes, want)
	}
	first := TextExample{Text: "A very, very, very slow-moving, aimless movie about a distressed, drifting young man.", Label: 0, Source: "imdb"}
	if set.Examples[0] != first {
		t.Errorf("first example = %+v, want %+v", set.Examples[0], first)
	}
	if got, want := set.Examples[2999].Source, "yelp"; got != want {
		t.Errorf("last example's source = %q, want %q", got, want)
	}
	counts := map[string]int{}
	for _, ex := range set.Examples {
		counts[ex.Source+"/"+set.Classes[ex.Label]]++
		if ex.Text != strings.TrimSpace(ex.Text) || ex.Text == "" {
			t.Errorf("example text %q is empty or not trimmed", ex.Text)
		}
	}
	for _, source := range SentimentSources {
		for _, class := range set.Classes {
			if got := counts[source+"/"+class]; got != 500 {
				t.Errorf("%s %s: %d examples, want 500", source, class, got)
			}
		}
	}

	fromDir, err := LoadSentiment("sentiment") // the embedded files, read from disk
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromDir, set) {
		t.Error("LoadSentiment(\"sentiment\") differs from the embedded copy")
	}
}

func TestLoadSentimentErrors(t *testing.T) {
	good := `[{"text":"Great.","class":1},{"text":"","class":null}]`
	for _, tt := range []struct {
		name, imdb, wantErr string
	}{
		{"missing file", "", "imdb.json: no such file or directory"},
		{"not JSON", "[{\"text\": \"x\",\n \"class\": 1,}]", "imdb.json:2: invalid character"},
		{"not an array", `{"text":"x","class":1}`, "imdb.json: want a JSON array"},
		{"unknown field", `[{"text":"x","class":1,"label":1}]`, "imdb.json: want a JSON array"},
		{"class 2", `[{"text":"x","class":0},{"text":"y","class":2}]`, "imdb.json: entry 2: class must be 0 (negative) or 1 (positive)"},
		{"no class", `[{"text":"x"}]`, "imdb.json: entry 1: class must be"},
		{"no text", `[{"text":"  ","class":1}]`, "imdb.json: entry 1 has no text"},
	} {
		dir := t.TempDir()
		for _, source := range []string{"amazon", "yelp"} {
			writeFile(t, filepath.Join(dir, source+".json"), []byte(good))
		}
		if tt.imdb != "" {
			writeFile(t, filepath.Join(dir, "imdb.json"), []byte(tt.imdb))
		}
		_, err := LoadSentiment(dir)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.wantErr)
		}
	}
}
