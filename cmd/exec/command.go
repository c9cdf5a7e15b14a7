package exec

import (
	"strings"
)

// DefaultShell is the interpreter `exec` runs commands under unless
// --shell "" asks for a direct exec (VENDOR-CLI.md §4.8).
const DefaultShell = "/bin/bash"

// BuildCommand turns the words after the VM argument into the wire
// command (the `cmd` and `args` query parameters of POST /vm/{vm}/exec).
//
// With a shell:
//   - a single word is the script, sent verbatim, so
//     `exec vm -- "ps aux | grep x"` keeps its pipe;
//   - several words are each shell-quoted and joined with spaces, so
//     `exec vm -- bash -c "a && b"` reaches the shell as exactly three words.
//
// Without a shell (--shell ""), the first word is the program and the rest
// are its arguments, passed unchanged.
func BuildCommand(words []string, shell string) (cmd string, args []string) {
	if len(words) == 0 {
		return "", nil
	}
	if shell == "" {
		return words[0], append([]string(nil), words[1:]...)
	}
	if len(words) == 1 {
		return words[0], nil
	}
	return JoinQuoted(words), nil
}

// JoinQuoted shell-quotes every word and joins them with single spaces.
func JoinQuoted(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = ShellQuote(w)
	}
	return strings.Join(q, " ")
}

// ShellQuote quotes s for a POSIX shell. Words made only of characters that
// no shell treats specially are left alone, so `ls -la /tmp` stays readable;
// everything else is put in single quotes, with each embedded single quote
// written as quote, backslash, quote, quote.
func ShellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !isSafeRune(r) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func isSafeRune(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	switch r {
	case '-', '_', '.', '/', ',', ':', '@', '%', '+', '=':
		return true
	}
	return false
}
