package datasets

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// tinyBible holds the OSIS markup of a few records of the two installed modules, unchanged:
// see datasets/README.md. Regenerate with go test ./datasets -run TestTinyBibleFixture -update.
const tinyBible = "testdata/bible-tiny.txt"

// tinyBibleRefs are the records of tinyBible: a book and a chapter heading, verses with notes,
// titles, stray USFM markers and quotations, and Numbers 12:16, empty in the Reina-Valera.
var tinyBibleRefs = []string{"Gen", "Gen.1", "Gen.1.1", "Gen.1.2", "Gen.1.3", "Gen.1.4", "Exod.6.3",
	"Num.12.15", "Num.12.16", "Num.13.1", "Ps.3.1", "Ps.119.9", "Matt.5.3", "John.3.16", "Rev.22.21"}

// layoutIndex is the record of ref ("Gen", "Gen.1" or "Gen.1.1") in a testament's verse index,
// counted as SWORD's VersificationMgr does: module heading, testament heading, then for each
// book its heading and, for each chapter, a heading and the verses. It returns the testament
// ("ot" or "nt") too.
func layoutIndex(t *testing.T, ref string) (testament string, index int) {
	t.Helper()
	for _, half := range []struct {
		name  string
		books []bibleBook
	}{{"ot", kjvBooks[:39]}, {"nt", kjvBooks[39:]}} {
		index = 2
		for _, b := range half.books {
			if ref == b.OSIS {
				return half.name, index
			}
			index++
			for c, n := range b.Verses {
				if ref == fmt.Sprintf("%s.%d", b.OSIS, c+1) {
					return half.name, index
				}
				index++
				if v, ok := strings.CutPrefix(ref, fmt.Sprintf("%s.%d.", b.OSIS, c+1)); ok {
					if i, err := strconv.Atoi(v); err == nil && i >= 1 && i <= n {
						return half.name, index + i - 1
					}
				}
				index += n
			}
		}
	}
	t.Fatalf("no reference %s in the KJV versification", ref)
	return "", 0
}

// readTinyBible returns the fixture's markup by module and reference.
func readTinyBible(t *testing.T) map[string]map[string]string {
	t.Helper()
	b, err := os.ReadFile(tinyBible)
	if err != nil {
		t.Fatal(err)
	}
	modules := map[string]map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		f := strings.SplitN(sc.Text(), "\t", 3)
		if len(f) != 3 {
			t.Fatalf("%s: line %q is not module, reference, markup", tinyBible, sc.Text())
		}
		if modules[f[0]] == nil {
			modules[f[0]] = map[string]string{}
		}
		modules[f[0]][f[1]] = f[2]
	}
	return modules
}

