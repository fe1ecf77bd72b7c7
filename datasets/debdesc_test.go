package datasets

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pierrec/lz4/v4"
)

// The fixtures are whole stanzas of Debian bookworm's main Translation-en (9 packages) and the
// Package, Source, Version and Architecture lines of the same packages' stanzas in its amd64
// Packages index: see datasets/README.md.
const (
	tinyTranslation = "testdata/translation-en-tiny.txt"
	tinyPackages    = "testdata/packages-tiny.txt"
)

// writeTinyLists writes the fixtures as apt keeps them, Translation-en compressed with LZ4 and
// Packages plain, and returns the Translation-en path.
func writeTinyLists(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	tr, err := os.ReadFile(tinyTranslation)
	if err != nil {
		t.Fatal(err)
	}
	var z bytes.Buffer
	zw := lz4.NewWriter(&z)
	if _, err := zw.Write(tr); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "deb.debian.org_debian_dists_bookworm_main_i18n_Translation-en.lz4")
	if err := os.WriteFile(path, z.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	pk, err := os.ReadFile(tinyPackages)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages"), pk, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadDescriptionsTiny(t *testing.T) {
	descs, err := LoadDescriptions(writeTinyLists(t))
	if err != nil {
		t.Fatal(err)
	}
	// freeglut3-dev has no long description; libboost1.81-doc repeats libboost1.74-doc's.
	var got []string
	for _, d := range descs {
		got = append(got, d.Package+" ← "+d.Source)
	}
	want := []string{"0ad ← 0ad", "0ad-data ← 0ad-data", "0ad-data-common ← 0ad-data", "a56 ← a56",
		"libboost1.74-doc ← boost1.74", "libcryptokit-ocaml ← cryptokit", "libcryptokit-ocaml-dev ← cryptokit"}
	if !slices.Equal(got, want) {
		t.Fatalf("packages ← sources = %q, want %q", got, want)
	}
	a56 := descs[3]
	if a56.MD5 != "e2a5c0e79ee0be60f379e6e2377bc1b4" || a56.Synopsis != "Motorola DSP56001 assembler" {
		t.Errorf("a56: md5 %q synopsis %q", a56.MD5, a56.Synopsis)
	}
	wantLong := "a56 is an assembler for the Motorola DSP56001 family of microcontrollers.\n\n" +
		"It is capable of compiling the firmware used in Linux' dsp56k.c driver.\n\n" +
		"Example DSP code for musical effects such as chorus, flange, and reverb can be found at " +
		"http://www.zdomain.com/a56/src/examples/ (unfortunately copyright prevents distribution)."
	if a56.Long != wantLong {
		t.Errorf("a56 long description =\n%q\nwant\n%q", a56.Long, wantLong)
	}
	crypto := descs[6].Long
	for _, part := range []string{
		"protocols in security-sensitive applications. The primitives provided include:\n\n" +
			"  - Symmetric-key ciphers: AES, DES, Triple-DES, ARCfour,\n    in ECB, CBC, CFB and OFB modes.\n" +
			"  - Public-key cryptography: RSA encryption, Diffie-Hellman key agreement.\n",
		"  - Encodings and compression: base 64, hexadecimal, Zlib compression.\n\nAdditional ciphers",
		"\n\nThis package provides static libraries, interfaces, and documentation for Cryptokit.",
	} {
		if !strings.Contains(crypto, part) {
			t.Errorf("libcryptokit-ocaml-dev's long description lacks %q:\n%s", part, crypto)
		}
	}
	// The plain file reads the same, without sources.
	f, err := os.Open(tinyTranslation)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	plain, err := ReadDescriptions(tinyTranslation, f)
	if err != nil {
		t.Fatal(err)
	}
	for i := range plain {
		plain[i].Source = descs[i].Source
	}
	if !slices.Equal(plain, descs) {
		t.Errorf("the plain fixture reads differently from its LZ4 copy")
	}
}

func TestReadDescriptionsErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{" continued\n", "x:1: a continuation line outside a field"},
		{"Package: a\nDescription-en: s\n long\n\nDescription-md5: 0\nDescription-en: s\n", "x:6: the stanza from line 5 has no Package"},
		{"Package: a\nDescription-en: s\n\nPackage: b\n\n", "x:5: the stanza from line 4 has no Package or no Description-en"},
		{"Package: a\nnot a field\n", `x:2: "not a field" is not a field`},
	} {
		_, err := ReadDescriptions("x", strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadDescriptions(%q) = %v, want an error with %q", tc.in, err, tc.want)
		}
	}
	_, err := LoadDescriptions(filepath.Join(t.TempDir(), "none_i18n_Translation-en.lz4"))
	if err == nil || !strings.Contains(err.Error(), DescriptionsFetch) {
		t.Errorf("missing index: got %v, want the apt command that fetches it", err)
	}
}

