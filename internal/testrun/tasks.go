package testrun

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gorgonet/gorgonet/config"
	"github.com/gorgonet/gorgonet/datasets"
)

// TaskSets are the tiny runs of the text, character and sequence-pair tasks: --set
// overrides on top of each embedded config, one epoch of a few seconds on two cores. Their
// models learn next to nothing; tests check behaviour and formats, not quality.
var TaskSets = map[string][]string{
	// 200 sentences: 7 steps of 32.
	"sentiment-lstm": {"train.epochs=1", "data.limit=200", "model.lstm.hidden=8", "model.lstm.embedding=8"},
	// 5000 characters as 8 streams of 20-character chunks: 32 steps.
	"opticks-charlm": {"train.epochs=1", "data.limit=5000", "data.max_len=20", "model.lstm.hidden=16",
		"train.batch_size=8", "train.checkpoint_every=0", "train.schedule.warmup_steps=5"},
	// 300 words in length buckets; validation and test splits of about 400 words keep decoding quick.
	"cmudict-transformer": {"train.epochs=1", "data.limit=300", "data.max_len=12", "model.transformer.dim=16",
		"model.transformer.ff=32", "model.transformer.encoder_layers=1", "model.transformer.decoder_layers=1",
		"train.batch_size=32", "data.val_fraction=0.003", "data.test_fraction=0.003", "train.checkpoint_every=0",
		"train.schedule.warmup_steps=5", "decode.beam=2"},
	// 300 phrase pairs from the Ding dictionary (needs the trans-de-en package, see
	// DeEnAvailable); validation and test splits of about 250 pairs keep evaluation to
	// seconds. Reading the dictionary alone takes about ten.
	"de-en-transformer": {"train.epochs=1", "data.limit=300", "data.min_count=1", "model.transformer.dim=16",
		"model.transformer.ff=32", "model.transformer.encoder_layers=1", "model.transformer.decoder_layers=1",
		"train.batch_size=32", "data.val_fraction=0.0003", "data.test_fraction=0.0003", "train.checkpoint_every=0",
		"train.schedule.warmup_steps=5", "decode.beam=2"},
	// 200 Bible verses as subword units (needs sword-text-sparv and sword-text-kjv, see
	// BibleAvailable); held-out splits of about 100 verses in whole chapters.
	"bible-es-en-transformer": {"train.epochs=1", "data.limit=200", "data.max_len=48", "data.vocab_size=300",
		"model.transformer.dim=16", "model.transformer.ff=32", "model.transformer.encoder_layers=1",
		"model.transformer.decoder_layers=1", "train.batch_size=32", "data.val_fraction=0.003",
		"data.test_fraction=0.003", "train.checkpoint_every=0", "train.schedule.warmup_steps=5", "decode.beam=2"},
	// 200 package descriptions cut to 32 subword units (needs apt's Translation-en index, see
	// DescriptionsAvailable); held-out splits of about 120 descriptions.
	"debian-summary-transformer": {"train.epochs=1", "data.limit=200", "data.max_len=32", "data.vocab_size=300",
		"model.transformer.dim=16", "model.transformer.ff=32", "model.transformer.encoder_layers=1",
		"model.transformer.decoder_layers=1", "train.batch_size=32", "data.val_fraction=0.002",
		"data.test_fraction=0.002", "train.checkpoint_every=0", "train.schedule.warmup_steps=5", "decode.beam=2"},
}

// TaskConfig is the embedded config name with TaskSets[name] and then extra applied,
// validated.
func TaskConfig(name string, extra ...string) (config.Experiment, error) {
	sets, ok := TaskSets[name]
	if !ok {
		return config.Experiment{}, fmt.Errorf("testrun: no tiny run of %q", name)
	}
	return load(name, sets, extra)
}

// DeEnAvailable reports whether the German–English dictionary the de-en task reads is
// installed (Debian package trans-de-en); tests of that task skip without it.
func DeEnAvailable() bool {
	_, err := os.Stat("/usr/share/trans/de-en")
	return err == nil
}

// BibleAvailable reports whether the SWORD modules the bible-es-en task reads are installed
// (Debian packages sword-text-sparv and sword-text-kjv).
func BibleAvailable() bool {
	for _, m := range []string{datasets.BibleSpanish, datasets.BibleEnglish} {
		if _, err := os.Stat(filepath.Join(datasets.BibleDir, m)); err != nil {
			return false
		}
	}
	return true
}

// DescriptionsAvailable reports whether apt's Translation-en index, which the debian-summary
// task reads, is present (apt-get update -o Acquire::Languages=en).
func DescriptionsAvailable() bool {
	_, err := os.Stat(datasets.DescriptionsPath)
	return err == nil
}