// writeZText writes a zText module to dir holding records (by reference) in one block per
// testament, every other record empty: the layout SWORD's osis2mod writes, with fewer blocks.
func writeZText(t *testing.T, dir string, records map[string]string) {
	t.Helper()
	var text [2][]byte
	var bzv [2][]byte
	for i, books := range [][]bibleBook{kjvBooks[:39], kjvBooks[39:]} {
		bzv[i] = make([]byte, zVerseRecord*len(testamentLayout(books)))
	}
	for _, ref := range slices.Sorted(maps.Keys(records)) {
		testament, index := layoutIndex(t, ref)
		half := map[string]int{"ot": 0, "nt": 1}[testament]
		rec := bzv[half][index*zVerseRecord:]
		binary.LittleEndian.PutUint32(rec[4:], uint32(len(text[half])))
		binary.LittleEndian.PutUint16(rec[8:], uint16(len(records[ref])))
		text[half] = append(text[half], records[ref]...)
	}
	for half, name := range []string{"ot", "nt"} {
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write(text[half])
		zw.Close()
		bzs := binary.LittleEndian.AppendUint32(nil, 0)
		bzs = binary.LittleEndian.AppendUint32(bzs, uint32(z.Len()))
		bzs = binary.LittleEndian.AppendUint32(bzs, uint32(len(text[half])))
		for ext, b := range map[string][]byte{".bzs": bzs, ".bzv": bzv[half], ".bzz": z.Bytes()} {
			if err := os.WriteFile(filepath.Join(dir, name+ext), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func skipWithoutBible(t *testing.T) {
	t.Helper()
	for _, m := range []string{BibleSpanish, BibleEnglish} {
		if _, err := os.Stat(filepath.Join(BibleDir, m)); err != nil {
			t.Skipf("%s is not installed (apt-get install %s %s)", m, BibleSpanishPackage, BibleEnglishPackage)
		}
	}
}

// TestTinyBibleFixture checks tinyBible against the installed modules, record for record.
func TestTinyBibleFixture(t *testing.T) {
	skipWithoutBible(t)
	var out strings.Builder
	out.WriteString("# Records of the SWORD modules spaRV1909eb (Reina-Valera 1909, Debian sword-text-sparv) and\n" +
		"# engKJV2006eb (King James Version, Debian sword-text-kjv), both public domain: module, OSIS\n" +
		"# reference, the record's OSIS markup unchanged. go test ./datasets -run TestTinyBibleFixture -update\n")
	for _, module := range []string{BibleSpanish, BibleEnglish} {
		raw := map[string]map[int]string{}
		for _, half := range []struct {
			name  string
			books []bibleBook
		}{{"ot", kjvBooks[:39]}, {"nt", kjvBooks[39:]}} {
			dir := filepath.Join(BibleDir, module)
			files := [3][]byte{}
			for i, ext := range []string{".bzs", ".bzv", ".bzz"} {
				b, err := os.ReadFile(filepath.Join(dir, half.name+ext))
				if err != nil {
					t.Fatal(err)
				}
				files[i] = b
			}
			raw[half.name] = rawRecords(t, files[0], files[1], files[2])
		}
		for _, ref := range tinyBibleRefs {
			testament, index := layoutIndex(t, ref)
			fmt.Fprintf(&out, "%s\t%s\t%s\n", module, ref, raw[testament][index])
		}
	}
	if *update {
		if err := os.WriteFile(tinyBible, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(tinyBible)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != out.String() {
		t.Errorf("%s differs from the installed modules; rerun with -update", tinyBible)
	}
}

// rawRecords returns every non-empty record of a testament by index, read independently of
// readTestament (whole file, every block inflated up front).
func rawRecords(t *testing.T, bzs, bzv, bzz []byte) map[int]string {
	t.Helper()
	var blocks [][]byte
	for r := 0; r+zBlockRecord <= len(bzs); r += zBlockRecord {
		off, size := binary.LittleEndian.Uint32(bzs[r:]), binary.LittleEndian.Uint32(bzs[r+4:])
		zr, err := zlib.NewReader(bytes.NewReader(bzz[off : off+size]))
		if err != nil {
			t.Fatal(err)
		}
		var plain bytes.Buffer
		if _, err := plain.ReadFrom(zr); err != nil {
			t.Fatal(err)
		}
		blocks = append(blocks, plain.Bytes())
	}
	records := map[int]string{}
	for i := 0; (i+1)*zVerseRecord <= len(bzv); i++ {
		rec := bzv[i*zVerseRecord:]
		block, off, size := binary.LittleEndian.Uint32(rec), binary.LittleEndian.Uint32(rec[4:]), binary.LittleEndian.Uint16(rec[8:])
		if size > 0 {
			text := string(blocks[block][off : off+uint32(size)])
			if strings.ContainsAny(text, "\t\n") {
				t.Fatalf("record %d holds a tab or a line break, which the fixture format cannot", i)
			}
			records[i] = text
		}
	}
	return records
}

// writeTinyBible writes the fixture's two modules under a temporary directory and returns it.
func writeTinyBible(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for module, records := range readTinyBible(t) {
		if err := os.Mkdir(filepath.Join(dir, module), 0o755); err != nil {
			t.Fatal(err)
		}
		writeZText(t, filepath.Join(dir, module), records)
	}
	return dir
}

func TestReadBibleTiny(t *testing.T) {
	pairs, err := ReadBible(writeTinyBible(t))
	if err != nil {
		t.Fatal(err)
	}
	// Numbers 12 and 13 are left out: 12:16 is empty in the Reina-Valera (its 13:1).
	want := []VersePair{
		{"Gen", 1, 1, "EN el principio crió Dios los cielos y la tierra.", "In the beginning God created the heaven and the earth."},
		{"Gen", 1, 2, "Y la tierra estaba desordenada y vacía, y las tinieblas estaban sobre la haz del abismo, y el Espíritu de Dios se movía sobre la haz de las aguas.",
			"And the earth was without form, and void; and darkness was upon the face of the deep. And the Spirit of God moved upon the face of the waters."},
		{"Gen", 1, 3, "Y dijo Dios: Sea la luz: y fué la luz.", "And God said, Let there be light: and there was light."},
		{"Gen", 1, 4, "Y vió Dios que la luz era buena: y apartó Dios la luz de las tinieblas.", "And God saw the light, that it was good: and God divided the light from the darkness."},
		{"Exod", 6, 3, "Y aparecí á Abraham, á Isaac y á Jacob bajo el nombre de Dios Omnipotente, mas en mi nombre JEHOVÁ no me notifiqué á ellos.",
			"And I appeared unto Abraham, unto Isaac, and unto Jacob, by the name of God Almighty, but by my name JEHOVAH was I not known to them."},
		{"Ps", 3, 1, "Salmo de David, cuando huía de delante de Absalom su hijo. ¡OH Jehová, cuánto se han multiplicado mis enemigos! muchos se levantan contra mí.",
			"A Psalm of David, when he fled from Absalom his son. LORD, how are they increased that trouble me! many are they that rise up against me."},
		{"Ps", 119, 9, "BETH ¿Con qué limpiará el joven su camino? Con guardar tu palabra.",
			"ב BETH. Wherewithal shall a young man cleanse his way? by taking heed thereto according to thy word."},
		{"Matt", 5, 3, "Bienaventurados los pobres en espíritu: porque de ellos es el reino de los cielos.",
			"Blessed are the poor in spirit: for theirs is the kingdom of heaven."},
		{"John", 3, 16, "Porque de tal manera amó Dios al mundo, que ha dado á su Hijo unigénito, para que todo aquel que en él cree, no se pierda, mas tenga vida eterna.",
			"For God so loved the world, that he gave his only begotten Son, that whosoever believeth in him should not perish, but have everlasting life."},
		{"Rev", 22, 21, "La gracia de nuestro Señor Jesucristo sea con todos vosotros. Amén.", "The grace of our Lord Jesus Christ be with you all. Amen."},
	}
	if !slices.Equal(pairs, want) {
		t.Errorf("ReadBible =\n%v\nwant\n%v", pairs, want)
	}
}

func TestOSISText(t *testing.T) {
	for _, tc := range []struct{ osis, want string }{
		{`<w lemma="strong:H0430">God</w> <w lemma="strong:H0914">divided</w> the <w>light</w>.<note placement="foot"><reference type="annotateRef">1.4 </reference>the light from…: Heb. between</note> `,
			"God divided the light."},
		{`<title level="1" type="main">The First Book of Moses</title> <div sID="gen3" type="x-p"/>`, ""},
		{`<title canonical="true" type="psalm">A <w>Psalm</w> of David.</title> <lg sID="g"/><l level="1" sID="l"/><divineName><w>LORD</w></divineName>, how`,
			"A Psalm of David. LORD, how"},
		{`<title><foreign>ב BETH.</foreign></title> <lg/>Wherewithal`, "ב BETH. Wherewithal"},
		{`the <divineName>LORD</divineName>:<note><seg><divineName>JEHOVAH</divineName></seg> <note>nested</note> still note</note> ok`, "the LORD: ok"},
		{`by my name \nd <w>JEHOVAH</w></divineName> was; the LORD\+nd*: or`, "by my name JEHOVAH was; the LORD: or"},
		{"¶ And  David\twent &amp; came &lt;home&gt; &#233;", "And David went & came <home> é"},
		{`<q marker="" who="Jesus">Blessed <seg><transChange type="added">are</transChange></seg> the poor</q>`, "Blessed are the poor"},
		{`line one<lb type="x-p"/>line two<l/>three`, "line one line two three"},
		{`text before an <unterminated tag`, "text before an"},
		{`<note>an unclosed note`, ""},
	} {
		if got := osisText(tc.osis); got != tc.want {
			t.Errorf("osisText(%q) = %q, want %q", tc.osis, got, tc.want)
		}
	}
}

func TestReadBibleErrors(t *testing.T) {
	dir := writeTinyBible(t)
	_, err := ReadBible(filepath.Join(dir, "nowhere"))
	if err == nil || !strings.Contains(err.Error(), "apt-get install "+BibleSpanishPackage) {
		t.Errorf("missing directory: got %v, want the package to install", err)
	}
	en := filepath.Join(dir, BibleEnglish)
	bzv, err := os.ReadFile(filepath.Join(en, "nt.bzv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(en, "nt.bzv"), bzv[:len(bzv)-zVerseRecord], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadBible(dir); err == nil || !strings.Contains(err.Error(), "nt.bzv") {
		t.Errorf("short verse index: got %v, want an error naming nt.bzv", err)
	}
	_, index := layoutIndex(t, "John.3.16")
	binary.LittleEndian.PutUint32(bzv[index*zVerseRecord:], 7) // a block that does not exist
	if err := os.WriteFile(filepath.Join(en, "nt.bzv"), bzv, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadBible(dir); err == nil || !strings.Contains(err.Error(), "block 7 does not exist") {
		t.Errorf("bad block number: got %v, want an error naming the block", err)
	}
}

// TestReadBibleInstalled reads the installed modules in full (sword-text-sparv 2.60 and
// sword-text-kjv 14.3 of Debian bookworm); it logs the sizes README.md gives.
func TestReadBibleInstalled(t *testing.T) {
	skipWithoutBible(t)
	for _, m := range []string{BibleSpanish, BibleEnglish} {
		verses, err := ReadZText(filepath.Join(BibleDir, m))
		if err != nil {
			t.Fatal(err)
		}
		empty := 0
		for _, v := range verses {
			if v.Text == "" {
				empty++
			}
		}
		if len(verses) != 31102 {
			t.Errorf("%s: %d verses, want the 31,102 of the KJV versification", m, len(verses))
		}
		t.Logf("%s: %d verses, %d empty", m, len(verses), empty)
	}
	pairs, err := ReadBible("")
	if err != nil {
		t.Fatal(err)
	}
	byRef := map[string]VersePair{}
	var es, en []int
	for _, p := range pairs {
		byRef[fmt.Sprintf("%s.%d.%d", p.Book, p.Chapter, p.Verse)] = p
		es, en = append(es, len(strings.Fields(p.Spanish))), append(en, len(strings.Fields(p.English)))
	}
	for ref, want := range map[string][2]string{
		"Gen.1.1":   {"EN el principio crió Dios los cielos y la tierra.", "In the beginning God created the heaven and the earth."},
		"John.3.16": {"Porque de tal manera amó Dios al mundo, que ha dado á su Hijo unigénito, para que todo aquel que en él cree, no se pierda, mas tenga vida eterna.", "For God so loved the world, that he gave his only begotten Son, that whosoever believeth in him should not perish, but have everlasting life."},
	} {
		if got := byRef[ref]; got.Spanish != want[0] || got.English != want[1] {
			t.Errorf("%s = %q / %q, want %q / %q", ref, got.Spanish, got.English, want[0], want[1])
		}
	}
	if _, ok := byRef["Num.13.1"]; ok {
		t.Errorf("Numbers 13, whose Spanish verses are shifted by one, was not left out")
	}
	if len(pairs) != bibleInstalledPairs {
		t.Errorf("%d pairs, want %d", len(pairs), bibleInstalledPairs)
	}
	chapters := map[string]bool{}
	for _, p := range pairs {
		chapters[fmt.Sprintf("%s.%d", p.Book, p.Chapter)] = true
	}
	t.Logf("%d of 1,189 chapters", len(chapters))
	slices.Sort(es)
	slices.Sort(en)
	t.Logf("%d verse pairs; median words: Spanish %d, English %d; longest %d / %d",
		len(pairs), es[len(es)/2], en[len(en)/2], es[len(es)-1], en[len(en)-1])
}

// bibleInstalledPairs is ReadBible of the installed modules: 31,102 verses less 586 in the 23 chapters
// left out around the 18 verses the Reina-Valera lacks.
const bibleInstalledPairs = 30516

// allVerseRefs is one pair per verse of the KJV versification, texts naming the reference.
func allVerseRefs() []VersePair {
	var pairs []VersePair
	for _, b := range kjvBooks {
		for c, n := range b.Verses {
			for v := 1; v <= n; v++ {
				ref := fmt.Sprintf("%s.%d.%d", b.OSIS, c+1, v)
				pairs = append(pairs, VersePair{b.OSIS, c + 1, v, "es " + ref, "en " + ref})
			}
		}
	}
	return pairs
}

func TestSplitBible(t *testing.T) {
	pairs := allVerseRefs()
	train, val, test := SplitBible(pairs, 0.05, 0.1, 7)
	if got := len(train) + len(val) + len(test); got != len(pairs) {
		t.Fatalf("the splits hold %d pairs, want %d", got, len(pairs))
	}
	// Each held-out set reaches its share and overshoots by less than the longest chapter (176).
	for _, s := range []struct {
		name string
		got  int
		frac float64
	}{{"val", len(val), 0.05}, {"test", len(test), 0.1}} {
		want := int(s.frac*float64(len(pairs)) + 0.5)
		if s.got < want || s.got >= want+176 {
			t.Errorf("%s has %d pairs, want %d..%d", s.name, s.got, want, want+175)
		}
	}
	where := map[string]string{}
	for name, set := range map[string][]VersePair{"train": train, "val": val, "test": test} {
		for _, p := range set {
			ch := fmt.Sprintf("%s.%d", p.Book, p.Chapter)
			if w, ok := where[ch]; ok && w != name {
				t.Fatalf("chapter %s is in both %s and %s", ch, w, name)
			}
			where[ch] = name
		}
	}
	// Same seed, shuffled input: the same sets; another seed: other chapters.
	shuffled := slices.Clone(pairs)
	for i, j := range permutation(len(shuffled), 1, 2) {
		shuffled[i] = pairs[j]
	}
	train2, val2, test2 := SplitBible(shuffled, 0.05, 0.1, 7)
	sortPairs := func(s []VersePair) []VersePair {
		s = slices.Clone(s)
		slices.SortFunc(s, func(a, b VersePair) int { return strings.Compare(a.English, b.English) })
		return s
	}
	for _, c := range [][2][]VersePair{{train, train2}, {val, val2}, {test, test2}} {
		if !slices.Equal(sortPairs(c[0]), sortPairs(c[1])) {
			t.Errorf("the split depends on the order of the pairs")
		}
	}
	_, val3, _ := SplitBible(pairs, 0.05, 0.1, 7)
	if !slices.Equal(val, val3) {
		t.Errorf("SplitBible is not deterministic for a seed")
	}
	if _, val4, _ := SplitBible(pairs, 0.05, 0.1, 8); slices.Equal(val, val4) {
		t.Errorf("seeds 7 and 8 hold out the same verses")
	}
	// Verses keep their order within a chapter.
	for i := 1; i < len(val); i++ {
		if val[i].Book == val[i-1].Book && val[i].Chapter == val[i-1].Chapter && val[i].Verse != val[i-1].Verse+1 {
			t.Fatalf("val has %v after %v", val[i], val[i-1])
		}
	}
	if tr, v, te := SplitBible(pairs, 0, 0, 7); len(tr) != len(pairs) || len(v)+len(te) != 0 {
		t.Errorf("fractions 0, 0 give %d/%d/%d pairs", len(tr), len(v), len(te))
	}
}
