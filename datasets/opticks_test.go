package datasets

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLoadOpticks(t *testing.T) {
	text, err := LoadOpticks("")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(text), 567198; got != want {
		t.Errorf("embedded Opticks: %d bytes, want %d", got, want)
	}
	if got, want := utf8.RuneCountInString(text), 567038; got != want {
		t.Errorf("embedded Opticks: %d characters, want %d", got, want)
	}
	if want := "Produced by Suzanne Lybarger"; !strings.HasPrefix(text, want) {
		t.Errorf("embedded Opticks starts %q, want %q", text[:40], want)
	}
	fromFile, err := LoadOpticks(filepath.Join("opticks", "Isaac.Newton-Opticks.txt"))
	if err != nil || fromFile != text {
		t.Errorf("LoadOpticks(file): err %v, same text %v", err, fromFile == text)
	}

	dir := t.TempDir()
	bad := filepath.Join(dir, "latin1.txt")
	writeFile(t, bad, []byte("line one\nCaf\xe9\n"))
	for _, tt := range []struct{ path, wantErr string }{
		{bad, "latin1.txt:2: not UTF-8 text (byte 12)"},
		{filepath.Join(dir, "none.txt"), "none.txt: no such file or directory"},
	} {
		if _, err := LoadOpticks(tt.path); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("LoadOpticks(%s) error %v, want one containing %q", tt.path, err, tt.wantErr)
		}
	}
}

func TestNewCharCorpus(t *testing.T) {
	// 15 characters: train "aababcdef" (9), val "gXY" (3), test "éaz" (3).
	c := NewCharCorpus("aababcdefgXYéaz", 0.2, 0.2, 1, nil)
	wantTokens := []string{"<pad>", "<unk>", "<bos>", "<eos>", "a", "b", "c", "d", "e", "f"}
	if !reflect.DeepEqual(c.Vocab.Tokens, wantTokens) {
		t.Errorf("Vocab.Tokens = %q, want %q", c.Vocab.Tokens, wantTokens)
	}
	for _, tt := range []struct {
		name     string
		got      []int
		wantText string
	}{
		{"Train", c.Train, "aababcdef"},
		{"Val", c.Val, "\x00\x00\x00"}, // g, X and Y never appear in training
		{"Test", c.Test, "\x00a\x00"},
	} {
		var want []int
		for _, r := range tt.wantText {
			if r == 0 {
				want = append(want, UnkID)
			} else {
				want = append(want, c.Vocab.ID(string(r)))
			}
		}
		if !reflect.DeepEqual(tt.got, want) {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, want)
		}
	}
}

func TestCharCorpusOpticks(t *testing.T) {
	text, err := LoadOpticks("")
	if err != nil {
		t.Fatal(err)
	}
	c := NewCharCorpus(text, 0.05, 0.05, 1, nil)
	n := utf8.RuneCountInString(text)
	if got := len(c.Train) + len(c.Val) + len(c.Test); got != n {
		t.Errorf("spans hold %d characters, want %d", got, n)
	}
	// The spans are contiguous: decoding them in order gives the text back, up to unseen characters.
	runes, unk, pos := []rune(text), 0, 0
	for _, span := range [][]int{c.Train, c.Val, c.Test} {
		for _, id := range span {
			if id == UnkID {
				unk++
			} else if got := c.Vocab.Token(id); got != string(runes[pos]) {
				t.Fatalf("character %d decodes as %q, want %q", pos, got, string(runes[pos]))
			}
			pos++
		}
	}
	t.Logf("Opticks: %d bytes, %d characters, vocabulary %d (specials included), train/val/test %d/%d/%d, %d unseen in val+test",
		len(text), n, c.Vocab.Size(), len(c.Train), len(c.Val), len(c.Test), unk)
	if c.Vocab.Size() < 60 || c.Vocab.Size() > 100 {
		t.Errorf("vocabulary of %d characters, want 60..100", c.Vocab.Size())
	}
}

// TestNewCharCorpusBlocks: with several blocks each split takes its share of every block, in
// text order, and a saved vocabulary is used as given.
func TestNewCharCorpusBlocks(t *testing.T) {
	text := "aaaaaaaabcbbbbbbbbde" // two blocks of 10: train 8, val 1, test 1 each
	c := NewCharCorpus(text, 0.1, 0.1, 2, nil)
	dec := func(ids []int) string { return strings.Join(c.Vocab.Decode(ids), "") }
	if got, want := dec(c.Train), "aaaaaaaabbbbbbbb"; got != want {
		t.Errorf("train = %q, want %q", got, want)
	}
	// val is "b" + "d", test "c" + "e": only b is seen in training (block 2).
	if got, want := [2]string{dec(c.Val), dec(c.Test)}, [2]string{"b<unk>", "<unk><unk>"}; got != want {
		t.Errorf("val, test = %q, want %q", got, want)
	}
	saved := BuildVocab([][]string{{"b", "c", "d", "e"}}, 1, 0)
	c2 := NewCharCorpus(text, 0.1, 0.1, 2, saved)
	if c2.Vocab != saved || c2.Val[0] != saved.ID("b") || c2.Test[1] != saved.ID("e") {
		t.Errorf("saved vocabulary not used: val %v test %v", c2.Val, c2.Test)
	}
}
