package localdaemon

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/slicer-cli/slicer/pkg/client"
)

// The egress proxy's admin API (PROTOCOL.md §14). slicer local keeps and
// validates the proxy's clients, upstream secrets and allow rules so scripts
// can manage them; the data plane (the CONNECT listener that would use them)
// is not part of slicer local. Errors on /proxy/v1 are text/plain.

type proxyClientRec struct {
	Name      string    `json:"name"`
	TokenHash string    `json:"token_sha256"` // the token itself is shown once and never stored
	CreatedAt time.Time `json:"created_at"`
}

type proxySecretRec struct {
	Name       string    `json:"name"`
	Host       string    `json:"host"`
	Type       string    `json:"type,omitempty"`
	Value      string    `json:"value"`
	SourceFile string    `json:"source_file,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at,omitzero"`
}

type proxyRule struct {
	Client      string     `json:"client"`
	Host        string     `json:"host"`
	Secret      string     `json:"secret,omitempty"`
	Methods     []string   `json:"methods,omitempty"`
	Paths       []string   `json:"paths,omitempty"`
	Ports       []int      `json:"ports,omitempty"`
	Expires     *time.Time `json:"expires,omitempty"`
	Passthrough bool       `json:"passthrough,omitempty"`
}

type proxyState struct {
	Clients []proxyClientRec `json:"clients"`
	Secrets []proxySecretRec `json:"secrets"`
	Rules   []proxyRule      `json:"rules"`
}

type proxyStore struct {
	path string
	mu   sync.Mutex
	st   proxyState
}

func openProxyStore(path string) (*proxyStore, error) {
	p := &proxyStore{path: path}
	b, err := os.ReadFile(path)
	if err == nil {
		if err := json.Unmarshal(b, &p.st); err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return p, nil
}

func (p *proxyStore) saveLocked() error {
	b, err := json.MarshalIndent(p.st, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(p.path, b, 0o600)
}

func (p *proxyStore) client(name string) int {
	return slices.IndexFunc(p.st.Clients, func(c proxyClientRec) bool { return c.Name == name })
}

func (p *proxyStore) secret(name string) int {
	return slices.IndexFunc(p.st.Secrets, func(s proxySecretRec) bool { return s.Name == name })
}

// gcLocked drops expired rules.
func (p *proxyStore) gcLocked() {
	now := time.Now()
	p.st.Rules = slices.DeleteFunc(p.st.Rules, func(r proxyRule) bool {
		return r.Expires != nil && now.After(*r.Expires)
	})
}

var proxyNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

type proxyHandler func(w http.ResponseWriter, r *http.Request) (int, string)

func (d *Daemon) proxyRoutes(mux *http.ServeMux) {
	h := func(pattern string, fn proxyHandler) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if status, msg := fn(w, r); status != 0 {
				textError(w, status, "%s", msg)
			}
		})
	}
	h("GET /proxy/v1/clients", d.proxyListClients)
	h("POST /proxy/v1/clients", d.proxyCreateClient)
	h("GET /proxy/v1/clients/{name}", d.proxyListRules)
	h("DELETE /proxy/v1/clients/{name}", d.proxyDeleteClient)
	h("GET /proxy/v1/secrets", d.proxyListSecrets)
	h("POST /proxy/v1/secrets", d.proxyCreateSecret)
	h("DELETE /proxy/v1/secrets/{name}", d.proxyDeleteSecret)
	h("POST /proxy/v1/allows", d.proxyAddAllow)
	h("POST /proxy/v1/allows/revoke", d.proxyRevoke)
	h("DELETE /proxy/v1/allows/{client}/{host}", d.proxyRemoveByHost)
}

func decodeProxyJSON(r *http.Request, v any) (int, string) {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return http.StatusBadRequest, "request body is empty: send a JSON object"
		}
		return http.StatusBadRequest, "invalid JSON body: " + err.Error()
	}
	return 0, ""
}

func (d *Daemon) proxyListClients(w http.ResponseWriter, r *http.Request) (int, string) {
	p := d.proxy
	p.mu.Lock()
	out := make([]client.ProxyClient, 0, len(p.st.Clients))
	for _, c := range p.st.Clients {
		out = append(out, client.ProxyClient{Name: c.Name, CreatedAt: c.CreatedAt})
	}
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
	return 0, ""
}

func hashToken(t string) string {
	sum := sha256.Sum256([]byte(t))
	return hex.EncodeToString(sum[:])
}

