package localdaemon

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// apiError is an error with the HTTP status it maps to.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func errorf(status int, format string, args ...any) error {
	return &apiError{status: status, msg: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) error {
	return errorf(http.StatusBadRequest, format, args...)
}

// jsonError writes {"error": "..."} with application/json, the daemon's error
// shape everywhere but /proxy/v1.
func jsonError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}

// textError writes a text/plain error, the shape of /proxy/v1 errors.
func textError(w http.ResponseWriter, status int, format string, args ...any) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	fmt.Fprintln(w, fmt.Sprintf(format, args...))
}

// fail writes err as a JSON error, using its status when it carries one.
func fail(w http.ResponseWriter, err error) {
	var ae *apiError
	if errors.As(err, &ae) {
		jsonError(w, ae.status, "%s", ae.msg)
		return
	}
	jsonError(w, http.StatusInternalServerError, "%s", err.Error())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func writeText(w http.ResponseWriter, status int, s string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, s)
}

// maxJSONBody caps JSON request bodies (a secret, userdata and the like).
const maxJSONBody = 8 << 20

// decodeJSON decodes a JSON request body into v, rejecting unknown trailing
// data. An empty body is allowed when emptyOK.
func decodeJSON(r *http.Request, v any, emptyOK bool) error {
	body := http.MaxBytesReader(nil, r.Body, maxJSONBody)
	dec := json.NewDecoder(body)
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errorf(http.StatusRequestEntityTooLarge, "request body is larger than %d bytes", maxJSONBody)
		}
		if errors.Is(err, io.EOF) && emptyOK {
			return nil
		}
		if errors.Is(err, io.EOF) {
			return badRequest("request body is empty: send a JSON object")
		}
		return badRequest("invalid JSON body: %v", err)
	}
	if dec.More() {
		return badRequest("invalid JSON body: unexpected data after the JSON object")
	}
	return nil
}

// queryBool parses a boolean query parameter ("true"/"false", also 1/0).
func queryBool(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, badRequest("invalid %s=%q: use true or false", name, v)
	}
	return b, nil
}

// queryUint32 parses an optional uint32 query parameter; the NonRootUser
// sentinel 4294967295 counts as absent.
func queryUint32(r *http.Request, name string) (uint32, bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil {
		return 0, false, badRequest("invalid %s=%q: want a decimal number from 0 to 4294967295", name, v)
	}
	if n == math.MaxUint32 {
		return 0, false, nil
	}
	return uint32(n), true, nil
}

// parseMode parses an octal permission string such as "0644".
func parseMode(s, what string) (uint32, error) {
	s = strings.TrimSpace(s)
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil || n > 0o7777 {
		return 0, badRequest("invalid %s %q: want octal permissions such as 0644", what, s)
	}
	return uint32(n), nil
}

func formatMode(m uint32) string { return fmt.Sprintf("%04o", m&0o7777) }
