package experiment

import (
	"github.com/gorgonet/gorgonet/config"
	"github.com/gorgonet/gorgonet/datasets"
)

// DataSet is one data.name: what it is, the units its text can be read in, and the task
// that loads it and joins it to its model.
type DataSet struct {
	About string
	// Units are the data.units the set can be read in; the first is its own (what an empty
	// data.units means). Image sets have none.
	Units []string
	Task  TaskLoader
}

// DataSets lists the data sets by the name used in configs (data.name). It is the one
// registry of data sets: a new one is one entry here, with its loader in datasets/.
var DataSets = map[string]DataSet{
	"mnist": {
		About: "MNIST handwritten digits, 60k train / 10k test, 28x28, embedded in the binary",
		Task:  imageSet(datasets.LoadMNIST, datasets.MNISTNorm),
	},
	"fashion-mnist": {
		About: "Fashion-MNIST Zalando article images, 60k train / 10k test, 28x28, from " + datasets.FashionMNISTDir,
		Task:  imageSet(datasets.LoadFashionMNIST, datasets.FashionMNISTNorm),
	},
	"sentiment": {
		About: "UCI Sentiment Labelled Sentences: 3,000 reviews labelled negative or positive, embedded",
		Units: []string{"words"},
		Task:  textSet(datasets.LoadSentiment),
	},
	"opticks": {
		About: "Newton's Opticks as one character stream, embedded",
		Units: []string{"chars"},
		Task:  charSet(datasets.LoadOpticks),
	},
	"cmudict": {
		About: "CMUdict: spellings and their ARPAbet pronunciations, embedded",
		Units: []string{"chars"}, // of the spelling; the targets are phonemes
		Task:  pairSet(splitByKey(cmudictPairs)),
	},
	"de-en": {
		About: "the Ding German-English dictionary, from " + datasets.DeEnPath,
		Units: []string{"words", "chars"},
		Task:  pairSet(splitByKey(deEnPairs)),
	},
	"bible-es-en": {
		About: "Spanish (Reina-Valera 1909) to English (King James) Bible verses, split by chapter, from " + datasets.BibleDir,
		Units: []string{"bpe", "words"},
		Task:  pairSet(biblePairs),
	},
	"debian-summary": {
		About: "Debian package long descriptions to their synopses, related packages kept in one split, from " + datasets.DescriptionsPath,
		Units: []string{"bpe"},
		Task:  pairSet(descriptionPairs),
	},
}

// cmudictPairs are the spellings and pronunciations of CMUdict, whose target tokens are phonemes.
func cmudictPairs(d config.Data) ([]datasets.Pair, string, error) {
	p, err := datasets.LoadCMUdict(d.Path)
	return p, "phonemes", err
}

// deEnPairs are the German-English phrase pairs, as words or characters.
func deEnPairs(d config.Data) ([]datasets.Pair, string, error) {
	path := d.Path
	if path == "" {
		path = datasets.DeEnPath
	}
	// max_len characters never hold more than max_len words, so the word limit only saves
	// work before the character limit.
	p, err := datasets.LoadDeEn(path, d.MaxLen)
	if err != nil || d.Units != "chars" { // words are de-en's own units
		return p, "words", err
	}
	return datasets.CharPairs(p, d.MaxLen), "chars", nil
}
