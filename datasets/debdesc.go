package datasets

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pierrec/lz4/v4"
)

// Debian's package descriptions (the metadata of the Debian archive; each description belongs
// to its package) are read in place from the index apt downloads, never copied here.
const (
	DescriptionsPath = "/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_i18n_Translation-en.lz4"
	// DescriptionsFetch is the command that downloads the Translation-en indexes.
	DescriptionsFetch = "apt-get update -o Acquire::Languages=en"
)

// Description is one Debian package description: the synopsis (the first line of
// Description-en) summarises the long description (the rest).
type Description struct {
	Package string // the package of the stanza (the first one, when several share a description)
	MD5     string // Description-md5, the MD5 of the whole description text
	Source  string // the source package, from the Packages index; "" when not known
	// Synopsis is the one-line summary; Long the extended description, its paragraphs
	// separated by "\n\n", the wrapped lines of a paragraph joined and their white space
	// collapsed to single spaces, and verbatim lines (two or more leading spaces) kept as
	// lines without their first space.
	Synopsis, Long string
}

// LoadDescriptions reads the Translation-en index at path ("" means DescriptionsPath, plain or
// LZ4-compressed) with ReadDescriptions and fills each Source from the Packages indexes apt
// keeps beside it (the same name with binary-*_Packages for i18n_Translation-en, plain or
// compressed): a package none of them lists keeps Source "".
func LoadDescriptions(path string) ([]Description, error) {
	if path == "" {
		path = DescriptionsPath
	}
	descs, err := readIndexFile(path, ReadDescriptions)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("datasets: %s does not exist; apt downloads it with %s", path, DescriptionsFetch)
	}
	if err != nil {
		return nil, err
	}
	var indexes []string
	if strings.Contains(path, "_i18n_Translation-en") {
		pattern := strings.Replace(strings.TrimSuffix(path, ".lz4"), "_i18n_Translation-en", "_binary-*_Packages", 1) + "*"
		indexes, _ = filepath.Glob(pattern) // Glob fails only on a malformed pattern
	}
	sources := map[string]string{}
	for _, p := range indexes {
		s, err := readIndexFile(p, ReadPackageSources)
		if err != nil {
			return nil, err
		}
		for pkg, src := range s {
			sources[pkg] = src
		}
	}
	for i := range descs {
		descs[i].Source = sources[descs[i].Package]
	}
	return descs, nil
}

// readIndexFile opens path, decompresses it when it is LZ4 and parses it with read.
func readIndexFile[T any](path string, read func(name string, r io.Reader) (T, error)) (T, error) {
	var zero T
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return zero, err
		}
		return zero, fmt.Errorf("datasets: %s: %w", path, unwrapPath(err))
	}
	defer f.Close()
	r, err := decompressIndex(f)
	if err != nil {
		return zero, fmt.Errorf("datasets: %s: %w", path, err)
	}
	return read(path, r)
}

// lz4Magic opens an LZ4 frame (little-endian 0x184D2204).
var lz4Magic = []byte{0x04, 0x22, 0x4d, 0x18}

// decompressIndex returns r decompressed when it starts with the LZ4 frame magic, else as is.
func decompressIndex(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(len(lz4Magic))
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if bytes.Equal(head, lz4Magic) {
		return lz4.NewReader(br), nil
	}
	return br, nil
}

// ReadDescriptions parses a Translation-en index (deb822 stanzas of Package, Description-md5
// and Description-en; other fields are ignored) into long description → synopsis pairs, in
// file order. A description without a long part is left out, and so is one whose synopsis and
// long text repeat an earlier one (the packages sharing a description each have a stanza). A
// stanza without Package or Description-en, or a continuation line before any field, is an
// error naming the file and line.
func ReadDescriptions(name string, r io.Reader) ([]Description, error) {
	var descs []Description
	seen := map[string]bool{}
	var cur Description
	var body []string // the continuation lines of Description-en
	inStanza, inDesc, start, lineNo := false, false, 0, 0
	flush := func() error {
		if !inStanza {
			return nil
		}
		if cur.Package == "" || cur.Synopsis == "" {
			return fmt.Errorf("the stanza from line %d has no Package or no Description-en synopsis", start)
		}
		cur.Long = longDescription(body)
		if key := cur.Synopsis + "\x00" + cur.Long; cur.Long != "" && !seen[key] {
			seen[key] = true
			descs = append(descs, cur)
		}
		cur, body, inStanza, inDesc = Description{}, nil, false, false
		return nil
	}
	err := eachLine(name, r, func(line string) error {
		lineNo++
		switch {
		case strings.TrimSpace(line) == "":
			return flush()
		case line[0] == ' ' || line[0] == '\t':
			if !inStanza {
				return errors.New("a continuation line outside a field")
			}
			if inDesc {
				body = append(body, line[1:])
			}
			return nil
		}
		if !inStanza {
			inStanza, start = true, lineNo
		}
		field, value, ok := strings.Cut(line, ":")
		if !ok {
			return fmt.Errorf("%q is not a field", line)
		}
		value, inDesc = strings.TrimSpace(value), field == "Description-en"
		switch field {
		case "Package":
			cur.Package = value
		case "Description-md5":
			cur.MD5 = value
		case "Description-en":
			cur.Synopsis = value
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := flush(); err != nil {
		return nil, fmt.Errorf("datasets: %s:%d: %v", name, lineNo, err)
	}
	return descs, nil
}

// longDescription renders the continuation lines of a description (without their first
// space) by Debian policy §5.6.13: "." (or ".x", reserved) separates paragraphs, a line that
// starts with a space is verbatim, any other line is word-wrapped text of its paragraph.
func longDescription(lines []string) string {
	var paras []string
	var para []string // the lines of the paragraph so far, each already rendered
	wrapped := false  // whether the last line of para is word-wrapped text
	end := func() {
		if len(para) > 0 {
			paras = append(paras, strings.Join(para, "\n"))
		}
		para, wrapped = nil, false
	}
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "."):
			end()
		case strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t"):
			para, wrapped = append(para, strings.TrimRight(l, " \t")), false
		case wrapped:
			para[len(para)-1] += " " + strings.Join(strings.Fields(l), " ")
		default:
			if t := strings.Join(strings.Fields(l), " "); t != "" {
				para, wrapped = append(para, t), true
			}
		}
	}
	end()
	return strings.Join(paras, "\n\n")
}

