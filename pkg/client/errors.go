package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

var (
	// ErrSecretExists is an error returned when a secret with given name already exists.
	ErrSecretExists = errors.New("secret already exists")
)

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// APIError is returned for every non-success HTTP answer from the daemon.
// Method and Path identify the request (Path is the escaped request path,
// without the query), StatusCode is the HTTP status and Message the daemon's
// explanation: the "error" field of a JSON error body, or the trimmed text of
// any other body.
type APIError struct {
	Method     string
	Path       string
	StatusCode int
	Message    string

	// sentinel, when set, is reported by Unwrap so errors.Is matches it
	// (os.ErrNotExist for a 404 from Stat or ReadFile).
	sentinel error
}

// Error describes the failed call, its status and the daemon's message.
func (e *APIError) Error() string {
	status := fmt.Sprintf("%d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if http.StatusText(e.StatusCode) == "" {
		status = fmt.Sprintf("%d", e.StatusCode)
	}
	if e.Message == "" {
		return fmt.Sprintf("slicer %s %s failed: %s", e.Method, e.Path, status)
	}
	return fmt.Sprintf("slicer %s %s failed: %s: %s", e.Method, e.Path, status, e.Message)
}

// Unwrap returns the sentinel the error stands for, if any.
func (e *APIError) Unwrap() error { return e.sentinel }

// IsAPIStatus reports whether err is (or wraps) an *APIError with the given
// HTTP status code.
func IsAPIStatus(err error, code int) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.StatusCode == code
}

// newAPIError reads (a bounded amount of) resp's body and builds the error.
// The caller still owns resp.Body.
func newAPIError(resp *http.Response) *APIError {
	e := &APIError{StatusCode: resp.StatusCode}
	if resp.Request != nil {
		e.Method = resp.Request.Method
		if resp.Request.URL != nil {
			e.Path = resp.Request.URL.EscapedPath()
		}
	}
	if resp.Body != nil {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		e.Message = errorMessage(b)
	}
	return e
}

// errorMessage extracts the daemon's message from an error body:
// {"error": "..."} (most endpoints) or plain text (proxy admin).
func errorMessage(b []byte) string {
	text := strings.TrimSpace(string(b))
	if strings.HasPrefix(text, "{") {
		var body struct {
			Error   string `json:"error"`
			Message string `json:"message"`
			Code    string `json:"code"`
		}
		if json.Unmarshal(b, &body) == nil {
			switch {
			case body.Error != "":
				return body.Error
			case body.Message != "":
				return body.Message
			}
		}
	}
	return text
}
