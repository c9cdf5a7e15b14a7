package client

import (
	"context"
	"errors"
	"net/http"
)

// ListSecrets retrieves all secrets. The secret data is never returned.
func (c *SlicerClient) ListSecrets(ctx context.Context) ([]Secret, error) {
	out := []Secret{}
	if err := c.doJSON(ctx, http.MethodGet, "/secrets", nil, nil, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return out, nil
}

// CreateSecret creates a new secret. request.Data must be base64-encoded.
// Returns ErrSecretExists if a secret with the same name already exists.
func (c *SlicerClient) CreateSecret(ctx context.Context, request CreateSecretRequest) error {
	err := c.doJSON(ctx, http.MethodPost, "/secrets", nil, request, nil, http.StatusCreated, http.StatusOK)
	var ae *APIError
	if errors.As(err, &ae) && ae.StatusCode == http.StatusConflict {
		return ErrSecretExists
	}
	return err
}

// PatchSecret updates an existing secret with new data and/or metadata.
// Only the fields provided are sent: unlike the vendor SDK, an empty Data is
// left out of the body, so a metadata-only update cannot be read as
// "replace the content with nothing" (PROTOCOL.md §7.3, §17 item 12).
func (c *SlicerClient) PatchSecret(ctx context.Context, secretName string, request UpdateSecretRequest) error {
	var body any = request
	if request.Data == "" {
		body = struct {
			Permissions string `json:"permissions,omitempty"`
			UID         uint32 `json:"uid,omitempty"`
			GID         uint32 `json:"gid,omitempty"`
		}{request.Permissions, request.UID, request.GID}
	}
	return c.doJSON(ctx, http.MethodPatch, "/secrets/"+esc(secretName), nil, body, nil, http.StatusOK, http.StatusNoContent)
}

// DeleteSecret removes a secret.
func (c *SlicerClient) DeleteSecret(ctx context.Context, secretName string) error {
	return c.doJSON(ctx, http.MethodDelete, "/secrets/"+esc(secretName), nil, nil, nil, http.StatusOK, http.StatusNoContent)
}
