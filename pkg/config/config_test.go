package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func envMap(m map[string]string) Env { return func(k string) string { return m[k] } }

func writeFile(t *testing.T, path, data string, mode os.FileMode) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestResolvePrecedence(t *testing.T) {
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	tokA := writeFile(t, filepath.Join(dir, "a.token"), " tok-a\n", 0o600)
	tokCtx := writeFile(t, filepath.Join(dir, "ctx.token"), "tok-ctx", 0o600)
	tokDefault := writeFile(t, filepath.Join(dir, "default.token"), "tok-default\n", 0o600)
	cfg := writeFile(t, filepath.Join(home, ".config", "slicer", "config.yaml"), `current-context: lab
contexts:
  - name: lab
    url: https://lab.example.com:8080
    token-file: `+tokCtx+`
  - name: other
    url: /run/other.sock
`, 0o600)
	localSock := filepath.Join(home, ".local", "state", "slicer", "local", "slicer.sock")

	tests := []struct {
		name      string
		in        Inputs
		env       map[string]string
		noConfig  bool
		probe     bool
		wantURL   string
		wantSrc   string
		wantToken string
		wantTSrc  string
		wantWarn  string
		wantErr   string
	}{
		// The context's token belongs to the context's daemon: a URL given
		// for another daemon never receives it (it would leak, even over
		// plain http).
		{name: "flag url beats env and context, without the context's token", in: Inputs{URL: "http://flag:1", URLSource: "--url"},
			env: map[string]string{"SLICER_URL": "http://env:1"}, wantURL: "http://flag:1", wantSrc: "--url",
			wantWarn: `not sending the token of context "lab" to http://flag:1`},
		{name: "env url when no flag, without the context's token", in: Inputs{URL: "http://env:2", URLSource: "SLICER_URL"},
			wantURL: "http://env:2", wantSrc: "SLICER_URL", wantWarn: `not sending the token of context "lab"`},
		{name: "url equal to the context's keeps its token", in: Inputs{URL: "https://lab.example.com:8080/", URLSource: "--url"},
			wantURL: "https://lab.example.com:8080", wantSrc: "--url", wantToken: "tok-ctx", wantTSrc: "context lab"},
		{name: "other url with its own token file", in: Inputs{URL: "http://env:2", URLSource: "SLICER_URL", TokenFile: tokA, TokenFileSource: "SLICER_TOKEN_FILE"},
			wantURL: "http://env:2", wantSrc: "SLICER_URL", wantToken: "tok-a", wantTSrc: "SLICER_TOKEN_FILE"},
		{name: "current context", wantURL: "https://lab.example.com:8080", wantSrc: "context lab", wantToken: "tok-ctx", wantTSrc: "context lab"},
		{name: "named context", in: Inputs{Context: "other", ContextSource: "--context"}, wantURL: "/run/other.sock", wantSrc: "context other"},
		{name: "unknown context", in: Inputs{Context: "nope", ContextSource: "SLICER_CONTEXT"}, wantErr: `context "nope" (from SLICER_CONTEXT) not found`},
		{name: "token flag beats everything, with a warning", in: Inputs{Token: "tok-flag", TokenSource: "--token"},
			wantURL: "https://lab.example.com:8080", wantSrc: "context lab", wantToken: "tok-flag", wantTSrc: "--token", wantWarn: "--token-file"},
		{name: "token file trimmed", in: Inputs{TokenFile: tokA, TokenFileSource: "--token-file"},
			wantURL: "https://lab.example.com:8080", wantSrc: "context lab", wantToken: "tok-a", wantTSrc: "--token-file"},
		{name: "local daemon socket when it answers", noConfig: true, probe: true, wantURL: localSock, wantSrc: "slicer local"},
		{name: "vendor default with readable token file", noConfig: true, wantURL: DefaultTCPURL, wantSrc: "default",
			wantToken: "tok-default", wantTSrc: tokDefault},
		{name: "default token file never sent to a remote host", noConfig: true, in: Inputs{URL: "https://remote.example.com", URLSource: "--url"},
			wantURL: "https://remote.example.com", wantSrc: "--url"},
		{name: "API path in the URL is dropped with a warning", noConfig: true, in: Inputs{URL: "http://127.0.0.1:8081/nodes", URLSource: "--url"},
			wantURL: "http://127.0.0.1:8081", wantSrc: "--url", wantToken: "tok-default", wantTSrc: tokDefault, wantWarn: "ignoring the API path /nodes"},
		{name: "missing token file", in: Inputs{TokenFile: filepath.Join(dir, "nope"), TokenFileSource: "SLICER_TOKEN_FILE"}, wantErr: "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"HOME": home}
			for k, v := range tt.env {
				env[k] = v
			}
			in := tt.in
			in.Getenv = envMap(env)
			in.ConfigPath = cfg
			if tt.noConfig {
				in.ConfigPath = filepath.Join(dir, "absent.yaml")
			}
			in.DefaultTokenFile = tokDefault
			in.Probe = func(s string) bool { return tt.probe && s == localSock }
			conn, err := Resolve(in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if conn.URL != tt.wantURL || conn.URLSource != tt.wantSrc || conn.Token != tt.wantToken || conn.TokenSource != tt.wantTSrc {
				t.Errorf("got url %q (%s) token %q (%s); want %q (%s) %q (%s)", conn.URL, conn.URLSource, conn.Token, conn.TokenSource,
					tt.wantURL, tt.wantSrc, tt.wantToken, tt.wantTSrc)
			}
			warns := strings.Join(conn.Warnings, "\n")
			if tt.wantWarn == "" && warns != "" || !strings.Contains(warns, tt.wantWarn) {
				t.Errorf("warnings = %q, want %q", warns, tt.wantWarn)
			}
		})
	}
}

