package experiment

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gorgonet/gorgonet/config"
	"github.com/gorgonet/gorgonet/datasets"
)

// The sentence-level pair sets: Bible verses to translate and package descriptions to
// summarise. Their texts are read as written (case and punctuation kept) and cut into subword
// units by the task, or, for the Bible as words, into datasets.Tokenize's lower-case words.

// textTokens are text as the pairs of units hold it: its words as written for bpe (the task
// cuts them into units), datasets.Tokenize's words otherwise.
func textTokens(units, text string) []string {
	if units == "bpe" {
		return strings.Fields(text)
	}
	return datasets.Tokenize(text)
}

// biblePairs are the Spanish-English verse pairs split by datasets.SplitBible, whole chapters
// held out. A verse's key is its Spanish text, so a verse repeated word for word within a
// split accepts each of its translations.
func biblePairs(cfg config.Experiment) (pairSplits, error) {
	verses, err := datasets.ReadBible(cfg.Data.Path)
	if err != nil {
		return pairSplits{}, err
	}
	units := cfg.Data.Units
	if units == "" {
		units = "bpe" // the set's own (DataSets refers to this function, so it cannot ask)
	}
	pairs := func(vs []datasets.VersePair) []datasets.Pair {
		out := make([]datasets.Pair, len(vs))
		for i, v := range vs {
			out[i] = datasets.Pair{Key: v.Spanish, Group: fmt.Sprintf("%s %d", v.Book, v.Chapter),
				Source: textTokens(units, v.Spanish), Target: textTokens(units, v.English)}
		}
		return out
	}
	tr, va, te := datasets.SplitBible(verses, cfg.Data.ValFraction, cfg.Data.TestFraction, cfg.Seed)
	return pairSplits{train: pairs(tr), val: pairs(va), test: pairs(te), tokens: units}, nil
}

// descriptionPairs are the long description → synopsis pairs split by
// datasets.SplitDescriptions, related packages kept in one split. A pair's key is its long
// description, whose opening is all the model reads: training sources are cut to max_len
// units like the held-out ones, not left out.
func descriptionPairs(cfg config.Experiment) (pairSplits, error) {
	descs, err := datasets.LoadDescriptions(cfg.Data.Path)
	if err != nil {
		return pairSplits{}, err
	}
	pairs := func(ds []datasets.Description) []datasets.Pair {
		out := make([]datasets.Pair, len(ds))
		for i, d := range ds {
			out[i] = datasets.Pair{Key: d.Long, Source: strings.Fields(d.Long), Target: strings.Fields(d.Synopsis)}
		}
		return out
	}
	tr, va, te := datasets.SplitDescriptions(descs, cfg.Data.ValFraction, cfg.Data.TestFraction, cfg.Seed)
	sp := pairSplits{train: pairs(tr), val: pairs(va), test: pairs(te), tokens: "bpe", truncate: true}
	sp.leadWords = leadLength(sp.train)
	return sp, nil
}

// leadLength is the length in words of the lead baseline: the 95th percentile (nearest rank)
// of the training targets' lengths, at least 1, so the baseline is as long as a long synopsis.
func leadLength(train []datasets.Pair) int {
	if len(train) == 0 {
		return 1
	}
	lens := make([]int, len(train))
	for i, p := range train {
		lens[i] = len(p.Target)
	}
	slices.Sort(lens)
	return max(1, lens[(95*len(lens)+99)/100-1])
}
