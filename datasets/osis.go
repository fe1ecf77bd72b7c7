package datasets

import (
	"html"
	"strings"
)

// osisText turns the OSIS markup of one verse into plain text: notes (<note>…</note>) and
// titles that are not verse text are removed with their contents; every other tag is removed
// and its text kept (<w>, <transChange>, <divineName>, <q>, <seg>, <foreign>, …); entities are
// decoded; the KJV's paragraph signs ¶ and stray USFM markers of the source (\nd, \+nd*) are
// removed; white space is collapsed.
// A title is verse text when it has canonical="true" (the Psalm superscriptions, which the
// Reina-Valera gives as the start of verse 1) or no type (the acrostic letters "א ALEPH." of
// Psalm 119 in the KJV, plain "ALEPH." text in the Reina-Valera). An unterminated tag ends the
// text.
func osisText(osis string) string {
	var b strings.Builder
	dropping, depth := "", 0 // the element being removed with its contents, and its nesting
	for len(osis) > 0 {
		lt := strings.IndexByte(osis, '<')
		if lt < 0 {
			lt = len(osis)
		}
		if depth == 0 {
			b.WriteString(stripUSFM(strings.ReplaceAll(osis[:lt], "¶", "")))
		}
		osis = osis[lt:]
		if osis == "" {
			break
		}
		gt := strings.IndexByte(osis, '>')
		if gt < 0 {
			break
		}
		tag := osis[1:gt]
		osis = osis[gt+1:]
		name, closing, selfClosing := tagName(tag)
		switch {
		case depth > 0:
			if name == dropping && closing {
				depth--
			} else if name == dropping && !selfClosing {
				depth++
			}
		case !closing && !selfClosing && droppedElement(name, tag):
			dropping, depth = name, 1
		case structuralTags[name]:
			b.WriteByte(' ')
		}
	}
	return strings.Join(strings.Fields(html.UnescapeString(b.String())), " ")
}

// structuralTags separate words (line, paragraph and division marks); the other tags sit
// inside words' punctuation ("LORD</divineName>,") and are removed without a trace.
var structuralTags = map[string]bool{
	"div": true, "milestone": true, "lb": true, "l": true, "lg": true, "chapter": true,
	"verse": true, "p": true, "title": true, "note": true, "list": true, "item": true,
}

// droppedElement reports whether the element opened by tag is removed with its contents.
func droppedElement(name, tag string) bool {
	switch name {
	case "note":
		return true
	case "title":
		return tagAttr(tag, "canonical") != "true" && tagAttr(tag, "type") != ""
	}
	return false
}

// tagName returns the element name of the text between < and >, and whether it is an end tag
// (</w>) or self-closing (<lb/>).
func tagName(tag string) (name string, closing, selfClosing bool) {
	closing = strings.HasPrefix(tag, "/")
	selfClosing = strings.HasSuffix(tag, "/")
	tag = strings.Trim(tag, "/")
	if end := strings.IndexAny(tag, " \t\r\n"); end >= 0 {
		tag = tag[:end]
	}
	return tag, closing, selfClosing
}

// tagAttr returns the value of the attribute key="…" of a start tag, "" when it has none.
func tagAttr(tag, key string) string {
	for _, sep := range []string{" ", "\t", "\n"} {
		if i := strings.Index(tag, sep+key+`="`); i >= 0 {
			v := tag[i+len(sep)+len(key)+2:]
			if end := strings.IndexByte(v, '"'); end >= 0 {
				return v[:end]
			}
		}
	}
	return ""
}

// stripUSFM removes the USFM character markers left in the text by the module's conversion
// (the KJV has "\nd LORD\+nd*" in 76 verses): a backslash, an optional "+", letters or digits
// and an optional "*".
func stripUSFM(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		j := i + 1
		if j < len(s) && s[j] == '+' {
			j++
		}
		for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= '0' && s[j] <= '9') {
			j++
		}
		if j < len(s) && s[j] == '*' {
			j++
		}
		i = j - 1 // the marker's end, "\+nd*", comes right before punctuation: leave no space
	}
	return b.String()
}
