package datasets

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Verse is one verse of a Bible text: its reference in the KJV versification (Book is the OSIS
// name, "Gen" … "Rev"; Chapter and Verse count from 1) and its plain text.
type Verse struct {
	Book           string
	Chapter, Verse int
	Text           string
}

// bibleBook is one book of a versification: its OSIS name, its English name and the number of
// verses of each of its chapters.
type bibleBook struct {
	OSIS, Name string
	Verses     []int
}

// Record sizes of a SWORD zText module: a block record of .bzs is offset, compressed size and
// uncompressed size (little-endian uint32 each); a verse record of .bzv is block number and
// offset in the uncompressed block (uint32) and size (uint16).
const (
	zBlockRecord = 12
	zVerseRecord = 10
)

// ReadZText reads the SWORD zText module in dir (the files ot.bzs, ot.bzv, ot.bzz, nt.bzs,
// nt.bzv and nt.bzz of a module with ModDrv=zText, CompressType=ZIP, SourceType=OSIS and the
// KJV versification) into its 31,102 verses in canonical order, Genesis 1:1 to Revelation
// 22:21, each as plain text: notes and section titles removed with their contents, every
// other tag removed and its text kept, entities decoded, white space collapsed (see
// datasets/README.md). Book and chapter introductions (the heading records of the index) are
// left out; a verse the module lacks has empty Text.
func ReadZText(dir string) ([]Verse, error) {
	ot, nt := kjvBooks[:39], kjvBooks[39:]
	old, err := readTestamentFiles(dir, "ot", ot)
	if err != nil {
		return nil, err
	}
	nw, err := readTestamentFiles(dir, "nt", nt)
	if err != nil {
		return nil, err
	}
	verses := append(old, nw...)
	for i := range verses {
		verses[i].Text = osisText(verses[i].Text)
	}
	return verses, nil
}

// readTestamentFiles reads the three files of one testament ("ot" or "nt") of dir.
func readTestamentFiles(dir, testament string, books []bibleBook) ([]Verse, error) {
	var files [3][]byte
	for i, ext := range []string{".bzs", ".bzv", ".bzz"} {
		b, err := os.ReadFile(filepath.Join(dir, testament+ext))
		if err != nil {
			return nil, fmt.Errorf("datasets: %s: %w", filepath.Join(dir, testament+ext), unwrapPath(err))
		}
		files[i] = b
	}
	return readTestament(filepath.Join(dir, testament), files[0], files[1], files[2], books)
}

// readTestament decodes one testament of a zText module from its block index bzs, verse index
// bzv and compressed blocks bzz, laid out by the versification books, into verses holding their
// OSIS markup; name (the files' path without extension) is for error messages.
func readTestament(name string, bzs, bzv, bzz []byte, books []bibleBook) ([]Verse, error) {
	layout := testamentLayout(books)
	if got := len(bzv) / zVerseRecord; got < len(layout) || len(bzv)%zVerseRecord != 0 {
		return nil, fmt.Errorf("datasets: %s.bzv: %d bytes, want %d records of %d bytes for the KJV versification",
			name, len(bzv), len(layout), zVerseRecord)
	}
	blocks := zBlocks{name: name, bzs: bzs, bzz: bzz, inflated: map[uint32]string{}}
	var verses []Verse
	for i, ref := range layout {
		if ref.Book == "" {
			continue // a module, testament, book or chapter heading
		}
		rec := bzv[i*zVerseRecord:]
		block, off := binary.LittleEndian.Uint32(rec), binary.LittleEndian.Uint32(rec[4:])
		size := uint32(binary.LittleEndian.Uint16(rec[8:]))
		if size > 0 {
			data, err := blocks.get(block)
			if err != nil {
				return nil, err
			}
			if uint64(off)+uint64(size) > uint64(len(data)) {
				return nil, fmt.Errorf("datasets: %s.bzv: record %d (%s %d:%d) ends at byte %d of block %d, which has %d",
					name, i, ref.Book, ref.Chapter, ref.Verse, uint64(off)+uint64(size), block, len(data))
			}
			ref.Text = data[off : off+size] // shares the block's memory
		}
		verses = append(verses, ref)
	}
	return verses, nil
}

// testamentLayout lists the records of a testament's verse index in the SWORD layout (its
// VersificationMgr): record 0 is the module heading, 1 the testament heading, then each book
// has a heading record followed, for each chapter, by a chapter heading and the chapter's
// verses. Heading records have an empty Book.
func testamentLayout(books []bibleBook) []Verse {
	layout := []Verse{{}, {}}
	for _, b := range books {
		layout = append(layout, Verse{})
		for c, n := range b.Verses {
			layout = append(layout, Verse{})
			for v := 1; v <= n; v++ {
				layout = append(layout, Verse{Book: b.OSIS, Chapter: c + 1, Verse: v})
			}
		}
	}
	return layout
}

// zBlocks inflates the blocks of a testament once each, on first use.
type zBlocks struct {
	name     string
	bzs, bzz []byte
	inflated map[uint32]string
}

func (z *zBlocks) get(block uint32) (string, error) {
	if data, ok := z.inflated[block]; ok {
		return data, nil
	}
	if uint64(block) >= uint64(len(z.bzs)/zBlockRecord) {
		return "", fmt.Errorf("datasets: %s.bzs: block %d does not exist (%d blocks)", z.name, block, len(z.bzs)/zBlockRecord)
	}
	rec := z.bzs[block*zBlockRecord:]
	off, size, plain := binary.LittleEndian.Uint32(rec), binary.LittleEndian.Uint32(rec[4:]), binary.LittleEndian.Uint32(rec[8:])
	if uint64(off)+uint64(size) > uint64(len(z.bzz)) {
		return "", fmt.Errorf("datasets: %s.bzz: block %d ends at byte %d, past the end of the file (%d bytes)",
			z.name, block, uint64(off)+uint64(size), len(z.bzz))
	}
	data, err := inflate(z.bzz[off:off+size], plain)
	if err != nil {
		return "", fmt.Errorf("datasets: %s.bzz: block %d: %v", z.name, block, err)
	}
	z.inflated[block] = string(data)
	return z.inflated[block], nil
}

// inflate decompresses one zlib stream that must hold exactly want bytes; memory grows with the
// data, never with what the record claims.
func inflate(compressed []byte, want uint32) ([]byte, error) {
	zr, err := zlib.NewReader(bytes.NewReader(compressed))
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(zr, int64(want)+1))
	if err != nil {
		return nil, err
	}
	if uint64(len(data)) > uint64(want) {
		return nil, fmt.Errorf("inflates to more than the %d bytes its record says", want)
	}
	if uint64(len(data)) < uint64(want) {
		return nil, fmt.Errorf("inflates to %d bytes, its record says %d", len(data), want)
	}
	return data, nil
}

// zTextMissing says which Debian package installs a missing module directory.
func zTextMissing(dir, pkg string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("datasets: %s does not exist; the Debian package %s installs it (apt-get install %s)", dir, pkg, pkg)
	}
	return fmt.Errorf("datasets: %s: %w", dir, unwrapPath(err))
}
