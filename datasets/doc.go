// Package datasets loads real training data (IDX image sets such as MNIST and Fashion-MNIST) and
// cuts it into deterministic validation splits, epoch orders and batches.
//
// It loads text as well: labelled review sentences (LoadSentiment), Newton's Opticks for a
// character language model (LoadOpticks, NewCharCorpus), CMUdict pronunciations (LoadCMUdict),
// the Ding German–English dictionary (LoadDeEn), Spanish–English Bible verses (ReadBible,
// SplitBible) and Debian package descriptions with their synopses (LoadDescriptions,
// SplitDescriptions), with the tokenizer, vocabularies and key-grouped splits they need
// (Tokenize, Vocab, Split3, SplitByKey). Subword units for translation and summarisation are
// learned by package datasets/bpe.
package datasets
