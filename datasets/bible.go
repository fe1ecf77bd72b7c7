package datasets

import (
	"cmp"
	"math"
	"os"
	"path/filepath"
	"slices"
)

// The Reina-Valera 1909 and the King James Version (both public domain) are read in place from
// the SWORD modules of the Debian packages sword-text-sparv and sword-text-kjv, never copied
// into this repository.
const (
	BibleDir            = "/usr/share/sword/modules/texts/ztext"
	BibleSpanish        = "spaRV1909eb"
	BibleEnglish        = "engKJV2006eb"
	BibleSpanishPackage = "sword-text-sparv"
	BibleEnglishPackage = "sword-text-kjv"
)

// VersePair is one verse in Spanish (Reina-Valera 1909) and English (King James Version), at its
// reference in the KJV versification: Book is the OSIS name ("Gen" … "Rev").
type VersePair struct {
	Book             string
	Chapter, Verse   int
	Spanish, English string
}

// ReadBible reads the modules BibleSpanish and BibleEnglish under dir ("" means BibleDir) and
// pairs their verses by reference, in canonical order. Each side is plain text (see ReadZText):
// markup, notes and section titles removed, white space collapsed, case and punctuation as
// printed. Left out are the verses empty in either text and, around them, whole chapters: both
// modules use the KJV index, but the Reina-Valera module keeps the Spanish verse numbering of a
// chapter where it differs (Numbers 13 starts with KJV 12:16, and the verse left over at its
// end is merged into 13:33). Such a chapter leaves verses empty at the end of itself or of the
// chapter before, so a chapter with a verse that one text has and the other lacks, and the next
// chapter of the same book, are left out.
func ReadBible(dir string) ([]VersePair, error) {
	if dir == "" {
		dir = BibleDir
	}
	es, err := readBibleModule(dir, BibleSpanish, BibleSpanishPackage)
	if err != nil {
		return nil, err
	}
	en, err := readBibleModule(dir, BibleEnglish, BibleEnglishPackage)
	if err != nil {
		return nil, err
	}
	misaligned := misalignedChapters(es, en)
	var pairs []VersePair
	for i := range es { // both follow the KJV versification, so verse i is the same in both
		if es[i].Text != "" && en[i].Text != "" && !misaligned[chapterOf(es[i])] {
			pairs = append(pairs, VersePair{Book: es[i].Book, Chapter: es[i].Chapter, Verse: es[i].Verse,
				Spanish: es[i].Text, English: en[i].Text})
		}
	}
	return pairs, nil
}

type chapterRef struct {
	book    string
	chapter int
}

func chapterOf(v Verse) chapterRef { return chapterRef{v.Book, v.Chapter} }

// misalignedChapters returns the chapters with a verse empty in one of es and en but not in
// the other, and the chapters that follow them in the same book.
func misalignedChapters(es, en []Verse) map[chapterRef]bool {
	bad := map[chapterRef]bool{}
	for i := range es {
		if (es[i].Text == "") != (en[i].Text == "") {
			bad[chapterOf(es[i])] = true
			bad[chapterRef{es[i].Book, es[i].Chapter + 1}] = true
		}
	}
	return bad
}

func readBibleModule(dir, module, pkg string) ([]Verse, error) {
	path := filepath.Join(dir, module)
	if _, err := os.Stat(path); err != nil {
		return nil, zTextMissing(path, pkg, err)
	}
	return ReadZText(path)
}

// SplitBible splits verse pairs into training, validation and test sets by whole chapters, so
// that a held-out verse's neighbours are held out with it and never seen in training. Chapters
// (sorted by book order of the KJV versification, then chapter) are taken in a seeded random
// order: validation receives chapters until it holds at least round(valFrac*len(pairs)) pairs,
// then test likewise, and training the rest; so the held-out sets overshoot their fractions by
// less than one chapter. Within a set, chapters keep the seeded order and a chapter's verses
// their input order. The split depends only on the set of chapters, their sizes and the seed.
// It panics on bad fractions, as Split3 does.
func SplitBible(pairs []VersePair, valFrac, testFrac float64, seed uint64) (train, val, test []VersePair) {
	checkFractions("SplitBible", valFrac, testFrac)
	chapters := bibleChapters(pairs)
	order := permutation(len(chapters), seed, splitStream)
	wantVal := int(math.Round(valFrac * float64(len(pairs))))
	wantTest := int(math.Round(testFrac * float64(len(pairs))))
	for _, c := range order {
		verses := chapters[c].pairs
		switch {
		case len(val) < wantVal:
			val = append(val, verses...)
		case len(test) < wantTest:
			test = append(test, verses...)
		default:
			train = append(train, verses...)
		}
	}
	return train, val, test
}

type bibleChapter struct {
	book    string
	chapter int
	pairs   []VersePair
}

// bibleChapters groups pairs by chapter, in canonical order (books the versification does not
// know come last, by name).
func bibleChapters(pairs []VersePair) []bibleChapter {
	index := map[chapterRef]int{}
	var chapters []bibleChapter
	for _, p := range pairs {
		k := chapterRef{p.Book, p.Chapter}
		i, ok := index[k]
		if !ok {
			i = len(chapters)
			index[k] = i
			chapters = append(chapters, bibleChapter{book: p.Book, chapter: p.Chapter})
		}
		chapters[i].pairs = append(chapters[i].pairs, p)
	}
	slices.SortFunc(chapters, func(a, b bibleChapter) int {
		return cmp.Or(cmp.Compare(bookOrder(a.book), bookOrder(b.book)), cmp.Compare(a.book, b.book),
			cmp.Compare(a.chapter, b.chapter))
	})
	return chapters
}

// bookOrder is the position of an OSIS book name in the KJV versification, len(kjvBooks) for
// a book it does not have.
func bookOrder(osis string) int {
	i, ok := kjvBookIndex[osis]
	if !ok {
		return len(kjvBooks)
	}
	return i
}

var kjvBookIndex = func() map[string]int {
	index := map[string]int{}
	for i, b := range kjvBooks {
		index[b.OSIS] = i
	}
	return index
}()