func (d *Daemon) proxyCreateClient(w http.ResponseWriter, r *http.Request) (int, string) {
	var req struct {
		Name  string `json:"name"`
		Token string `json:"token,omitempty"`
	}
	if st, msg := decodeProxyJSON(r, &req); st != 0 {
		return st, msg
	}
	if !proxyNameRE.MatchString(req.Name) {
		return http.StatusBadRequest, fmt.Sprintf("invalid client name %q: use letters, digits, '.', '_' and '-' (at most 63 characters)", req.Name)
	}
	token := req.Token
	if token == "" {
		buf := make([]byte, 32)
		if _, err := rand.Read(buf); err != nil {
			return http.StatusInternalServerError, err.Error()
		}
		token = "spt_" + hex.EncodeToString(buf)
	} else if len(token) < 16 || strings.ContainsAny(token, " \t\r\n:@") {
		return http.StatusBadRequest, "invalid token: use at least 16 characters without whitespace, ':' or '@'"
	}
	p := d.proxy
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client(req.Name) >= 0 {
		return http.StatusConflict, fmt.Sprintf("proxy client %s already exists", req.Name)
	}
	h := hashToken(token)
	for _, c := range p.st.Clients {
		if c.TokenHash == h {
			return http.StatusConflict, "that token is already in use by another client"
		}
	}
	c := proxyClientRec{Name: req.Name, TokenHash: h, CreatedAt: time.Now().UTC()}
	p.st.Clients = append(p.st.Clients, c)
	if err := p.saveLocked(); err != nil {
		p.st.Clients = p.st.Clients[:len(p.st.Clients)-1]
		return http.StatusInternalServerError, err.Error()
	}
	writeJSON(w, http.StatusCreated, client.ProxyClientCreated{Name: c.Name, Token: token, CreatedAt: c.CreatedAt})
	return 0, ""
}

func (d *Daemon) proxyListRules(w http.ResponseWriter, r *http.Request) (int, string) {
	name := r.PathValue("name")
	p := d.proxy
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client(name) < 0 {
		return http.StatusNotFound, fmt.Sprintf("proxy client %s not found", name)
	}
	p.gcLocked()
	out := []proxyRule{}
	for _, rule := range p.st.Rules {
		if rule.Client == name {
			rule.Client = ""
			out = append(out, rule)
		}
	}
	writeJSON(w, http.StatusOK, ruleViews(out))
	return 0, ""
}

// ruleView is ProxyAllowRule on the wire (no client field; expires only when set).
type ruleView struct {
	Host        string     `json:"host"`
	Secret      string     `json:"secret,omitempty"`
	Methods     []string   `json:"methods,omitempty"`
	Paths       []string   `json:"paths,omitempty"`
	Ports       []int      `json:"ports,omitempty"`
	Expires     *time.Time `json:"expires,omitempty"`
	Passthrough bool       `json:"passthrough,omitempty"`
}

func ruleViews(rs []proxyRule) []ruleView {
	out := make([]ruleView, 0, len(rs))
	for _, r := range rs {
		out = append(out, ruleView{r.Host, r.Secret, r.Methods, r.Paths, r.Ports, r.Expires, r.Passthrough})
	}
	return out
}

func (d *Daemon) proxyDeleteClient(w http.ResponseWriter, r *http.Request) (int, string) {
	name := r.PathValue("name")
	p := d.proxy
	p.mu.Lock()
	defer p.mu.Unlock()
	i := p.client(name)
	if i < 0 {
		return http.StatusNotFound, fmt.Sprintf("proxy client %s not found", name)
	}
	p.st.Clients = slices.Delete(p.st.Clients, i, i+1)
	p.st.Rules = slices.DeleteFunc(p.st.Rules, func(r proxyRule) bool { return r.Client == name })
	if err := p.saveLocked(); err != nil {
		return http.StatusInternalServerError, err.Error()
	}
	w.WriteHeader(http.StatusNoContent)
	return 0, ""
}

func (d *Daemon) proxyListSecrets(w http.ResponseWriter, r *http.Request) (int, string) {
	p := d.proxy
	p.mu.Lock()
	out := make([]client.ProxySecret, 0, len(p.st.Secrets))
	for _, s := range p.st.Secrets {
		out = append(out, client.ProxySecret{Name: s.Name, Host: s.Host, Type: s.Type, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt})
	}
	p.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	writeJSON(w, http.StatusOK, out)
	return 0, ""
}

