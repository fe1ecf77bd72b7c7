package datasets

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// UCI Sentiment Labelled Sentences (Kotzias et al., KDD 2015), license CC BY 4.0, as converted to
// JSON by the npm package sentiment@5.0.2: see sentiment/README.md.
//
//go:embed sentiment/*.json
var sentimentFS embed.FS

// SentimentSources are the three parts of the data set, in load order: the file of source s
// is s + ".json".
var SentimentSources = []string{"imdb", "amazon", "yelp"}

// SentimentClasses names the sentiment labels.
var SentimentClasses = []string{"negative", "positive"}

// TextExample is one labelled sentence; Source names where it came from (such as "imdb").
type TextExample struct {
	Text   string
	Label  int
	Source string
}

// TextSet is a labelled text-classification set; Classes names the labels.
type TextSet struct {
	Examples []TextExample
	Classes  []string
}

// LoadSentiment loads the UCI Sentiment Labelled Sentences: 3×1000 sentences from IMDb, Amazon
// and Yelp reviews, classes "negative" and "positive", in file order (imdb, amazon, yelp). dir ""
// uses the copy embedded in the binary; otherwise dir holds imdb.json, amazon.json and yelp.json
// as in the npm package sentiment@5.0.2 (test/fixtures). Texts are trimmed of surrounding space.
func LoadSentiment(dir string) (*TextSet, error) {
	set := &TextSet{Classes: SentimentClasses}
	for _, source := range SentimentSources {
		file := source + ".json"
		var name string
		var data []byte
		var err error
		if dir == "" {
			name = "embedded sentiment/" + file
			data, err = sentimentFS.ReadFile(path.Join("sentiment", file))
		} else {
			name = filepath.Join(dir, file)
			data, err = os.ReadFile(name)
		}
		if err != nil {
			return nil, fmt.Errorf("datasets: %s: %w", name, unwrapPath(err))
		}
		examples, err := parseSentiment(name, source, data)
		if err != nil {
			return nil, err
		}
		set.Examples = append(set.Examples, examples...)
	}
	return set, nil
}

// parseSentiment decodes one file: a JSON array of {"text", "class"} objects.
func parseSentiment(name, source string, data []byte) ([]TextExample, error) {
	var entries []struct {
		Text  *string `json:"text"`
		Class *int    `json:"class"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&entries); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return nil, fmt.Errorf("datasets: %s:%d: %v", name, lineOf(data, syntax.Offset), err)
		}
		return nil, fmt.Errorf("datasets: %s: want a JSON array of {\"text\", \"class\"} objects: %v", name, err)
	}
	examples := make([]TextExample, 0, len(entries))
	for i, e := range entries {
		if e.Text != nil && *e.Text == "" && e.Class == nil {
			continue // the empty last entry the npm conversion left for the file's trailing newline
		}
		switch {
		case e.Text == nil || strings.TrimSpace(*e.Text) == "":
			return nil, fmt.Errorf("datasets: %s: entry %d has no text", name, i+1)
		case e.Class == nil || *e.Class < 0 || *e.Class >= len(SentimentClasses):
			return nil, fmt.Errorf("datasets: %s: entry %d: class must be 0 (negative) or 1 (positive)", name, i+1)
		}
		examples = append(examples, TextExample{Text: strings.TrimSpace(*e.Text), Label: *e.Class, Source: source})
	}
	return examples, nil
}

// lineOf returns the 1-based line holding byte offset off of data.
func lineOf(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return 1 + bytes.Count(data[:off], []byte("\n"))
}

// unwrapPath drops the path from an *fs.PathError: our messages name the file already.
func unwrapPath(err error) error {
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return pathErr.Err
	}
	return err
}
