package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/coder/websocket"
)

// DefaultUserAgent is the User-Agent NewClientFromEnv uses when neither its
// argument nor SLICER_USER_AGENT names one.
const DefaultUserAgent = "slicer-sdk-go/1.0"

// SlicerClient handles all HTTP communication with the Slicer API.
type SlicerClient struct {
	// base is scheme://authority plus the escaped path prefix (no trailing
	// slash) every request URL starts with. Over a unix socket it is
	// "http://unix".
	base string
	// wsBase is base for WebSocket dials ("http://localhost" over a socket).
	wsBase string
	// display is what BaseURL reports: the socket path or the URL with any
	// user info redacted.
	display    string
	socketPath string

	token      string
	userAgent  string
	httpClient *http.Client
	// badURL records a base URL that could not be parsed; every call fails
	// with it.
	badURL error
}

// NewSlicerClient creates a new Slicer API client. If baseURL is a Unix
// socket path (see the rules in the package documentation), requests go over
// that socket and httpClient is not used. Otherwise httpClient (or
// http.DefaultClient when nil) carries the requests. An empty token sends no
// Authorization header; an empty userAgent sends Go's default.
func NewSlicerClient(baseURL, token string, userAgent string, httpClient *http.Client) *SlicerClient {
	c := &SlicerClient{token: token, userAgent: userAgent}
	if sock, ok := normalizeUnixSocketPath(baseURL); ok {
		c.socketPath = sock
		c.base = "http://unix"
		c.wsBase = "http://localhost"
		c.display = sock
		c.httpClient = &http.Client{Transport: unixTransport(sock)}
		return c
	}
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	c.httpClient = httpClient
	raw := strings.TrimSpace(baseURL)
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		c.badURL = fmt.Errorf("invalid slicer URL %q: %w", raw, err)
	case u.Scheme != "http" && u.Scheme != "https":
		c.badURL = fmt.Errorf("invalid slicer URL %q: want http://, https://, unix:// or a socket path", u.Redacted())
	case u.Host == "":
		c.badURL = fmt.Errorf("invalid slicer URL %q: no host", u.Redacted())
	}
	if c.badURL != nil {
		c.display = raw
		if u != nil {
			c.display = u.Redacted()
		}
		c.base, c.wsBase = "http://invalid", "http://invalid"
		return c
	}
	prefix := strings.TrimRight(u.EscapedPath(), "/")
	c.base = u.Scheme + "://" + u.Host + prefix
	c.wsBase = c.base
	d := *u
	d.RawQuery, d.Fragment = "", ""
	c.display = strings.TrimRight(d.Redacted(), "/")
	return c
}

// NewClientFromEnv creates a client using environment credentials.
// The token is loaded from SLICER_TOKEN (preferred) or SLICER_TOKEN_FILE.
// baseURL defaults to SLICER_URL; userAgent defaults to SLICER_USER_AGENT and
// then "slicer-sdk-go/1.0"; httpClient is passed to NewSlicerClient.
func NewClientFromEnv(baseURL, userAgent string, httpClient *http.Client) (*SlicerClient, error) {
	// Like the SDK, only the environment values are trimmed; the arguments
	// are used as given when non-empty.
	if baseURL == "" {
		baseURL = strings.TrimSpace(os.Getenv("SLICER_URL"))
	}
	if baseURL == "" {
		return nil, errors.New("SLICER_URL is required")
	}
	if userAgent == "" {
		userAgent = strings.TrimSpace(os.Getenv("SLICER_USER_AGENT"))
	}
	if userAgent == "" {
		userAgent = DefaultUserAgent
	}
	token, err := tokenFromEnv()
	if err != nil {
		return nil, err
	}
	return NewSlicerClient(baseURL, token, userAgent, httpClient), nil
}

// NewSlicerClientFromEnv creates a client from env using default userAgent
// and default http client.
func NewSlicerClientFromEnv() (*SlicerClient, error) {
	return NewClientFromEnv("", "", nil)
}

func tokenFromEnv() (string, error) {
	if t := strings.TrimSpace(os.Getenv("SLICER_TOKEN")); t != "" {
		return t, nil
	}
	p := strings.TrimSpace(os.Getenv("SLICER_TOKEN_FILE"))
	if p == "" {
		return "", errors.New("SLICER_TOKEN or SLICER_TOKEN_FILE is required")
	}
	p = expandHome(p)
	b, err := os.ReadFile(p)
	if err != nil {
		return "", fmt.Errorf("read SLICER_TOKEN_FILE: %w", err)
	}
	t := strings.TrimSpace(string(b))
	if t == "" {
		return "", fmt.Errorf("SLICER_TOKEN_FILE %q is empty", p)
	}
	return t, nil
}

func expandHome(p string) string {
	if strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil && home != "" {
			return filepath.Join(home, p[2:])
		}
	}
	return p
}

// normalizeUnixSocketPath applies the REST client's socket detection
// (PROTOCOL.md §1.1): trim, drop one "unix://", then a socket is anything
// starting with "/", "./", "../" or "~/" or ending in ".sock"; "~/" is
// expanded. An http:// or https:// URL is never a socket.
func normalizeUnixSocketPath(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	lower := strings.ToLower(s)
	if strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://") {
		return "", false
	}
	s = strings.TrimPrefix(s, "unix://")
	switch {
	case strings.HasPrefix(s, "/"), strings.HasPrefix(s, "./"), strings.HasPrefix(s, "../"),
		strings.HasPrefix(s, "~/"), strings.HasSuffix(s, ".sock"):
		return expandHome(s), true
	}
	return "", false
}

