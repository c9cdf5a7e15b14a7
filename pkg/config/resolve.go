package config

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Defaults of the vendor CLI.
const (
	DefaultTCPURL    = "http://127.0.0.1:8080"
	DefaultTokenFile = "/var/lib/slicer/auth/token"
	MacSocket        = "~/slicer-mac/slicer.sock"
)

// Inputs are the settings given on the command line or in the
// environment. Each value comes with the name of where it came from
// ("--url", "SLICER_URL", ...); empty values are unset.
type Inputs struct {
	URL, URLSource             string
	Token, TokenSource         string
	TokenFile, TokenFileSource string
	Context, ContextSource     string
	Insecure                   bool

	Getenv Env
	// ConfigPath overrides Path(Getenv) (tests).
	ConfigPath string
	// Probe reports whether a unix socket answers. Nil uses a 300ms dial.
	Probe func(socket string) bool
	// DefaultTokenFile overrides DefaultTokenFile (tests).
	DefaultTokenFile string
}

// Connection is the resolved daemon and credentials.
type Connection struct {
	URL       string // base URL or unix socket path, as given to the client
	Token     string // never print
	UserAgent string
	Insecure  bool

	URLSource   string // "--url", "SLICER_URL", "context <name>", "slicer local", "default"
	TokenSource string // "--token", "--token-file <path>", "SLICER_TOKEN", ... or "" when none
	Context     string // context name in use, if any

	Warnings []string
}

// IsSocket reports whether the base URL names a unix socket, with the
// vendor SDK's rule: a leading unix://, /, ./, ../ or ~/, or a .sock suffix.
func IsSocket(u string) bool {
	s := strings.TrimSpace(u)
	s = strings.TrimPrefix(s, "unix://")
	return strings.HasPrefix(s, "/") || strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../") ||
		strings.HasPrefix(s, "~/") || strings.HasSuffix(s, ".sock")
}

// SocketPath returns the socket path of a socket URL with ~/ expanded.
func SocketPath(u string, getenv Env) string {
	s := strings.TrimPrefix(strings.TrimSpace(u), "unix://")
	return expandHome(s, getenv)
}

func expandHome(p string, getenv Env) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if h := home(getenv); h != "" {
			return filepath.Join(h, rest)
		}
	}
	return p
}

// Resolve applies the precedence rules.
func Resolve(in Inputs) (*Connection, error) {
	getenv := in.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	conn := &Connection{Insecure: in.Insecure}

	// The context, if any: --context, SLICER_CONTEXT, current-context.
	var ctxt *Context
	cfgPath := in.ConfigPath
	if cfgPath == "" {
		cfgPath = Path(getenv)
	}
	name, nameSource := strings.TrimSpace(in.Context), in.ContextSource
	file, err := Load(cfgPath)
	if err != nil {
		return nil, err
	}
	if name == "" {
		name, nameSource = file.CurrentContext, "current-context in "+cfgPath
	}
	if name != "" {
		c, ok := file.Find(name)
		if !ok {
			return nil, fmt.Errorf("context %q (from %s) not found in %s; see `slicer context list`", name, nameSource, cfgPath)
		}
		ctxt = c
		conn.Context = name
	}

	// Base URL.
	switch {
	case strings.TrimSpace(in.URL) != "":
		conn.URL, conn.URLSource = strings.TrimSpace(in.URL), in.URLSource
	case ctxt != nil && ctxt.URL != "":
		conn.URL, conn.URLSource = ctxt.URL, "context "+ctxt.Name
	default:
		probe := in.Probe
		if probe == nil {
			probe = dialProbe
		}
		local := filepath.Join(LocalStateDir(getenv), LocalSocketName)
		mac := expandHome(MacSocket, getenv)
		switch {
		case probe(local):
			conn.URL, conn.URLSource = local, "slicer local"
		case fileExists(mac):
			conn.URL, conn.URLSource = mac, "default"
		default:
			conn.URL, conn.URLSource = DefaultTCPURL, "default"
		}
	}
	conn.URL = normalizeURL(conn.URL)
	if stripped, suffix := stripAPIPath(conn.URL); suffix != "" {
		conn.Warnings = append(conn.Warnings, fmt.Sprintf("ignoring the API path %s in the daemon URL; using %s", suffix, stripped))
		conn.URL = stripped
	}

	// The context's credentials and TLS setting belong to its daemon: they
	// go only to the context's own URL, never to one given by --url or
	// SLICER_URL for another daemon.
	ctxOwnsURL := ctxt != nil && (ctxt.URL == "" || canonicalURL(ctxt.URL) == conn.URL)
	if ctxOwnsURL && ctxt.Insecure {
		conn.Insecure = true
	}

	// Token.
	readFile := func(path, source string) error {
		tok, warn, err := ReadTokenFile(path, getenv)
		if err != nil {
			return err
		}
		if warn != "" {
			conn.Warnings = append(conn.Warnings, warn)
		}
		conn.Token, conn.TokenSource = tok, source
		return nil
	}
	switch {
	case strings.TrimSpace(in.Token) != "":
		conn.Token, conn.TokenSource = strings.TrimSpace(in.Token), in.TokenSource
		if in.TokenSource == "--token" {
			conn.Warnings = append(conn.Warnings,
				"--token puts the token in your shell history and the process list; prefer --token-file or SLICER_TOKEN_FILE")
		}
	case strings.TrimSpace(in.TokenFile) != "":
		if err := readFile(in.TokenFile, in.TokenFileSource); err != nil {
			return nil, err
		}
	case ctxt != nil && !ctxOwnsURL && (ctxt.Token != "" || ctxt.TokenFile != ""):
		conn.Warnings = append(conn.Warnings, fmt.Sprintf(
			"not sending the token of context %q to %s: it is for %s; give this daemon's token with --token-file or SLICER_TOKEN_FILE",
			ctxt.Name, conn.URL, ctxt.URL))
	case ctxt != nil && ctxt.Token != "":
		conn.Token, conn.TokenSource = ctxt.Token, "context "+ctxt.Name
	case ctxt != nil && ctxt.TokenFile != "":
		if err := readFile(ctxt.TokenFile, "context "+ctxt.Name); err != nil {
			return nil, err
		}
	case !IsSocket(conn.URL) && isLoopbackURL(conn.URL):
		// The vendor CLI reads the local daemon's token by itself when it
		// can; only ever for a daemon on this machine.
		path := in.DefaultTokenFile
		if path == "" {
			path = DefaultTokenFile
		}
		if tok, warn, err := ReadTokenFile(path, getenv); err == nil {
			conn.Token, conn.TokenSource = tok, path
			if warn != "" {
				conn.Warnings = append(conn.Warnings, warn)
			}
		}
	}

	conn.UserAgent = strings.TrimSpace(getenv("SLICER_USER_AGENT"))
	return conn, nil
}

