package localdaemon_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slicer-cli/slicer/pkg/client"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestSecrets(t *testing.T) {
	d, c := setup(t)
	ctx := ctxT(t)
	must(t, c.CreateSecret(ctx, client.CreateSecretRequest{Name: "api-key", Data: b64("s3cr3t"), UID: 1000, GID: 1000}))
	must(t, c.CreateSecret(ctx, client.CreateSecretRequest{Name: "other", Data: b64("nope"), Permissions: "0640"}))
	if err := c.CreateSecret(ctx, client.CreateSecretRequest{Name: "api-key", Data: b64("x")}); !errors.Is(err, client.ErrSecretExists) {
		t.Fatalf("duplicate: %v", err)
	}
	wantStatus(t, c.CreateSecret(ctx, client.CreateSecretRequest{Name: "bad", Data: "!!!"}), 400)
	wantStatus(t, c.CreateSecret(ctx, client.CreateSecretRequest{Name: "../x", Data: b64("x")}), 400)
	list, err := c.ListSecrets(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "api-key" || list[0].Size != 6 || list[0].Permissions != "0600" || list[0].UID != 1000 || list[0].ModifiedAt == nil {
		t.Fatalf("list = %+v %v", list, err)
	}
	// Values are stored 0600 in the state directory and never listed.
	fi, err := os.Stat(filepath.Join(d.StateDir, "secrets", "data", "api-key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("stored secret: %v %v", fi, err)
	}
	req, _ := http.NewRequest("GET", "http://unix/secrets", nil)
	body, _ := io.ReadAll(doRaw(t, d, req).Body)
	if strings.Contains(string(body), "s3cr3t") || strings.Contains(string(body), b64("s3cr3t")) || !strings.Contains(string(body), `"modified_at"`) {
		t.Fatalf("list body = %s", body)
	}

	vm := newVM(t, c, client.SlicerCreateNodeRequest{Secrets: []string{"api-key"}})
	plain := newVM(t, c, client.SlicerCreateNodeRequest{})
	if got := sh(t, c, vm, "cat /run/slicer/secrets/api-key; ls /run/slicer/secrets; stat -c %a /run/slicer/secrets/api-key"); got != "s3cr3tapi-key\n600" {
		t.Fatalf("secret in VM: %q", got)
	}
	if _, _, code := run(t, c, vm, 0, "/bin/sh", "echo x > /run/slicer/secrets/api-key"); code == 0 {
		t.Fatal("secret mount is writable")
	}
	if got := sh(t, c, plain, "ls /run/slicer/secrets 2>/dev/null | wc -l"); got != "0" {
		t.Fatalf("VM without secrets sees %q", got)
	}
	// PATCH with data updates the content in the VM; "data":"" keeps it.
	must(t, c.PatchSecret(ctx, "api-key", client.UpdateSecretRequest{Data: b64("rotated")}))
	if got := sh(t, c, vm, "cat /run/slicer/secrets/api-key"); got != "rotated" {
		t.Fatalf("after patch: %q", got)
	}
	must(t, c.PatchSecret(ctx, "api-key", client.UpdateSecretRequest{Permissions: "0644"}))
	if got := sh(t, c, vm, "cat /run/slicer/secrets/api-key; stat -c %a /run/slicer/secrets/api-key"); got != "rotated644" {
		t.Fatalf("after metadata patch: %q", got)
	}
	wantStatus(t, c.PatchSecret(ctx, "missing", client.UpdateSecretRequest{Data: b64("x")}), 404)
	must(t, c.DeleteSecret(ctx, "api-key"))
	wantStatus(t, c.DeleteSecret(ctx, "api-key"), 404)
	if got := sh(t, c, vm, "ls /run/slicer/secrets | wc -l"); got != "0" {
		t.Fatalf("deleted secret still in VM: %q", got)
	}
}

func TestProxyAdmin(t *testing.T) {
	d, c := setup(t)
	ctx := ctxT(t)
	cl, err := c.CreateProxyClient(ctx, "agent", "")
	if err != nil || !strings.HasPrefix(cl.Token, "spt_") || cl.Name != "agent" || cl.CreatedAt.IsZero() {
		t.Fatalf("create client: %+v %v", cl, err)
	}
	if _, err := c.CreateProxyClient(ctx, "agent", ""); err == nil {
		t.Fatal("duplicate client accepted")
	}
	if _, err := c.CreateProxyClient(ctx, "second", "a-token-set-by-me-1234"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateProxyClient(ctx, "third", "a-token-set-by-me-1234"); err == nil {
		t.Fatal("duplicate token accepted")
	}
	clients, err := c.ListProxyClients(ctx)
	if err != nil || len(clients) != 2 {
		t.Fatalf("clients %+v %v", clients, err)
	}
	req, _ := http.NewRequest("GET", "http://unix/proxy/v1/clients", nil)
	body, _ := io.ReadAll(doRaw(t, d, req).Body)
	if strings.Contains(string(body), cl.Token) || strings.Contains(string(body), "token") {
		t.Fatalf("client list shows tokens: %s", body)
	}

	must(t, c.CreateProxySecret(ctx, client.CreateProxySecretRequest{Name: "gh", Host: "api.github.com", Value: "ghp_VALUE"}))
	must(t, c.CreateProxySecret(ctx, client.CreateProxySecretRequest{Name: "basic", Host: "registry.example.com", Type: "basic", Value: "u:p"}))
	if err := c.CreateProxySecret(ctx, client.CreateProxySecretRequest{Name: "bad", Host: "h", Type: "basic", Value: "nocolon"}); err == nil {
		t.Fatal("basic without user:pass accepted")
	}
	if err := c.CreateProxySecret(ctx, client.CreateProxySecretRequest{Name: "x", Host: "h", Type: "weird", Value: "v"}); err == nil {
		t.Fatal("unknown type accepted")
	}
	if err := c.CreateProxySecret(ctx, client.CreateProxySecretRequest{Name: "gh", Host: "api.github.com", Value: "v2"}); err == nil {
		t.Fatal("duplicate secret accepted")
	}
	secrets, err := c.ListProxySecrets(ctx)
	if err != nil || len(secrets) != 2 {
		t.Fatalf("secrets %+v %v", secrets, err)
	}
	req, _ = http.NewRequest("GET", "http://unix/proxy/v1/secrets", nil)
	body, _ = io.ReadAll(doRaw(t, d, req).Body)
	if strings.Contains(string(body), "ghp_VALUE") || strings.Contains(string(body), "u:p") {
		t.Fatalf("secret values returned: %s", body)
	}
	if b, _ := os.ReadFile(filepath.Join(d.StateDir, "proxy.json")); strings.Contains(string(b), cl.Token) {
		t.Fatal("client token stored in clear")
	}

	must(t, c.AddProxyAllow(ctx, client.AddProxyAllowRequest{Client: "agent", Host: "api.github.com", Secret: "gh", Methods: []string{"get"}, Paths: []string{"/repos/*"}}))
	must(t, c.AddProxyAllow(ctx, client.AddProxyAllowRequest{Client: "agent", Host: "api.github.com", Paths: []string{"/meta"}}))
	must(t, c.AddProxyAllow(ctx, client.AddProxyAllowRequest{Client: "agent", Host: "*.example.com", Passthrough: true, TTLSeconds: 3600}))
	for _, bad := range []client.AddProxyAllowRequest{
		{Client: "nobody", Host: "h.com"},
		{Client: "agent", Host: "h.com", Secret: "missing"},
		{Client: "agent", Host: ""},
		{Client: "agent", Host: "h.com", Passthrough: true, Secret: "gh"},
		{Client: "agent", Host: "h.com", Paths: []string{"no-slash"}},
		{Client: "agent", Host: "h.com", Ports: []int{70000}},
	} {
		if err := c.AddProxyAllow(ctx, bad); err == nil {
			t.Errorf("rule %+v accepted", bad)
		}
	}
	// Exact duplicate (methods compared case-insensitively) is a 409.
	req, _ = http.NewRequest("POST", "http://unix/proxy/v1/allows", strings.NewReader(`{"client":"agent","host":"api.github.com","secret":"gh","methods":["GET"],"paths":["/repos/*"]}`))
	resp := doRaw(t, d, req)
	if resp.StatusCode != 409 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("duplicate rule: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	rules, err := c.ListProxyRules(ctx, "agent")
	if err != nil || len(rules) != 3 || rules[0].Methods[0] != "GET" || rules[2].Expires.IsZero() || !rules[2].Passthrough {
		t.Fatalf("rules %+v %v", rules, err)
	}
	// Remove one rule by tuple, then the rest of a host by host.
	must(t, c.RemoveProxyAllowByTuple(ctx, client.RemoveProxyAllowByTupleRequest{Client: "agent", Host: "api.github.com", Paths: []string{"/meta"}}))
	if err := c.RemoveProxyAllowByTuple(ctx, client.RemoveProxyAllowByTupleRequest{Client: "agent", Host: "api.github.com", Paths: []string{"/meta"}}); err == nil {
		t.Fatal("revoke of a missing tuple succeeded")
	}
	must(t, c.RemoveProxyAllow(ctx, "agent", "*.example.com"))
	if err := c.RemoveProxyAllow(ctx, "agent", "*.example.com"); err == nil {
		t.Fatal("remove of a missing host succeeded")
	}
	rules, _ = c.ListProxyRules(ctx, "agent")
	if len(rules) != 1 || rules[0].Secret != "gh" {
		t.Fatalf("rules after removal %+v", rules)
	}
	must(t, c.DeleteProxySecret(ctx, "gh"))
	if err := c.DeleteProxySecret(ctx, "gh"); err == nil {
		t.Fatal("delete of a missing secret succeeded")
	}
	must(t, c.DeleteProxyClient(ctx, "agent"))
	if _, err := c.ListProxyRules(ctx, "agent"); err == nil {
		t.Fatal("rules of a deleted client listed")
	}
	var raw []map[string]any
	getJSON(t, d, "/proxy/v1/clients", &raw)
	if len(raw) != 1 || raw[0]["name"] != "second" {
		t.Fatalf("clients after delete: %v", raw)
	}
	_ = json.Marshal
}
