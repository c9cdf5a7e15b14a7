package client

import (
	"context"
	"net/http"
)

// CreateProxyClient mints a new proxy access token. setToken lets the caller
// bring their own value; pass "" for a server-minted token. The returned
// Token is shown once and is not retrievable later.
func (c *SlicerClient) CreateProxyClient(ctx context.Context, name, setToken string) (*ProxyClientCreated, error) {
	body := struct {
		Name  string `json:"name"`
		Token string `json:"token,omitempty"`
	}{Name: name, Token: setToken}
	var out ProxyClientCreated
	if err := c.doJSON(ctx, http.MethodPost, "/proxy/v1/clients", nil, body, &out, http.StatusCreated); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListProxyClients returns all registered proxy clients (no tokens).
func (c *SlicerClient) ListProxyClients(ctx context.Context) ([]ProxyClient, error) {
	out := []ProxyClient{}
	if err := c.doJSON(ctx, http.MethodGet, "/proxy/v1/clients", nil, nil, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteProxyClient revokes the token, drops every allow rule the client
// owned, and removes the client.
func (c *SlicerClient) DeleteProxyClient(ctx context.Context, name string) error {
	return c.doJSON(ctx, http.MethodDelete, "/proxy/v1/clients/"+esc(name), nil, nil, nil, http.StatusNoContent)
}

// ListProxyRules returns the client's allow rules in declaration order.
func (c *SlicerClient) ListProxyRules(ctx context.Context, client string) ([]ProxyAllowRule, error) {
	out := []ProxyAllowRule{}
	if err := c.doJSON(ctx, http.MethodGet, "/proxy/v1/clients/"+esc(client), nil, nil, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return out, nil
}

// CreateProxySecret registers an upstream credential the proxy can inject
// when an allow rule references it.
func (c *SlicerClient) CreateProxySecret(ctx context.Context, req CreateProxySecretRequest) error {
	return c.doJSON(ctx, http.MethodPost, "/proxy/v1/secrets", nil, req, nil, http.StatusCreated)
}

// ListProxySecrets returns all registered secrets (values are never
// returned).
func (c *SlicerClient) ListProxySecrets(ctx context.Context) ([]ProxySecret, error) {
	out := []ProxySecret{}
	if err := c.doJSON(ctx, http.MethodGet, "/proxy/v1/secrets", nil, nil, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteProxySecret removes a secret.
func (c *SlicerClient) DeleteProxySecret(ctx context.Context, name string) error {
	return c.doJSON(ctx, http.MethodDelete, "/proxy/v1/secrets/"+esc(name), nil, nil, nil, http.StatusNoContent)
}

// AddProxyAllow grants a client access to a host, optionally injecting a
// named secret on every CONNECT to that host.
func (c *SlicerClient) AddProxyAllow(ctx context.Context, req AddProxyAllowRequest) error {
	return c.doJSON(ctx, http.MethodPost, "/proxy/v1/allows", nil, req, nil, http.StatusCreated)
}

// RemoveProxyAllow removes every allow rule for a client whose host matches.
func (c *SlicerClient) RemoveProxyAllow(ctx context.Context, client, host string) error {
	return c.doJSON(ctx, http.MethodDelete, "/proxy/v1/allows/"+esc(client)+"/"+esc(host), nil, nil, nil, http.StatusNoContent)
}

// RemoveProxyAllowByTuple removes the single allow rule whose identity tuple
// matches the request.
func (c *SlicerClient) RemoveProxyAllowByTuple(ctx context.Context, req RemoveProxyAllowByTupleRequest) error {
	return c.doJSON(ctx, http.MethodPost, "/proxy/v1/allows/revoke", nil, req, nil, http.StatusNoContent)
}