// canonicalURL is u as Resolve ends up using it (normalized, a pasted API
// path dropped), for comparing a context's URL with the one in use.
func canonicalURL(u string) string {
	stripped, _ := stripAPIPath(normalizeURL(u))
	return stripped
}

// normalizeURL trims whitespace and a trailing slash of TCP URLs. The client
// speaks root-based paths; a path prefix (docs show .../nodes) is kept and
// left to the client, which treats the base as scheme plus authority.
func normalizeURL(u string) string {
	u = strings.TrimSpace(u)
	if IsSocket(u) {
		return u
	}
	if !strings.Contains(u, "://") {
		u = "http://" + u
	}
	return strings.TrimRight(u, "/")
}

// apiPaths are endpoint paths that docs sometimes paste into --url
// (`--url http://127.0.0.1:8081/nodes`). They are not a base-URL prefix.
var apiPaths = []string{"/nodes", "/hostgroup", "/info", "/secrets", "/healthz"}

// stripAPIPath removes a known endpoint path from a TCP base URL.
func stripAPIPath(u string) (string, string) {
	if IsSocket(u) {
		return u, ""
	}
	p, err := url.Parse(u)
	if err != nil {
		return u, ""
	}
	for _, api := range apiPaths {
		if p.Path == api {
			p.Path, p.RawPath = "", ""
			return strings.TrimRight(p.String(), "/"), api
		}
	}
	return u, ""
}

// ValidateURL checks a --url value.
func ValidateURL(u string) error {
	if IsSocket(u) {
		return nil
	}
	p, err := url.Parse(normalizeURL(u))
	if err != nil {
		return fmt.Errorf("invalid daemon URL %q: %v", u, err)
	}
	if p.Scheme != "http" && p.Scheme != "https" {
		return fmt.Errorf("invalid daemon URL %q: use http://host:port, https://host or a unix socket path", u)
	}
	if p.Host == "" {
		return fmt.Errorf("invalid daemon URL %q: no host", u)
	}
	return nil
}

func isLoopbackURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	host := p.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ReadTokenFile reads a token file: ~/ expanded, surrounding whitespace
// trimmed, empty is an error. The permission check uses the opened file
// (no race with a swapped path) and follows symlinks to the real file. warn
// is set when the file is readable by other users or owned by another user.
// Errors name the file, never its content.
func ReadTokenFile(path string, getenv Env) (token, warn string, err error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	p := expandHome(strings.TrimSpace(path), getenv)
	f, err := os.Open(p)
	if err != nil {
		switch {
		case errors.Is(err, fs.ErrPermission):
			return "", "", fmt.Errorf("read token file %s: permission denied (run as a user that can read it, e.g. with sudo, or pass --token-file)", p)
		case errors.Is(err, fs.ErrNotExist):
			return "", "", fmt.Errorf("read token file %s: no such file", p)
		}
		return "", "", fmt.Errorf("read token file %s: %w", p, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", "", fmt.Errorf("read token file %s: %w", p, err)
	}
	if !st.Mode().IsRegular() {
		return "", "", fmt.Errorf("token file %s is not a regular file", p)
	}
	const maxToken = 64 << 10
	data, err := io.ReadAll(io.LimitReader(f, maxToken+1))
	if err != nil {
		return "", "", fmt.Errorf("read token file %s: %w", p, err)
	}
	if len(data) > maxToken {
		return "", "", fmt.Errorf("token file %s is too large to hold a token", p)
	}
	tok := strings.TrimSpace(string(data))
	if tok == "" {
		return "", "", fmt.Errorf("token file %s is empty", p)
	}
	if strings.ContainsFunc(tok, func(r rune) bool { return r < 0x21 || r == 0x7f }) {
		return "", "", fmt.Errorf("token file %s must hold one token on one line (it has spaces, several lines or control characters)", p)
	}
	var warns []string
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		warns = append(warns, fmt.Sprintf("token file %s is readable by other users (mode %04o); run: chmod 600 %s", p, perm, p))
	}
	if owner, ok := fileOwner(st); ok && owner != uint32(os.Getuid()) && owner != 0 {
		warns = append(warns, fmt.Sprintf("token file %s belongs to another user (uid %d)", p, owner))
	}
	return tok, strings.Join(warns, "; "), nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func dialProbe(socket string) bool {
	if !fileExists(socket) {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
