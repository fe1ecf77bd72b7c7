// Package bpe learns and applies byte-pair-encoding subword units (Sennrich, Haddow and Birch
// 2016, "Neural Machine Translation of Rare Words with Subword Units") so that a translation or
// summarisation model sees a fixed vocabulary of frequent words and word pieces instead of an
// open set of words.
//
// Text is normalised first (Normalize): invalid UTF-8 bytes become U+FFFD, the text is put in
// Unicode NFC, "▁" (U+2581) counts as white space, every run of white space becomes one space and
// leading and trailing space goes. Case is kept. Each word then starts with the SentencePiece-style
// marker "▁", so Decode restores the spaces exactly: Decode(Encode(t)) == Normalize(t) whenever
// every character of t was seen in training.
package bpe
