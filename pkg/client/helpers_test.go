package client_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/slicer-cli/slicer/pkg/client"
)

// request is what the test server saw.
type request struct {
	Method   string
	Path     string // escaped path
	Query    url.Values
	RawQuery string
	Header   http.Header
	Body     []byte
	Chunked  bool
}

type recorder struct {
	mu   sync.Mutex
	reqs []request
}

func (r *recorder) add(req request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, req)
}

func (r *recorder) all() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.reqs...)
}

func (r *recorder) last(t *testing.T) request {
	t.Helper()
	all := r.all()
	if len(all) == 0 {
		t.Fatal("no request reached the server")
	}
	return all[len(all)-1]
}

const (
	testToken = "s3cret-token"
	testUA    = "slicer-test/1.0"
	prefix    = "/api"
)

// newTestClient starts a server whose handler sees each request after it has
// been recorded (body fully read), and a client for it with a path prefix.
func newTestClient(t *testing.T, h http.HandlerFunc) (*client.SlicerClient, *recorder) {
	t.Helper()
	rec := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.add(request{
			Method:   r.Method,
			Path:     r.URL.EscapedPath(),
			Query:    r.URL.Query(),
			RawQuery: r.URL.RawQuery,
			Header:   r.Header.Clone(),
			Body:     body,
			Chunked:  len(r.TransferEncoding) > 0 && r.TransferEncoding[0] == "chunked",
		})
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	c := client.NewSlicerClient(srv.URL+prefix, testToken, testUA, srv.Client())
	return c, rec
}

func replyJSON(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if body != "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// newRawServer starts a recording server answering [] and returns its URL.
func newRawServer(t *testing.T, rec *recorder) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.add(request{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.Query(), RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "[]")
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
