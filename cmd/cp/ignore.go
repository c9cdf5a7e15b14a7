package cp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// IgnoreFile is the name of the per-directory ignore file that recursive
// host-to-VM copies read from the local source directory.
const IgnoreFile = ".slicerignore"

// ReadIgnoreFile reads dir/.slicerignore, if there is one, and returns its
// rules as exclude patterns (PROTOCOL.md §11.6 syntax) plus a warning for
// each line that cannot be expressed. A missing file is not an error.
func ReadIgnoreFile(dir string) (patterns, warnings []string, err error) {
	f, err := os.Open(filepath.Join(dir, IgnoreFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", IgnoreFile, err)
	}
	defer f.Close()
	return ParseIgnore(f)
}

// ParseIgnore converts gitignore-style lines into exclude patterns:
//
//   - blank lines and lines starting with '#' are skipped; `\#` and `\!`
//     escape a leading '#' or '!'; trailing unescaped spaces are dropped;
//   - a pattern with no '/' except a trailing one matches at any depth
//     (`node_modules`, `*.log`), as do patterns starting with `**/`;
//   - a pattern with a leading or inner '/' is anchored at the source
//     directory (`/build`, `docs/tmp`);
//   - a trailing '/' (directory only in git) is treated like the plain
//     pattern: the exclude syntax cannot tell files from directories;
//   - every match also covers everything beneath it.
//
// Negation (`!pattern`) cannot be expressed as an exclude; such lines are
// skipped and reported as warnings so that nothing is silently copied that
// the user meant to keep out, or the reverse, without saying so.
func ParseIgnore(r io.Reader) (patterns, warnings []string, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimSuffix(sc.Text(), "\r")
		line = trimTrailingSpaces(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "!") {
			warnings = append(warnings, fmt.Sprintf("%s:%d: negated pattern %q is not supported and was ignored", IgnoreFile, lineNo, line))
			continue
		}
		if strings.HasPrefix(line, `\#`) || strings.HasPrefix(line, `\!`) {
			line = line[1:]
		}
		p := strings.TrimSuffix(line, "/")
		if p == "" || p == "/" {
			continue
		}
		anchored := strings.HasPrefix(p, "/") || strings.Contains(strings.TrimPrefix(p, "**/"), "/")
		p = strings.TrimLeft(p, "/")
		if p == "" {
			continue
		}
		if anchored {
			patterns = append(patterns, p, p+"/**")
			continue
		}
		// Matches at any depth: the basename rule of the exclude syntax
		// covers the entry itself, `**/p/**` covers what lies beneath it.
		for strings.HasPrefix(p, "**/") {
			p = strings.TrimPrefix(p, "**/")
		}
		switch p {
		case "":
			continue
		case "**":
			patterns = append(patterns, p)
			continue
		}
		patterns = append(patterns, p, "**/"+p+"/**")
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", IgnoreFile, err)
	}
	return patterns, warnings, nil
}

func trimTrailingSpaces(s string) string {
	for strings.HasSuffix(s, " ") && !strings.HasSuffix(s, `\ `) {
		s = s[:len(s)-1]
	}
	if strings.HasSuffix(s, `\ `) {
		s = s[:len(s)-2] + " "
	}
	return s
}
