package client_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/slicer-cli/slicer/pkg/client"
)

// unixServer serves h on a unix socket in a temp dir and returns its path.
func unixServer(t *testing.T, h http.Handler) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "slc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "s.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: h}}
	srv.Start()
	t.Cleanup(srv.Close)
	return sock
}

func TestUnixSocketTransport(t *testing.T) {
	rec := &recorder{}
	sock := unixServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(request{Method: r.Method, Path: r.URL.EscapedPath(), Header: r.Header.Clone(), Query: r.URL.Query()})
		if r.Host != "unix" {
			http.Error(w, "host "+r.Host, 400)
			return
		}
		_, _ = io.WriteString(w, `[]`)
	}))
	for _, base := range []string{sock, "unix://" + sock} {
		// A caller-supplied client is not used for sockets.
		c := client.NewSlicerClient(base, "tok", "ua/1", &http.Client{Transport: failingTransport{}})
		if _, err := c.ListVMs(ctx(), client.ListOptions{Tag: "a"}); err != nil {
			t.Fatalf("%s: %v", base, err)
		}
		got := rec.last(t)
		expect(t, "path", got.Path, "/nodes")
		expect(t, "auth", got.Header.Get("Authorization"), "Bearer tok")
		expect(t, "ua", got.Header.Get("User-Agent"), "ua/1")
		expect(t, "BaseURL", c.BaseURL(), sock)
	}
}

type failingTransport struct{}

func (failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, io.ErrUnexpectedEOF
}

func TestConnectionRefusedNamesSocket(t *testing.T) {
	c := client.NewSlicerClient("/nonexistent/slicer.sock", "", "", nil)
	_, err := c.GetInfo(ctx())
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/slicer.sock") {
		t.Fatalf("err = %v", err)
	}
}

func echoWS(t *testing.T, rec *recorder) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(request{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.Query(), Header: r.Header.Clone()})
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(401)
			_, _ = io.WriteString(w, `{"error":"unauthorized"}`)
			return
		}
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer conn.CloseNow()
		typ, b, err := conn.Read(r.Context())
		if err != nil {
			return
		}
		_ = conn.Write(r.Context(), typ, append([]byte("echo:"), b...))
		_ = conn.Close(websocket.StatusNormalClosure, "bye")
	})
}

func TestDialWebSocket(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(echoWS(t, rec))
	defer srv.Close()
	sock := unixServer(t, echoWS(t, rec))

	for _, base := range []string{srv.URL + "/api/", sock} {
		c := client.NewSlicerClient(base, "tok", "ua/1", srv.Client())
		dctx, cancel := context.WithTimeout(ctx(), 10*time.Second)
		conn, _, err := c.DialWebSocket(dctx, "/vm/vm-1/forward", nil, http.Header{"X-Inlets-Upstream": {"127.0.0.1:80"}, "User-Agent": {"slicer-forward/1.0"}})
		if err != nil {
			cancel()
			t.Fatalf("%s: %v", base, err)
		}
		if err := conn.Write(dctx, websocket.MessageBinary, []byte("hi")); err != nil {
			t.Fatal(err)
		}
		_, b, err := conn.Read(dctx)
		if err != nil {
			t.Fatal(err)
		}
		expect(t, "echo", string(b), "echo:hi")
		conn.CloseNow()
		cancel()
		got := rec.last(t)
		wantPath := "/vm/vm-1/forward"
		if base != sock {
			wantPath = "/api" + wantPath
		}
		expect(t, "path", got.Path, wantPath)
		expect(t, "upstream", got.Header.Get("X-Inlets-Upstream"), "127.0.0.1:80")
		expect(t, "UA kept from caller", got.Header.Get("User-Agent"), "slicer-forward/1.0")
	}

	// Query and an upgrade refused with 401 -> *APIError.
	c := client.NewSlicerClient(srv.URL, "wrong", "ua/1", srv.Client())
	_, resp, err := c.DialWebSocket(ctx(), "/vm/vm-1/shell", map[string][]string{"uid": {"1000"}, "shell": {"/bin/bash"}}, nil)
	if !client.IsAPIStatus(err, 401) {
		t.Fatalf("err = %v, want APIError 401", err)
	}
	if resp == nil || resp.StatusCode != 401 {
		t.Errorf("resp = %v", resp)
	}
	got := rec.last(t)
	expect(t, "query", got.Query.Encode(), "shell=%2Fbin%2Fbash&uid=1000")
	expect(t, "ua", got.Header.Get("User-Agent"), "ua/1")
	if !strings.Contains(err.Error(), "unauthorized") {
		t.Errorf("error lacks daemon text: %v", err)
	}
}

func TestNewClientFromEnv(t *testing.T) {
	t.Setenv("SLICER_URL", "")
	t.Setenv("SLICER_TOKEN", "")
	t.Setenv("SLICER_TOKEN_FILE", "")
	t.Setenv("SLICER_USER_AGENT", "")
	if _, err := client.NewSlicerClientFromEnv(); err == nil || err.Error() != "SLICER_URL is required" {
		t.Fatalf("err = %v", err)
	}
	if _, err := client.NewClientFromEnv("http://h", "", nil); err == nil || err.Error() != "SLICER_TOKEN or SLICER_TOKEN_FILE is required" {
		t.Fatalf("err = %v", err)
	}
	dir := t.TempDir()
	tf := filepath.Join(dir, "token")
	if err := os.WriteFile(tf, []byte("  file-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SLICER_TOKEN_FILE", tf)

	rec := &recorder{}
	url := newRawServer(t, rec)
	t.Setenv("SLICER_URL", " "+url+" ")
	c, err := client.NewSlicerClientFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListVMs(ctx()); err != nil {
		t.Fatal(err)
	}
	got := rec.last(t)
	expect(t, "auth", got.Header.Get("Authorization"), "Bearer file-token")
	expect(t, "ua", got.Header.Get("User-Agent"), "slicer-sdk-go/1.0")

	t.Setenv("SLICER_TOKEN", "env-token")
	t.Setenv("SLICER_USER_AGENT", "env-ua")
	c, err = client.NewClientFromEnv("", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.ListVMs(ctx())
	got = rec.last(t)
	expect(t, "auth", got.Header.Get("Authorization"), "Bearer env-token")
	expect(t, "ua", got.Header.Get("User-Agent"), "env-ua")

	// Like the SDK, a non-empty userAgent argument is used as given, even
	// when it is only blanks: the environment is not consulted.
	c, err = client.NewClientFromEnv("", "  ", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.ListVMs(ctx())
	got = rec.last(t)
	if _, ok := got.Header["User-Agent"]; !ok || got.Header.Get("User-Agent") != "" {
		t.Errorf("User-Agent = %q, want the blank argument (sent empty)", got.Header.Get("User-Agent"))
	}

	empty := filepath.Join(dir, "empty")
	_ = os.WriteFile(empty, []byte("\n"), 0o600)
	t.Setenv("SLICER_TOKEN", "")
	t.Setenv("SLICER_TOKEN_FILE", empty)
	if _, err := client.NewClientFromEnv("", "", nil); err == nil || !strings.Contains(err.Error(), "is empty") {
		t.Fatalf("empty token file: %v", err)
	}
}
