package localdaemon_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/localdaemon"
)

func TestRestartPersistence(t *testing.T) {
	d, c := setup(t)
	ctx := ctxT(t)
	must(t, c.CreateSecret(ctx, client.CreateSecretRequest{Name: "s", Data: b64("v"), UID: 1000, GID: 1000}))
	per := newVM(t, c, client.SlicerCreateNodeRequest{Persistent: true, Secrets: []string{"s"}, Tags: []string{"name=keep"}})
	stopped := newVM(t, c, client.SlicerCreateNodeRequest{Persistent: true})
	eph := newVM(t, c, client.SlicerCreateNodeRequest{})
	sh(t, c, per, "echo survives > ~/state.txt")
	must(t, c.Shutdown(ctx, stopped, &client.SlicerShutdownRequest{Action: "shutdown"}))
	if _, err := c.CreateProxyClient(ctx, "p", ""); err != nil {
		t.Fatal(err)
	}
	token := d.Token

	d.Restart()
	c = client.NewSlicerClient(d.URL, "", "", nil)
	vms, err := c.ListVMs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, v := range vms {
		status[v.Hostname] = v.Status
	}
	if len(vms) != 2 || status[per] != "Running" || status[stopped] != "Stopped" || status[eph] != "" {
		t.Fatalf("after restart: %+v", vms)
	}
	if got := sh(t, c, per, "cat ~/state.txt /run/slicer/secrets/s"); got != "survives\nv" {
		t.Fatalf("files after restart: %q", got)
	}
	if vms[0].Tags[0] != "name=keep" {
		t.Fatalf("tags lost: %+v", vms[0])
	}
	if cl, _ := c.ListProxyClients(ctx); len(cl) != 1 {
		t.Fatalf("proxy clients after restart: %+v", cl)
	}
	if s, _ := c.ListSecrets(ctx); len(s) != 1 {
		t.Fatalf("secrets after restart: %+v", s)
	}
	if d.Token != token {
		t.Fatal("token changed across restart")
	}
	if _, err := os.Stat(filepath.Join(d.StateDir, "vms", eph)); !os.IsNotExist(err) {
		t.Fatalf("ephemeral VM directory left behind: %v", err)
	}
	// The name of a removed ephemeral VM is free again.
	if again := newVM(t, c, client.SlicerCreateNodeRequest{}); again != eph {
		t.Fatalf("new VM = %s, want %s", again, eph)
	}
}

