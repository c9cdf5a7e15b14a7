package tarstream

import (
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

func strqQuote(s string) string { return strconv.Quote(s) }

// NormalizeExclude normalises one exclude pattern as PROTOCOL.md §11.6
// describes: surrounding white space trimmed, OS separators turned into "/",
// then one leading "./", one leading "/" and one trailing "/" removed. It
// returns "" for a pattern that is blank afterwards (such patterns are
// dropped).
func NormalizeExclude(p string) string {
	p = strings.TrimSpace(p)
	p = filepath.ToSlash(p)
	p = strings.TrimPrefix(p, "./")
	p = strings.TrimPrefix(p, "/")
	p = strings.TrimSuffix(p, "/")
	return p
}

// Excluded reports whether the slash-separated relative path rel matches any
// of patterns (normalised with NormalizeExclude; blank ones ignored).
//
// A pattern matches by segments: pattern and path are split on "/", a "**"
// segment matches zero or more path segments, every other segment matches
// exactly one path segment with path.Match glob rules, and the whole path
// must be consumed. A pattern without "/" also matches the last segment of
// rel. A malformed glob never matches.
func Excluded(rel string, patterns []string) bool {
	rel = strings.Trim(rel, "/")
	if rel == "" {
		return false
	}
	var relSegs []string
	for _, raw := range patterns {
		p := NormalizeExclude(raw)
		if p == "" {
			continue
		}
		if relSegs == nil {
			relSegs = strings.Split(rel, "/")
		}
		if matchSegments(strings.Split(strings.Trim(p, "/"), "/"), relSegs) {
			return true
		}
		if !strings.Contains(p, "/") {
			if ok, err := path.Match(p, relSegs[len(relSegs)-1]); err == nil && ok {
				return true
			}
		}
	}
	return false
}

func matchSegments(pat, segs []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			// Collapse runs of "**".
			for len(pat) > 1 && pat[1] == "**" {
				pat = pat[1:]
			}
			if len(pat) == 1 {
				return true
			}
			for i := 0; i <= len(segs); i++ {
				if matchSegments(pat[1:], segs[i:]) {
					return true
				}
			}
			return false
		}
		if len(segs) == 0 {
			return false
		}
		ok, err := path.Match(pat[0], segs[0])
		if err != nil || !ok {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return len(segs) == 0
}