// validateSecretValue applies the per-type shape rules of PROTOCOL.md §14.
func validateSecretValue(typ, value string) string {
	jsonHas := func(keys ...string) string {
		var m map[string]any
		if err := json.Unmarshal([]byte(value), &m); err != nil {
			return fmt.Sprintf("type %s needs a JSON value: %v", typ, err)
		}
		for _, k := range keys {
			if alts := strings.Split(k, "|"); len(alts) > 0 {
				found := false
				for _, a := range alts {
					if _, ok := m[a]; ok {
						found = true
					}
				}
				if !found {
					return fmt.Sprintf("type %s: value is missing %q", typ, strings.ReplaceAll(k, "|", `" or "`))
				}
			}
		}
		return ""
	}
	switch typ {
	case "", "bearer":
		return ""
	case "basic":
		u, pw, ok := strings.Cut(value, ":")
		if !ok || u == "" || pw == "" {
			return "type basic needs the value in user:pass form"
		}
		return ""
	case "oauth-codex":
		var m map[string]any
		if json.Unmarshal([]byte(value), &m) == nil {
			if t, ok := m["tokens"].(map[string]any); ok {
				m = t
			}
			for _, k := range []string{"access_token", "refresh_token", "account_id"} {
				if _, ok := m[k]; !ok {
					return fmt.Sprintf("type oauth-codex: value is missing %q", k)
				}
			}
			return ""
		}
		return "type oauth-codex needs a Codex auth.json or JSON with access_token, refresh_token and account_id"
	case "oauth-claude":
		var m map[string]any
		if json.Unmarshal([]byte(value), &m) == nil {
			if t, ok := m["claudeAiOauth"].(map[string]any); ok {
				m = t
			}
			for _, k := range []string{"accessToken", "refreshToken"} {
				if _, ok := m[k]; !ok {
					return fmt.Sprintf("type oauth-claude: value is missing %q", k)
				}
			}
			return ""
		}
		return "type oauth-claude needs Claude Code credentials JSON with accessToken and refreshToken"
	case "oauth-github-copilot":
		if !strings.Contains(value, "gho_") && !strings.Contains(value, "ghu_") {
			return "type oauth-github-copilot needs JSON holding a gho_ or ghu_ token"
		}
		return ""
	case "oauth-xai":
		return jsonHas("access_token", "refresh_token")
	case "oauth-client-creds":
		return jsonHas("token_endpoint", "client_id", "client_secret")
	case "github-app-user":
		return jsonHas("access_token")
	case "github-app":
		if !strings.Contains(value, "app_id") || (!strings.Contains(value, "private_key_file") && !strings.Contains(value, "private_key")) {
			return "type github-app needs JSON or YAML with app_id and private_key_file or private_key"
		}
		return ""
	}
	return fmt.Sprintf("unsupported secret type %q: use bearer, basic, oauth-codex, oauth-claude, oauth-github-copilot, oauth-xai, oauth-client-creds, github-app-user or github-app", typ)
}

func (d *Daemon) proxyCreateSecret(w http.ResponseWriter, r *http.Request) (int, string) {
	var req struct {
		client.CreateProxySecretRequest
		SourceFile string `json:"source_file,omitempty"`
	}
	if st, msg := decodeProxyJSON(r, &req); st != 0 {
		return st, msg
	}
	switch {
	case !proxyNameRE.MatchString(req.Name):
		return http.StatusBadRequest, fmt.Sprintf("invalid secret name %q: use letters, digits, '.', '_' and '-'", req.Name)
	case strings.TrimSpace(req.Host) == "":
		return http.StatusBadRequest, "host is required"
	case req.Value == "" && req.SourceFile == "":
		return http.StatusBadRequest, "value is required"
	case req.Value != "" && req.SourceFile != "":
		return http.StatusBadRequest, "set value or source_file, not both"
	}
	value := req.Value
	if req.SourceFile != "" {
		b, err := os.ReadFile(req.SourceFile)
		if err != nil {
			return http.StatusBadRequest, fmt.Sprintf("source_file: cannot read the file on the daemon's host: %v", errors.Unwrap(err))
		}
		value = string(b)
	}
	if msg := validateSecretValue(req.Type, value); msg != "" {
		return http.StatusBadRequest, msg
	}
	if req.Host = strings.ToLower(strings.TrimSpace(req.Host)); !validProxyHost(req.Host) {
		return http.StatusBadRequest, fmt.Sprintf("invalid host %q", req.Host)
	}
	p := d.proxy
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now().UTC()
	rec := proxySecretRec{Name: req.Name, Host: req.Host, Type: req.Type, Value: value, SourceFile: req.SourceFile, CreatedAt: now}
	if i := p.secret(req.Name); i >= 0 {
		if !req.Force {
			return http.StatusConflict, fmt.Sprintf("proxy secret %s already exists (use force to replace it)", req.Name)
		}
		rec.CreatedAt = p.st.Secrets[i].CreatedAt
		rec.UpdatedAt = now
		p.st.Secrets[i] = rec
	} else {
		p.st.Secrets = append(p.st.Secrets, rec)
	}
	if err := p.saveLocked(); err != nil {
		return http.StatusInternalServerError, err.Error()
	}
	writeJSON(w, http.StatusCreated, client.ProxySecret{Name: rec.Name, Host: rec.Host, Type: rec.Type, CreatedAt: rec.CreatedAt, UpdatedAt: rec.UpdatedAt})
	return 0, ""
}