func TestTransportAndAuth(t *testing.T) {
	d, _ := setup(t)
	for _, f := range []string{localdaemon.SocketName, localdaemon.TokenName} {
		fi, err := os.Stat(filepath.Join(d.StateDir, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", f, fi.Mode(), err)
		}
	}
	b, _ := os.ReadFile(filepath.Join(d.StateDir, localdaemon.TokenName))
	if strings.TrimSpace(string(b)) != d.Token || len(d.Token) < 32 {
		t.Fatal("token file does not hold the token")
	}
	get := func(path, token string) *http.Response {
		req, _ := http.NewRequest("GET", d.TCPURL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	for _, tok := range []string{"", "wrong"} {
		resp := get("/nodes", tok)
		var e map[string]string
		if resp.StatusCode != 401 || json.NewDecoder(resp.Body).Decode(&e) != nil || e["error"] == "" {
			t.Fatalf("token %q: %d %v", tok, resp.StatusCode, e)
		}
	}
	if resp := get("/proxy/v1/clients", ""); resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("proxy 401: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if resp := get("/healthz", ""); resp.StatusCode != 200 {
		t.Fatalf("healthz: %d", resp.StatusCode)
	}
	resp := get("/nodes", d.Token)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(bytes.TrimSpace(body)) != "[]" {
		t.Fatalf("nodes with token: %d %s", resp.StatusCode, body)
	}
	// The SDK client over TCP.
	c := client.NewSlicerClient(d.TCPURL, d.Token, "", nil)
	if _, err := c.GetInfo(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	bad := client.NewSlicerClient(d.TCPURL, "nope", "", nil)
	_, err := bad.ListVMs(ctxT(t))
	wantStatus(t, err, 401)
}

// TestWireShapes drives the daemon with plain net/http and checks the
// response shapes openapi.yaml (and, where they differ, the seed SDK) give.
func TestWireShapes(t *testing.T) {
	d, c := setup(t)
	vm := newVM(t, c, client.SlicerCreateNodeRequest{Tags: []string{"a=b"}})
	type check struct {
		method, path, body string
		status             int
		ctype              string
		keys               []string // keys every (or the single) object must have
	}
	for _, ck := range []check{
		{"GET", "/healthz", "", 200, "text/plain", nil},
		{"HEAD", "/healthz", "", 200, "", nil},
		{"GET", "/info", "", 200, "application/json", []string{"version", "platform", "arch"}},
		{"GET", "/hostgroup", "", 200, "application/json", []string{"name", "count", "ram_bytes", "cpus", "arch", "gpu_count"}},
		{"GET", "/nodes", "", 200, "application/json", []string{"hostname", "hostgroup", "ip", "ram_bytes", "cpus", "created_at", "arch", "tags", "status"}},
		{"GET", "/nodes?tag=a%3Db", "", 200, "application/json", []string{"hostname"}},
		{"GET", "/hostgroup/vm/nodes?tag_prefix=a%3D", "", 200, "application/json", []string{"hostname"}},
		{"GET", "/hostgroup/vm/nodes%3Ftag=a%253Db", "", 404, "application/json", []string{"error"}},
		{"GET", "/nodes?tag=a&tag_prefix=b", "", 400, "application/json", []string{"error"}},
		{"GET", "/nodes/stats", "", 200, "application/json", []string{"hostname", "ip", "created_at", "snapshot", "error"}},
		{"GET", "/node/" + vm + "/stats", "", 200, "application/json", []string{"hostname", "snapshot"}},
		{"GET", "/vm/" + vm + "/logs?lines=5", "", 200, "application/json", []string{"hostname", "lines", "content"}},
		{"GET", "/vm/" + vm + "/logs?lines=x", "", 400, "application/json", []string{"error"}},
		{"GET", "/vm/" + vm + "/health", "", 200, "application/json", []string{"hostname", "agent_uptime", "agent_version", "system_uptime", "userdata_ran"}},
		{"HEAD", "/vm/" + vm + "/health", "", 200, "", nil},
		{"GET", "/vm/nope/health", "", 404, "application/json", []string{"error"}},
		{"GET", "/vm/" + vm + "/exec", "", 200, "application/json", nil},
		{"GET", "/vm/" + vm + "/fs/readdir?path=%2F", "", 200, "application/json", []string{"name", "type", "size", "mtime", "mode"}},
		{"GET", "/vm/" + vm + "/fs/stat?path=%2Fetc%2Fpasswd", "", 200, "application/json", []string{"name", "type", "size", "mtime", "mode"}},
		{"GET", "/vm/" + vm + "/fs/stat?path=%2Fnope", "", 404, "application/json", []string{"error"}},
		{"GET", "/vm/" + vm + "/fs/readdir", "", 400, "application/json", []string{"error"}},
		{"POST", "/vm/" + vm + "/fs/mkdir", "{", 400, "application/json", []string{"error"}},
		{"POST", "/vm/" + vm + "/exec?cmd=true&buffered=true", "", 200, "application/json", []string{"exit_code"}},
		{"POST", "/vm/" + vm + "/exec?cmd=true&background=true", "", 201, "application/json", []string{"exec_id", "pid", "started_at", "ring_bytes"}},
		{"GET", "/secrets", "", 200, "application/json", nil},
		{"POST", "/secrets", `{"name":"w","data":"dg=="}`, 201, "", nil},
		{"GET", "/secrets", "", 200, "application/json", []string{"name", "size", "permissions", "uid", "gid", "modified_at", "mod_time"}},
		{"PATCH", "/secrets/w", `{"data":""}`, 200, "", nil},
		{"DELETE", "/secrets/w", "", 200, "", nil},
		{"POST", "/hostgroup/vm/nodes?wait=soon", "{}", 400, "application/json", []string{"error"}},
		{"POST", "/hostgroup/vm/nodes", `{"bogus":`, 400, "application/json", []string{"error"}},
		{"POST", "/hostgroup/vm/nodes?timeout=30s&wait=agent", `{"persistent":true}`, 201, "application/json", []string{"hostname", "hostgroup", "ip", "created_at", "arch"}},
		{"POST", "/vm/" + vm + "/pause", "", 200, "text/plain", nil},
		{"POST", "/vm/" + vm + "/exec?cmd=true", "", 409, "application/json", []string{"error"}},
		{"GET", "/vm/" + vm + "/cp?path=%2Fetc%2Fpasswd", "", 409, "application/json", []string{"error"}},
		{"POST", "/vm/" + vm + "/resume", "", 200, "text/plain", nil},
		{"POST", "/vm/vm-2/relaunch", "", 409, "application/json", []string{"error"}},
		{"POST", "/vm/vm-2/shutdown?action=shutdown", "", 200, "text/plain", nil},
		{"POST", "/vm/vm-2/relaunch", "", 200, "application/json", []string{"hostname", "ip", "created_at"}},
		{"DELETE", "/hostgroup/vm/nodes/vm-2", "", 200, "application/json", []string{"message", "disk_removed", "error"}},
		{"POST", "/proxy/v1/clients", `{"name":""}`, 400, "text/plain", nil},
		{"POST", "/proxy/v1/clients", `{"name":"pc"}`, 201, "application/json", []string{"name", "token", "created_at"}},
		{"POST", "/proxy/v1/secrets", `{"name":"ps","host":"api.example.com","value":"v"}`, 201, "application/json", []string{"name", "host", "created_at"}},
		{"POST", "/proxy/v1/allows", `{"client":"pc","host":"api.example.com","secret":"ps"}`, 201, "application/json", []string{"host", "secret"}},
		{"GET", "/proxy/v1/clients/pc", "", 200, "application/json", []string{"host"}},
		{"DELETE", "/proxy/v1/allows/pc/api.example.com", "", 204, "", nil},
		{"DELETE", "/proxy/v1/allows/pc/api.example.com", "", 404, "text/plain", nil},
		{"DELETE", "/proxy/v1/clients/nope", "", 404, "text/plain", nil},
		{"GET", "/no/such/route", "", 404, "application/json", []string{"error"}},
		{"GET", "/metrics", "", 200, "text/plain", nil},
	} {
		var body io.Reader
		if ck.body != "" {
			body = strings.NewReader(ck.body)
		}
		req, _ := http.NewRequest(ck.method, "http://unix"+ck.path, body)
		resp := doRaw(t, d, req)
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != ck.status {
			t.Errorf("%s %s: status %d, want %d (%s)", ck.method, ck.path, resp.StatusCode, ck.status, raw)
			continue
		}
		if ck.ctype != "" && !strings.HasPrefix(resp.Header.Get("Content-Type"), ck.ctype) {
			t.Errorf("%s %s: Content-Type %q, want %s", ck.method, ck.path, resp.Header.Get("Content-Type"), ck.ctype)
		}
		if len(ck.keys) == 0 {
			continue
		}
		var objs []map[string]any
		if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) {
			if err := json.Unmarshal(raw, &objs); err != nil {
				t.Errorf("%s %s: %v", ck.method, ck.path, err)
				continue
			}
			if len(objs) == 0 {
				t.Errorf("%s %s: empty array", ck.method, ck.path)
			}
		} else {
			var o map[string]any
			if err := json.Unmarshal(raw, &o); err != nil {
				t.Errorf("%s %s: %v (%s)", ck.method, ck.path, err, raw)
				continue
			}
			objs = []map[string]any{o}
		}
		for _, o := range objs {
			for _, k := range ck.keys {
				if _, ok := o[k]; !ok {
					t.Errorf("%s %s: key %q missing in %v", ck.method, ck.path, k, o)
				}
			}
		}
	}
	req, _ := http.NewRequest("GET", "http://unix/metrics", nil)
	m, _ := io.ReadAll(doRaw(t, d, req).Body)
	for _, want := range []string{`slicer_vm_running{host_group="vm",api="api",state="Running"} 1`, `slicer_vm_launch_total{host_group="vm",code="200"} 2`, `slicer_api_requests_total{method="GET",code="200"}`} {
		if !strings.Contains(string(m), want) {
			t.Errorf("metrics lack %s:\n%s", want, m)
		}
	}
}
