package client

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"strconv"
)

// ReadDir lists entries in a VM path.
func (c *SlicerClient) ReadDir(ctx context.Context, vmName, path string) ([]SlicerFSInfo, error) {
	out := []SlicerFSInfo{}
	q := url.Values{"path": {path}}
	if err := c.doJSON(ctx, http.MethodGet, vmEndpoint(vmName, "/fs/readdir"), q, nil, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return out, nil
}

// Stat fetches metadata for a single path inside a VM. A path that does not
// exist yields an error for which errors.Is(err, os.ErrNotExist) holds (an
// *APIError carrying the daemon's message).
func (c *SlicerClient) Stat(ctx context.Context, vmName, path string) (*SlicerFSInfo, error) {
	var out SlicerFSInfo
	q := url.Values{"path": {path}}
	if err := c.doJSON(ctx, http.MethodGet, vmEndpoint(vmName, "/fs/stat"), q, nil, &out, http.StatusOK); err != nil {
		return nil, notExistOn404(err)
	}
	return &out, nil
}

// notExistOn404 marks a 404 *APIError as os.ErrNotExist.
func notExistOn404(err error) error {
	var ae *APIError
	if errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound {
		ae.sentinel = os.ErrNotExist
	}
	return err
}

// Exists reports whether path exists inside the VM.
func (c *SlicerClient) Exists(ctx context.Context, vmName, path string) (bool, error) {
	_, err := c.Stat(ctx, vmName, path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	default:
		return false, err
	}
}

// Mkdir creates a directory in a VM.
func (c *SlicerClient) Mkdir(ctx context.Context, vmName string, request SlicerFSMkdirRequest) error {
	return c.doJSON(ctx, http.MethodPost, vmEndpoint(vmName, "/fs/mkdir"), nil, request, nil, http.StatusOK, http.StatusCreated, http.StatusNoContent)
}

// Remove deletes a path in a VM; recursive is always sent.
func (c *SlicerClient) Remove(ctx context.Context, vmName, path string, recursive bool) error {
	q := url.Values{"path": {path}, "recursive": {strconv.FormatBool(recursive)}}
	return c.doJSON(ctx, http.MethodDelete, vmEndpoint(vmName, "/fs/remove"), q, nil, nil, http.StatusOK, http.StatusNoContent)
}