// ReadPackageSources reads a Packages index (deb822 stanzas) into the source package of each
// binary package: its Source field without a version ("foo (1.2-1)" → "foo"), or its own name
// when the stanza has no Source.
func ReadPackageSources(name string, r io.Reader) (map[string]string, error) {
	sources := map[string]string{}
	pkg, src := "", ""
	flush := func() {
		if pkg != "" {
			sources[pkg] = cmp.Or(src, pkg)
		}
		pkg, src = "", ""
	}
	err := eachLine(name, r, func(line string) error {
		switch {
		case strings.TrimSpace(line) == "":
			flush()
		case strings.HasPrefix(line, "Package:"):
			pkg = strings.TrimSpace(strings.TrimPrefix(line, "Package:"))
		case strings.HasPrefix(line, "Source:"):
			src, _, _ = strings.Cut(strings.TrimSpace(strings.TrimPrefix(line, "Source:")), " ")
		}
		return nil
	})
	flush()
	return sources, err
}

// SplitDescriptions splits descriptions into training, validation and test sets so that
// related descriptions never straddle two sets. Related are descriptions of the same source
// package (Source, or the package name when Source is ""), with the same long text, or with
// the same first paragraph of at least 8 words (0ad and 0ad-data are two source packages that
// open with the same paragraph; so do 93 source packages of Puppet modules). Groups of related
// descriptions are taken in a seeded random order: a group goes to validation while it fits
// in round(valFrac*len(descs)) descriptions, else to test while it fits in
// round(testFrac*len(descs)), else to training; so the held-out sets never exceed their
// fractions and large families train. Within a set, groups keep the seeded order and a
// group's descriptions their input order. The split depends only on the set of descriptions
// and the seed. It panics on bad fractions, as Split3 does.
func SplitDescriptions(descs []Description, valFrac, testFrac float64, seed uint64) (train, val, test []Description) {
	checkFractions("SplitDescriptions", valFrac, testFrac)
	groups := descriptionGroups(descs)
	wantVal, wantTest := splitSizes(len(descs), valFrac, testFrac)
	for _, g := range permutation(len(groups), seed, splitStream) {
		members := groups[g]
		set := &train
		switch {
		case len(val)+len(members) <= wantVal:
			set = &val
		case len(test)+len(members) <= wantTest:
			set = &test
		}
		for _, i := range members {
			*set = append(*set, descs[i])
		}
	}
	return train, val, test
}

// minSharedParagraph is the fewest words a first paragraph needs to relate the descriptions
// that share it; shorter ones ("Transitional package.") say nothing about the software.
const minSharedParagraph = 8

// descriptionGroups returns the indices of related descriptions (see SplitDescriptions),
// each group in input order, the groups sorted by their least synopsis and text.
func descriptionGroups(descs []Description) [][]int {
	parent := make([]int, len(descs))
	for i := range parent {
		parent[i] = i
	}
	var root func(int) int
	root = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	first := map[string]int{} // a relating key → the first description with it
	relate := func(i int, key string) {
		if j, ok := first[key]; ok {
			parent[root(i)] = root(j)
		} else {
			first[key] = i
		}
	}
	for i, d := range descs {
		relate(i, "source\x00"+cmp.Or(d.Source, d.Package))
		relate(i, "long\x00"+d.Long)
		if para, _, _ := strings.Cut(d.Long, "\n\n"); len(strings.Fields(para)) >= minSharedParagraph {
			relate(i, "paragraph\x00"+para)
		}
	}
	byRoot := map[int][]int{}
	for i := range descs {
		byRoot[root(i)] = append(byRoot[root(i)], i)
	}
	groups := make([][]int, 0, len(byRoot))
	for _, g := range byRoot {
		groups = append(groups, g)
	}
	keys := make(map[int]string, len(groups)) // a group's least synopsis and text, by first member
	for _, g := range groups {
		for _, i := range g {
			if k, ok := keys[g[0]]; !ok || descs[i].Synopsis+"\x00"+descs[i].Long < k {
				keys[g[0]] = descs[i].Synopsis + "\x00" + descs[i].Long
			}
		}
	}
	slices.SortFunc(groups, func(a, b []int) int { return cmp.Or(strings.Compare(keys[a[0]], keys[b[0]]), cmp.Compare(a[0], b[0])) })
	return groups
}