func TestReadTokenFile(t *testing.T) {
	dir := t.TempDir()
	open := writeFile(t, filepath.Join(dir, "open"), "abc\n", 0o644)
	tok, warn, err := ReadTokenFile(open, envMap(nil))
	if err != nil || tok != "abc" || !strings.Contains(warn, "readable by other users") || !strings.Contains(warn, "chmod 600") {
		t.Errorf("got %q %q %v", tok, warn, err)
	}
	empty := writeFile(t, filepath.Join(dir, "empty"), " \n", 0o600)
	if _, _, err := ReadTokenFile(empty, envMap(nil)); err == nil || !strings.Contains(err.Error(), "is empty") {
		t.Errorf("empty token file: %v", err)
	}
	for name, content := range map[string]string{"two-lines": "CANARY-1\nCANARY-2\n", "nul": "CANARY\x00x", "json": `{"token":"CANARY"`} {
		p := writeFile(t, filepath.Join(dir, name), content, 0o600)
		_, _, err := ReadTokenFile(p, envMap(nil))
		if name == "json" {
			// One word: accepted as a token (the daemon decides).
			continue
		}
		if err == nil || strings.Contains(err.Error(), "CANARY") || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %v must name the file and not the content", name, err)
		}
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(open, link); err != nil {
		t.Fatal(err)
	}
	if _, warn, err := ReadTokenFile(link, envMap(nil)); err != nil || !strings.Contains(warn, "readable by other users") {
		t.Errorf("symlink to an open file: %q %v", warn, err)
	}
	if _, _, err := ReadTokenFile(dir, envMap(nil)); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory as token file: %v", err)
	}
	writeFile(t, filepath.Join(dir, "h", "t"), "x", 0o600)
	if tok, _, err := ReadTokenFile("~/t", envMap(map[string]string{"HOME": filepath.Join(dir, "h")})); err != nil || tok != "x" {
		t.Errorf("~ expansion: %q %v", tok, err)
	}
}

func TestIsSocket(t *testing.T) {
	for in, want := range map[string]bool{
		"/tmp/s.sock": true, "./s": true, "../s": true, "~/s": true, "unix:///x": true, "x.sock": true,
		"http://127.0.0.1:8080": false, "https://h": false, " /a ": true,
	} {
		if got := IsSocket(in); got != want {
			t.Errorf("IsSocket(%q) = %v", in, got)
		}
	}
}

func TestValidateURL(t *testing.T) {
	for in, ok := range map[string]bool{
		"http://127.0.0.1:8080": true, "https://h/x": true, "127.0.0.1:8080": true, "/tmp/x.sock": true,
		"ftp://h": false, "http://": false,
	} {
		if err := ValidateURL(in); (err == nil) != ok {
			t.Errorf("ValidateURL(%q) = %v", in, err)
		}
	}
}

func TestFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "slicer", "config.yaml")
	f, err := Load(path)
	if err != nil || len(f.Contexts) != 0 {
		t.Fatalf("missing file: %v %+v", err, f)
	}
	f.Upsert(Context{Name: "a", URL: "http://a:1", TokenFile: "/t"})
	f.Upsert(Context{Name: "b", URL: "/s.sock"})
	f.CurrentContext = "b"
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v %v", st.Mode(), err)
	}
	g, err := Load(path)
	if err != nil || g.CurrentContext != "b" || len(g.Contexts) != 2 || g.Contexts[0].TokenFile != "/t" {
		t.Fatalf("reloaded %+v %v", g, err)
	}
	if !g.Remove("b") || g.CurrentContext != "" || g.Remove("b") {
		t.Errorf("remove: %+v", g)
	}
	writeFile(t, path, "contexts:\n  - name: a\n  - name: a\n", 0o600)
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "appears twice") {
		t.Errorf("duplicate: %v", err)
	}
	writeFile(t, path, "bogus: 1\n", 0o600)
	if _, err := Load(path); err == nil {
		t.Errorf("unknown field accepted")
	}
}

// A context's insecure setting (TLS verification off) applies only to its
// own daemon, not to a URL given for another one.
func TestResolveContextInsecureOnlyForItsURL(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, filepath.Join(dir, "config.yaml"), `current-context: lab
contexts:
  - name: lab
    url: https://lab.example.com:8443
    insecure: true
`, 0o600)
	for _, tt := range []struct {
		url  string
		want bool
	}{{"", true}, {"https://lab.example.com:8443", true}, {"https://other.example.com", false}} {
		in := Inputs{URL: tt.url, URLSource: "--url", ConfigPath: cfg, Getenv: envMap(map[string]string{"HOME": dir}),
			DefaultTokenFile: filepath.Join(dir, "none"), Probe: func(string) bool { return false }}
		conn, err := Resolve(in)
		if err != nil {
			t.Fatal(err)
		}
		if conn.Insecure != tt.want {
			t.Errorf("url %q: insecure = %v, want %v", tt.url, conn.Insecure, tt.want)
		}
	}
}