func TestDescriptionGroups(t *testing.T) {
	descs, err := LoadDescriptions(writeTinyLists(t))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range descriptionGroups(descs) {
		var names []string
		for _, i := range g {
			names = append(names, descs[i].Package)
		}
		got = append(got, strings.Join(names, " "))
	}
	// 0ad and 0ad-data are two source packages with the same first paragraph. Groups come
	// sorted by synopsis: "Boost.org …", "Motorola …", "Real-time …", "cryptographic …".
	want := []string{"libboost1.74-doc", "a56", "0ad 0ad-data 0ad-data-common", "libcryptokit-ocaml libcryptokit-ocaml-dev"}
	if !slices.Equal(got, want) {
		t.Errorf("groups = %q, want %q", got, want)
	}
}

// syntheticDescriptions are n descriptions in families: every 5th shares its source with the
// next, every 7th its first paragraph with the next, every 11th its long text.
func syntheticDescriptions(n int) []Description {
	descs := make([]Description, n)
	for i := range descs {
		src, para, long := fmt.Sprint("src", i), fmt.Sprintf("paragraph %d with enough words to count as one", i), fmt.Sprint("body ", i)
		if i%5 == 1 {
			src = fmt.Sprint("src", i-1)
		}
		if i%7 == 1 {
			para = fmt.Sprintf("paragraph %d with enough words to count as one", i-1)
		}
		if i%11 == 1 {
			para, long = fmt.Sprintf("paragraph %d with enough words to count as one", i-1), fmt.Sprint("body ", i-1)
		}
		descs[i] = Description{Package: fmt.Sprint("pkg", i), Source: src, Synopsis: fmt.Sprint("synopsis ", i), Long: para + "\n\n" + long}
	}
	return descs
}

// checkNoStraddle fails t when related descriptions are in two sets.
func checkNoStraddle(t *testing.T, sets map[string][]Description) {
	t.Helper()
	where := map[string]string{}
	for name, set := range sets {
		for _, d := range set {
			para, _, _ := strings.Cut(d.Long, "\n\n")
			keys := []string{"source " + cmpOrString(d.Source, d.Package), "long " + d.Long}
			if len(strings.Fields(para)) >= minSharedParagraph {
				keys = append(keys, "paragraph "+para)
			}
			for _, k := range keys {
				if w, ok := where[k]; ok && w != name {
					t.Fatalf("%.80q is in both %s and %s", k, w, name)
				}
				where[k] = name
			}
		}
	}
}

func cmpOrString(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func TestSplitDescriptions(t *testing.T) {
	descs := syntheticDescriptions(2000)
	train, val, test := SplitDescriptions(descs, 0.1, 0.2, 3)
	if len(train)+len(val)+len(test) != len(descs) {
		t.Fatalf("the sets hold %d descriptions, want %d", len(train)+len(val)+len(test), len(descs))
	}
	if len(val) > 200 || len(val) < 195 || len(test) > 400 || len(test) < 395 {
		t.Errorf("val %d, test %d: want at most and near 200 and 400", len(val), len(test))
	}
	checkNoStraddle(t, map[string][]Description{"train": train, "val": val, "test": test})
	reversed := slices.Clone(descs)
	slices.Reverse(reversed)
	_, val2, _ := SplitDescriptions(reversed, 0.1, 0.2, 3)
	byName := func(s []Description) []string {
		var names []string
		for _, d := range s {
			names = append(names, d.Package)
		}
		slices.Sort(names)
		return names
	}
	if !slices.Equal(byName(val), byName(val2)) {
		t.Errorf("the validation set depends on the order of the descriptions")
	}
	if _, val3, _ := SplitDescriptions(descs, 0.1, 0.2, 3); !slices.Equal(val, val3) {
		t.Errorf("SplitDescriptions is not deterministic for a seed")
	}
	if _, val4, _ := SplitDescriptions(descs, 0.1, 0.2, 4); slices.Equal(byName(val), byName(val4)) {
		t.Errorf("seeds 3 and 4 hold out the same descriptions")
	}
}

// TestLoadDescriptionsInstalled reads bookworm's main Translation-en in full; it logs the sizes
// README.md gives. apt refreshes the index, so counts are checked loosely.
func TestLoadDescriptionsInstalled(t *testing.T) {
	if _, err := os.Stat(DescriptionsPath); err != nil {
		t.Skipf("%s is missing (%s)", DescriptionsPath, DescriptionsFetch)
	}
	descs, err := LoadDescriptions("")
	if err != nil {
		t.Fatal(err)
	}
	if len(descs) < 55000 || len(descs) > 70000 {
		t.Errorf("%d descriptions, want about 61,000", len(descs))
	}
	var long, short []int
	noSource := 0
	for _, d := range descs {
		long, short = append(long, len(strings.Fields(d.Long))), append(short, len(strings.Fields(d.Synopsis)))
		if d.Source == "" {
			noSource++
		}
	}
	slices.Sort(long)
	slices.Sort(short)
	train, val, test := SplitDescriptions(descs, 0.05, 0.05, 1)
	checkNoStraddle(t, map[string][]Description{"train": train, "val": val, "test": test})
	groups, largest := descriptionGroups(descs), 0
	for _, g := range groups {
		largest = max(largest, len(g))
	}
	t.Logf("%d descriptions (%d without a source package) in %d groups (largest %d); median words: long %d, synopsis %d; split 0.05/0.05: %d/%d/%d",
		len(descs), noSource, len(groups), largest, long[len(long)/2], short[len(short)/2], len(train), len(val), len(test))
}