func (d *Daemon) proxyDeleteSecret(w http.ResponseWriter, r *http.Request) (int, string) {
	name := r.PathValue("name")
	p := d.proxy
	p.mu.Lock()
	defer p.mu.Unlock()
	i := p.secret(name)
	if i < 0 {
		return http.StatusNotFound, fmt.Sprintf("proxy secret %s not found", name)
	}
	p.st.Secrets = slices.Delete(p.st.Secrets, i, i+1)
	if err := p.saveLocked(); err != nil {
		return http.StatusInternalServerError, err.Error()
	}
	w.WriteHeader(http.StatusNoContent)
	return 0, ""
}

var hostLabelRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// validProxyHost accepts "*", "*.suffix" and exact DNS names or IPs.
func validProxyHost(h string) bool {
	if h == "*" {
		return true
	}
	h = strings.TrimPrefix(h, "*.")
	if h == "" || len(h) > 253 {
		return false
	}
	for _, l := range strings.Split(h, ".") {
		if !hostLabelRE.MatchString(l) {
			return false
		}
	}
	return true
}

type allowRequest struct {
	Client      string   `json:"client"`
	Host        string   `json:"host"`
	Secret      string   `json:"secret,omitempty"`
	Methods     []string `json:"methods,omitempty"`
	Paths       []string `json:"paths,omitempty"`
	Ports       []int    `json:"ports,omitempty"`
	TTLSeconds  int      `json:"ttl_seconds,omitempty"`
	Passthrough bool     `json:"passthrough,omitempty"`
}

var methodRE = regexp.MustCompile(`^[A-Z]+$`)

// normalizeRule validates a rule request and returns the rule; the message
// is non-empty on a 400.
func (p *proxyStore) normalizeRule(req allowRequest, checkRefs bool) (proxyRule, string) {
	rule := proxyRule{Client: req.Client, Host: strings.ToLower(strings.TrimSpace(req.Host)), Secret: req.Secret, Passthrough: req.Passthrough}
	if req.Client == "" {
		return rule, "client is required"
	}
	if rule.Host == "" {
		return rule, "host is required"
	}
	if !validProxyHost(rule.Host) {
		return rule, fmt.Sprintf("invalid host %q: use an exact host, *.suffix or *", req.Host)
	}
	if checkRefs {
		if p.client(req.Client) < 0 {
			return rule, fmt.Sprintf("unknown client %q: create it with POST /proxy/v1/clients", req.Client)
		}
		if req.Secret != "" && p.secret(req.Secret) < 0 {
			return rule, fmt.Sprintf("unknown secret %q: create it with POST /proxy/v1/secrets", req.Secret)
		}
	}
	if req.Passthrough && (req.Secret != "" || len(req.Methods) > 0 || len(req.Paths) > 0) {
		return rule, "passthrough cannot be combined with secret, methods or paths"
	}
	for _, m := range req.Methods {
		m = strings.ToUpper(strings.TrimSpace(m))
		if !methodRE.MatchString(m) {
			return rule, fmt.Sprintf("invalid method %q", m)
		}
		if !slices.Contains(rule.Methods, m) {
			rule.Methods = append(rule.Methods, m)
		}
	}
	for _, pth := range req.Paths {
		if pth != "*" && !strings.HasPrefix(pth, "/") {
			return rule, fmt.Sprintf("invalid path %q: use an exact path starting with /, * or <prefix>/*", pth)
		}
		if strings.Contains(strings.TrimSuffix(pth, "/*"), "*") && pth != "*" {
			return rule, fmt.Sprintf("invalid path %q: * is only allowed alone or as a final /*", pth)
		}
		rule.Paths = append(rule.Paths, pth)
	}
	for _, port := range req.Ports {
		if port < 1 || port > 65535 {
			return rule, fmt.Sprintf("invalid port %d: want 1-65535", port)
		}
		if !slices.Contains(rule.Ports, port) {
			rule.Ports = append(rule.Ports, port)
		}
	}
	if req.TTLSeconds < 0 {
		return rule, "ttl_seconds must not be negative"
	}
	if req.TTLSeconds > 0 {
		t := time.Now().UTC().Add(time.Duration(req.TTLSeconds) * time.Second)
		rule.Expires = &t
	}
	return rule, ""
}

