package datasets

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestBuildVocab(t *testing.T) {
	docs := [][]string{
		{"the", "cat", "sat", "on", "the", "mat"},
		{"the", "dog", "sat", "<unk>", "<pad>"},
	}
	specials := []string{"<pad>", "<unk>", "<bos>", "<eos>"}
	for _, tt := range []struct {
		name              string
		minCount, maxSize int
		want              []string
	}{
		{"all, by count then bytes", 1, 0, []string{"the", "sat", "cat", "dog", "mat", "on"}},
		{"minCount 2", 2, 0, []string{"the", "sat"}},
		{"maxSize 6 counts the specials", 1, 6, []string{"the", "sat"}},
		{"maxSize 4 keeps only specials", 1, 4, nil},
		{"minCount above every count", 5, 0, nil},
	} {
		v := BuildVocab(docs, tt.minCount, tt.maxSize)
		want := append(append([]string{}, specials...), tt.want...)
		if !reflect.DeepEqual(v.Tokens, want) {
			t.Errorf("%s: BuildVocab(%d, %d).Tokens = %q, want %q", tt.name, tt.minCount, tt.maxSize, v.Tokens, want)
		}
		if v.Size() != len(want) {
			t.Errorf("%s: Size() = %d, want %d", tt.name, v.Size(), len(want))
		}
	}
}

func TestBuildVocabPanicsOnBadMaxSize(t *testing.T) {
	for _, maxSize := range []int{-1, 1, 3} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("BuildVocab(maxSize %d) did not panic", maxSize)
				}
			}()
			BuildVocab(nil, 1, maxSize)
		}()
	}
}

func TestVocabLookups(t *testing.T) {
	v := BuildVocab([][]string{{"b", "a", "b"}}, 1, 0) // ids: b=4, a=5
	for _, tt := range []struct {
		tok  string
		want int
	}{{"<pad>", PadID}, {"<unk>", UnkID}, {"<bos>", BosID}, {"<eos>", EosID}, {"b", 4}, {"a", 5}, {"zebra", UnkID}, {"", UnkID}} {
		if got := v.ID(tt.tok); got != tt.want {
			t.Errorf("ID(%q) = %d, want %d", tt.tok, got, tt.want)
		}
	}
	for _, tt := range []struct {
		id   int
		want string
	}{{PadID, "<pad>"}, {EosID, "<eos>"}, {4, "b"}, {5, "a"}, {6, "<unk>"}, {-1, "<unk>"}} {
		if got := v.Token(tt.id); got != tt.want {
			t.Errorf("Token(%d) = %q, want %q", tt.id, got, tt.want)
		}
	}
	if got, want := v.Encode([]string{"a", "x", "b"}), []int{5, UnkID, 4}; !reflect.DeepEqual(got, want) {
		t.Errorf("Encode = %v, want %v", got, want)
	}
	for _, tt := range []struct {
		ids  []int
		want []string
	}{
		{[]int{BosID, 5, 4, EosID, 5}, []string{"a", "b"}},
		{[]int{5, PadID, 4, PadID}, []string{"a", "b"}},
		{[]int{UnkID, 99}, []string{"<unk>", "<unk>"}},
		{[]int{EosID, 4}, []string{}},
		{nil, []string{}},
	} {
		if got := v.Decode(tt.ids); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Decode(%v) = %q, want %q", tt.ids, got, tt.want)
		}
	}
}

func TestVocabJSON(t *testing.T) {
	v := BuildVocab([][]string{{"don't", "é", "b", "b"}}, 1, 0)
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"tokens":["\u003cpad\u003e","\u003cunk\u003e","\u003cbos\u003e","\u003ceos\u003e","b","don't","é"]}`; string(data) != want {
		t.Errorf("Marshal = %s, want %s", data, want)
	}
	var back Vocab
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Tokens, v.Tokens) {
		t.Errorf("round trip Tokens = %q, want %q", back.Tokens, v.Tokens)
	}
	if got := back.ID("é"); got != 6 {
		t.Errorf("round trip ID(é) = %d, want 6 (the index was not rebuilt)", got)
	}

	// Inside a checkpoint's metadata the vocabulary is one field of a larger object.
	var meta struct{ Vocab *Vocab }
	if err := json.Unmarshal([]byte(`{"Vocab":`+string(data)+`}`), &meta); err != nil || meta.Vocab.ID("b") != 4 {
		t.Errorf("nested Unmarshal: err %v, vocab %+v", err, meta.Vocab)
	}

	for _, tt := range []struct{ in, wantErr string }{
		{`{"tokens":["a","b"]}`, "must start with the special tokens"},
		{`{"tokens":["<pad>","<unk>","<bos>","<eos>","x","x"]}`, `holds "x" twice`},
		{`{}`, `missing "tokens"`},
		{`[1]`, "cannot unmarshal"},
	} {
		var got Vocab
		err := json.Unmarshal([]byte(tt.in), &got)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("Unmarshal(%s) error = %v, want one containing %q", tt.in, err, tt.wantErr)
		}
	}
}