func unixTransport(socketPath string) *http.Transport {
	var d net.Dialer
	return &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", socketPath)
		},
		MaxIdleConns:      16,
		ForceAttemptHTTP2: false,
	}
}

// BaseURL returns the daemon address this client talks to, for messages: the
// socket path, or the URL with any credentials redacted. It never includes
// the token.
func (c *SlicerClient) BaseURL() string { return c.display }

// DialWebSocket opens a WebSocket to the daemon. path is an escaped,
// root-based path such as "/vm/vm-1/shell" (the base URL's path prefix is
// put in front of it); query is appended when non-empty. The client's
// Authorization and User-Agent are added unless header already carries
// them. Over a unix socket the dial goes through the socket with the URL
// host "localhost". The returned response is the upgrade (or failed)
// response; its body need not be closed.
func (c *SlicerClient) DialWebSocket(ctx context.Context, path string, query url.Values, header http.Header) (*websocket.Conn, *http.Response, error) {
	if c.badURL != nil {
		return nil, nil, c.badURL
	}
	u := c.wsBase + ensureSlash(path)
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	h := header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if c.token != "" && h.Get("Authorization") == "" {
		h.Set("Authorization", "Bearer "+c.token)
	}
	if c.userAgent != "" && h.Get("User-Agent") == "" {
		h.Set("User-Agent", c.userAgent)
	}
	conn, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{
		HTTPClient: c.httpClient,
		HTTPHeader: h,
	})
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			ae := &APIError{Method: http.MethodGet, Path: ensureSlash(path), StatusCode: resp.StatusCode}
			if resp.Body != nil {
				b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
				ae.Message = errorMessage(b)
			}
			return nil, resp, ae
		}
		return nil, resp, fmt.Errorf("websocket %s: %w", ensureSlash(path), err)
	}
	return conn, resp, nil
}

func ensureSlash(p string) string {
	if !strings.HasPrefix(p, "/") {
		return "/" + p
	}
	return p
}

// esc escapes one path segment exactly as the vendor SDK's requests carry
// it (Go's URL serializer escaping a whole path: "*" becomes %2A, while ";",
// ",", ":", "@", "=", "&", "+" and "$" stay as they are), except that "/"
// becomes %2F so a name can never add a path segment.
func esc(s string) string {
	// Escaping "/"+s rather than s sidesteps EscapedPath's special case
	// for a path that is exactly "*".
	p := (&url.URL{Path: "/" + s}).EscapedPath()[1:]
	return strings.ReplaceAll(p, "/", "%2F")
}

// vmEndpoint returns "/vm/{hostname}" plus suffix.
func vmEndpoint(hostname, suffix string) string { return "/vm/" + esc(hostname) + suffix }

// VMPath returns the root-based path "/vm/{hostname}" plus suffix, with the
// hostname escaped exactly as every REST call of this package escapes it.
// The shell and forward packages build their WebSocket paths with it.
func VMPath(hostname, suffix string) string { return vmEndpoint(hostname, suffix) }

// newRequest builds a request for the escaped root-based path p.
func (c *SlicerClient) newRequest(ctx context.Context, method, p string, q url.Values, body io.Reader) (*http.Request, error) {
	if c.badURL != nil {
		return nil, c.badURL
	}
	if ctx == nil {
		ctx = context.Background()
	}
	u := c.base + ensureSlash(p)
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	return req, nil
}

// do sends req. A transport failure is returned as is (it names the URL,
// never the token).
func (c *SlicerClient) do(req *http.Request) (*http.Response, error) {
	resp, err := c.httpClient.Do(req)
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil && errors.Is(err, ctxErr) {
			return nil, ctxErr
		}
		if c.socketPath != "" {
			return nil, fmt.Errorf("%s %s via %s: %w", req.Method, req.URL.EscapedPath(), c.socketPath, err)
		}
		return nil, err
	}
	return resp, nil
}

// send performs a request and checks the status against ok (any 2xx when ok
// is empty). On success the caller owns resp.Body; on failure it is closed.
func (c *SlicerClient) send(req *http.Request, ok ...int) (*http.Response, error) {
	resp, err := c.do(req)
	if err != nil {
		return nil, err
	}
	if !statusOK(resp.StatusCode, ok) {
		ae := newAPIError(resp)
		drainClose(resp.Body)
		return nil, ae
	}
	return resp, nil
}

func statusOK(code int, ok []int) bool {
	if len(ok) == 0 {
		return code >= 200 && code < 300
	}
	return slices.Contains(ok, code)
}

func drainClose(rc io.ReadCloser) {
	if rc == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(rc, 64<<10))
	_ = rc.Close()
}

// doJSON sends in (when non-nil) as a JSON body, checks the status and
// decodes the answer into out (when non-nil).
func (c *SlicerClient) doJSON(ctx context.Context, method, p string, q url.Values, in, out any, ok ...int) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s %s request: %w", method, p, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := c.newRequest(ctx, method, p, q, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.send(req, ok...)
	if err != nil {
		return err
	}
	defer drainClose(resp.Body)
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode %s %s response: %w", method, p, err)
	}
	return nil
}