func sameSet[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// sameIdentity compares rules by (client, host, methods, paths, ports,
// passthrough); TTL and secret are not part of a rule's identity.
func sameIdentity(a, b proxyRule) bool {
	return a.Client == b.Client && a.Host == b.Host && sameSet(a.Methods, b.Methods) &&
		sameSet(a.Paths, b.Paths) && sameSet(a.Ports, b.Ports) && a.Passthrough == b.Passthrough
}

func (d *Daemon) proxyAddAllow(w http.ResponseWriter, r *http.Request) (int, string) {
	var req allowRequest
	if st, msg := decodeProxyJSON(r, &req); st != 0 {
		return st, msg
	}
	p := d.proxy
	p.mu.Lock()
	defer p.mu.Unlock()
	rule, msg := p.normalizeRule(req, true)
	if msg != "" {
		return http.StatusBadRequest, msg
	}
	p.gcLocked()
	for _, o := range p.st.Rules {
		if sameIdentity(o, rule) {
			return http.StatusConflict, fmt.Sprintf("client %s already has a rule for host %s with the same methods, paths and ports", rule.Client, rule.Host)
		}
	}
	p.st.Rules = append(p.st.Rules, rule)
	if err := p.saveLocked(); err != nil {
		p.st.Rules = p.st.Rules[:len(p.st.Rules)-1]
		return http.StatusInternalServerError, err.Error()
	}
	writeJSON(w, http.StatusCreated, ruleViews([]proxyRule{rule})[0])
	return 0, ""
}

func (d *Daemon) proxyRemoveByHost(w http.ResponseWriter, r *http.Request) (int, string) {
	cl, host := r.PathValue("client"), strings.ToLower(r.PathValue("host"))
	if cl == "" || host == "" {
		return http.StatusBadRequest, "malformed path: want /proxy/v1/allows/{client}/{host}"
	}
	p := d.proxy
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client(cl) < 0 {
		return http.StatusNotFound, fmt.Sprintf("proxy client %s not found", cl)
	}
	n := len(p.st.Rules)
	p.st.Rules = slices.DeleteFunc(p.st.Rules, func(r proxyRule) bool { return r.Client == cl && r.Host == host })
	if len(p.st.Rules) == n {
		return http.StatusNotFound, fmt.Sprintf("client %s has no rule for host %s", cl, host)
	}
	if err := p.saveLocked(); err != nil {
		return http.StatusInternalServerError, err.Error()
	}
	w.WriteHeader(http.StatusNoContent)
	return 0, ""
}

func (d *Daemon) proxyRevoke(w http.ResponseWriter, r *http.Request) (int, string) {
	var req allowRequest
	if st, msg := decodeProxyJSON(r, &req); st != 0 {
		return st, msg
	}
	if req.TTLSeconds != 0 {
		return http.StatusBadRequest, "ttl_seconds is not part of a rule's identity; leave it out"
	}
	p := d.proxy
	p.mu.Lock()
	defer p.mu.Unlock()
	rule, msg := p.normalizeRule(req, false)
	if msg != "" {
		return http.StatusBadRequest, msg
	}
	if p.client(req.Client) < 0 {
		return http.StatusNotFound, fmt.Sprintf("proxy client %s not found", req.Client)
	}
	i := slices.IndexFunc(p.st.Rules, func(o proxyRule) bool { return sameIdentity(o, rule) })
	if i < 0 {
		return http.StatusNotFound, fmt.Sprintf("client %s has no rule matching host %s with those methods, paths and ports", req.Client, rule.Host)
	}
	p.st.Rules = slices.Delete(p.st.Rules, i, i+1)
	if err := p.saveLocked(); err != nil {
		return http.StatusInternalServerError, err.Error()
	}
	w.WriteHeader(http.StatusNoContent)
	return 0, ""
}
