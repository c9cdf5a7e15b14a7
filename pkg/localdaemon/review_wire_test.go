package localdaemon_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/localdaemon"
	"github.com/slicer-cli/slicer/pkg/localdaemon/localdaemontest"
)

// TestStatsOfStoppedVMHasNoNullSnapshot: openapi.yaml types snapshot as an
// object (not nullable); a stopped VM has none, so the key is left out
// rather than sent as null (the seed SDK decodes both to a nil pointer).
func TestStatsOfStoppedVMHasNoNullSnapshot(t *testing.T) {
	d, c := setup(t)
	vm := newVM(t, c, client.SlicerCreateNodeRequest{Persistent: true})
	if err := c.Shutdown(ctxT(t), vm, &client.SlicerShutdownRequest{Action: "shutdown"}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/node/" + vm + "/stats", "/nodes/stats"} {
		req, _ := http.NewRequest("GET", "http://unix"+path, nil)
		raw, _ := io.ReadAll(doRaw(t, d, req).Body)
		var objs []map[string]json.RawMessage
		if err := json.Unmarshal(raw, &objs); err != nil || len(objs) != 1 {
			t.Fatalf("GET %s: %v %s", path, err, raw)
		}
		if s, ok := objs[0]["snapshot"]; ok && string(s) == "null" {
			t.Errorf("GET %s: snapshot is null: %s", path, raw)
		}
		var msg string
		if err := json.Unmarshal(objs[0]["error"], &msg); err != nil || msg == "" {
			t.Errorf("GET %s: want an error text for a stopped VM: %s", path, raw)
		}
	}
}

// TestFIFOsDoNotHang: a VM process can put a FIFO anywhere in its root, even
// at /etc/passwd, with a writer holding it open. Reads of it through cp and
// fs are refused at once, and exec (which looks users up in /etc/passwd)
// keeps working, instead of the daemon waiting for data forever.
func TestFIFOsDoNotHang(t *testing.T) {
	_, c := setup(t)
	vm := newVM(t, c, client.SlicerCreateNodeRequest{})
	shAs(t, c, vm, 0, "mkfifo /tmp/ff && chmod 666 /tmp/ff && rm /etc/passwd && mkfifo /etc/passwd && "+
		"(sleep 600 > /tmp/ff &) && (sleep 600 > /etc/passwd &) && echo ok")
	ctx, cancel := context.WithTimeout(ctxT(t), 20*time.Second)
	defer cancel()
	if _, _, err := c.ReadFile(ctx, vm, "/tmp/ff"); err == nil || ctx.Err() != nil {
		t.Errorf("ReadFile of a FIFO: %v (context: %v)", err, ctx.Err())
	}
	if _, err := c.ReadDir(ctx, vm, "/tmp/ff"); err == nil || ctx.Err() != nil {
		t.Errorf("ReadDir of a FIFO: %v (context: %v)", err, ctx.Err())
	}
	res, err := c.ExecBuffered(ctx, vm, client.SlicerExecRequest{Command: "id", Args: []string{"-u"}, UID: 1000, GID: 1000})
	if err != nil || ctx.Err() != nil || strings.TrimSpace(res.Stdout) != "1000" {
		t.Errorf("exec with a FIFO at /etc/passwd: %+v %v (context: %v)", res, err, ctx.Err())
	}
}

// TestBearerSchemeCaseInsensitive: on TCP the token is accepted whatever the
// case of the scheme name (RFC 9110 §11.1); a wrong or missing token is not.
func TestBearerSchemeCaseInsensitive(t *testing.T) {
	d, _ := setup(t)
	for _, tc := range []struct {
		auth string
		want int
	}{
		{"Bearer " + d.Token, 200},
		{"bearer " + d.Token, 200},
		{"BEARER " + d.Token, 200},
		{"Basic " + d.Token, 401},
		{"bearer x" + d.Token, 401},
		{"bearer", 401},
		{"", 401},
	} {
		req, _ := http.NewRequest("GET", d.TCPURL+"/nodes", nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("Authorization %q: status %d, want %d", strings.Replace(tc.auth, d.Token, "<token>", 1), resp.StatusCode, tc.want)
		}
	}
}

// TestExecMissingCwdIsBadRequest: a cwd that does not exist in the VM is bad
// input (400 with a JSON error), in every exec mode.
func TestExecMissingCwdIsBadRequest(t *testing.T) {
	d, c := setup(t)
	vm := newVM(t, c, client.SlicerCreateNodeRequest{})
	for _, q := range []string{"", "&buffered=true", "&background=true"} {
		req, _ := http.NewRequest("POST", "http://unix/vm/"+vm+"/exec?cmd=pwd&cwd=%2Fno%2Fsuch%2Fdir"+q, nil)
		resp := doRaw(t, d, req)
		var e map[string]string
		if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || resp.StatusCode != 400 || !strings.Contains(e["error"], "/no/such/dir") {
			t.Errorf("exec%s with a missing cwd: %d %v %v", q, resp.StatusCode, e, err)
		}
	}
}

// TestSymlinkSwapRace: a process in the VM keeps flipping ~/sw between a
// directory and symlinks to a host directory (absolute, and relative
// climbing out of the root) while fs and cp calls go through ~/sw. The host
// directory must be left exactly as it was (THREATS A13, daemon side).
func TestSymlinkSwapRace(t *testing.T) {
	_, c := setup(t)
	ctx := ctxT(t)
	vm := newVM(t, c, client.SlicerCreateNodeRequest{})
	victim := filepath.Join(t.TempDir(), "victim")
	must(t, os.MkdirAll(victim, 0o755))
	must(t, os.WriteFile(filepath.Join(victim, "hello"), []byte("host-only"), 0o644))
	up := strings.Repeat("../", 30) + strings.TrimPrefix(victim, "/")
	flip := "cd ~ && while :; do rm -rf sw; mkdir sw; echo in-vm > sw/hello; rm -rf sw; ln -s " + victim + " sw; rm -f sw; ln -s " + up + " sw; rm -f sw; done"
	bg, err := c.ExecBackground(ctx, vm, client.ExecBackgroundRequest{Command: flip, Shell: "/bin/sh", UID: 1000, GID: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _, _ = c.ExecKill(ctx, vm, bg.ExecID, client.KillOptions{Signal: "KILL"}) }()
	base := "/home/ubuntu/sw"
	wrote := 0
	for i := 0; i < 150; i++ {
		if c.WriteFile(ctx, vm, base+"/planted", []byte("x"), 1000, 1000, "0644") == nil {
			wrote++ // landed while sw was the VM's own directory
		}
		_ = c.Mkdir(ctx, vm, client.SlicerFSMkdirRequest{Path: base + "/newdir", Recursive: true, Mode: "0777"})
		_ = c.CpToVMFromReader(ctx, vm, tarOf(t, map[string]string{"tarred": "x"}), base, 1000, 1000, "0644", "tar")
		_ = c.Remove(ctx, vm, base+"/hello", true)
		if b, _, err := c.ReadFile(ctx, vm, base+"/hello"); err == nil && strings.Contains(string(b), "host-only") {
			t.Fatalf("ReadFile read the host file through the swapped link (round %d)", i)
		}
		var buf bytes.Buffer
		_ = c.CpFromVMToWriter(ctx, vm, base, &buf, "tar")
		if bytes.Contains(buf.Bytes(), []byte("host-only")) {
			t.Fatalf("tar download read the host file through the swapped link (round %d)", i)
		}
	}
	t.Logf("%d of 150 writes landed inside the VM", wrote)
	if wrote == 0 {
		t.Error("no write ever found ~/sw as a directory: the race was not exercised")
	}
	ents, err := os.ReadDir(victim)
	if err != nil || len(ents) != 1 || ents[0].Name() != "hello" {
		t.Fatalf("host directory changed: %v %v", ents, err)
	}
	if b, _ := os.ReadFile(filepath.Join(victim, "hello")); string(b) != "host-only" {
		t.Fatalf("host file changed: %q", b)
	}
	if fi, _ := os.Stat(victim); fi.Mode().Perm() != 0o755 {
		t.Fatalf("host directory mode changed: %v", fi.Mode())
	}
}

// TestNodeShapeWithoutTags: a node without tags that is not persistent still
// carries "tags": [] and "persistent": false, as in PROTOCOL.md §4.3 (and
// arrays are never null).
func TestNodeShapeWithoutTags(t *testing.T) {
	d, c := setup(t)
	newVM(t, c, client.SlicerCreateNodeRequest{})
	for _, path := range []string{"/nodes", "/hostgroup/vm/nodes", "/nodes/stats"} {
		req, _ := http.NewRequest("GET", "http://unix"+path, nil)
		raw, _ := io.ReadAll(doRaw(t, d, req).Body)
		var objs []map[string]json.RawMessage
		if err := json.Unmarshal(raw, &objs); err != nil || len(objs) != 1 {
			t.Fatalf("GET %s: %v %s", path, err, raw)
		}
		if got := string(objs[0]["tags"]); got != "[]" {
			t.Errorf("GET %s: tags = %q, want []", path, got)
		}
		if got := string(objs[0]["persistent"]); got != "false" {
			t.Errorf("GET %s: persistent = %q, want false", path, got)
		}
	}
}

// TestSymlinksResolveAsInsideTheVM: fs and cp follow a symlink in a
// directory component the way the VM does, so an absolute link to /etc, or
// a relative one with more ".." than there are levels, reaches the VM's own
// files, the ones exec cat reads, and never the host's.
func TestSymlinksResolveAsInsideTheVM(t *testing.T) {
	_, c := setup(t)
	ctx := ctxT(t)
	vm := newVM(t, c, client.SlicerCreateNodeRequest{})
	sh(t, c, vm, "cd ~ && ln -s /etc etclink && ln -s ../../../../.. up && mkdir -p d && ln -s /home/ubuntu/d dlink && ln -s dlink hop && ln -s /etc/passwd pw")
	want := sh(t, c, vm, "cat /etc/passwd") + "\n"
	for _, p := range []string{"/home/ubuntu/etclink/passwd", "/home/ubuntu/up/etc/passwd", "/home/ubuntu/up/home/ubuntu/etclink/passwd"} {
		b, _, err := c.ReadFile(ctx, vm, p)
		if err != nil || string(b) != want {
			t.Errorf("ReadFile %s: %q %v, want the VM's /etc/passwd", p, b, err)
		}
		if fi, err := c.Stat(ctx, vm, p); err != nil || fi.Size != int64(len(want)) {
			t.Errorf("Stat %s: %+v %v", p, fi, err)
		}
	}
	if ents, err := c.ReadDir(ctx, vm, "/home/ubuntu/etclink/"); err != nil || len(ents) == 0 {
		t.Errorf("ReadDir through an absolute link: %v %v", ents, err)
	}
	// Writes through a chain of links (hop -> dlink -> /home/ubuntu/d) land
	// where exec sees them.
	must(t, c.WriteFile(ctx, vm, "/home/ubuntu/hop/f", []byte("via-links"), 1000, 1000, "0644"))
	if got := sh(t, c, vm, "cat ~/d/f"); got != "via-links" {
		t.Errorf("write through a link chain: %q", got)
	}
	must(t, c.CpToVMFromReader(ctx, vm, tarOf(t, map[string]string{"t": "tarred"}), "/home/ubuntu/hop/sub", 1000, 1000, "", "tar"))
	if got := sh(t, c, vm, "cat ~/d/sub/t"); got != "tarred" {
		t.Errorf("tar upload through a link chain: %q", got)
	}
	// An upload to a link (binary onto a link to a file, tar into a link to
	// a directory) writes where the link points inside the VM.
	must(t, c.WriteFile(ctx, vm, "/home/ubuntu/d/target", []byte("old"), 1000, 1000, "0644"))
	sh(t, c, vm, "ln -s /home/ubuntu/d/target ~/tlink")
	must(t, c.WriteFile(ctx, vm, "/home/ubuntu/tlink", []byte("new"), 1000, 1000, "0644"))
	if got := sh(t, c, vm, "cat ~/d/target; test -L ~/tlink && echo -link"); got != "new-link" {
		t.Errorf("binary upload onto a link: %q", got)
	}
	must(t, c.CpToVMFromReader(ctx, vm, tarOf(t, map[string]string{"in-dir": "y"}), "/home/ubuntu/dlink", 1000, 1000, "", "tar"))
	if got := sh(t, c, vm, "cat ~/d/in-dir"); got != "y" {
		t.Errorf("tar upload into a link to a directory: %q", got)
	}
	// The final component is not followed: removing a link removes the link.
	must(t, c.Remove(ctx, vm, "/home/ubuntu/pw", false))
	if got := sh(t, c, vm, "test -e /etc/passwd && ! test -e ~/pw && echo kept"); got != "kept" {
		t.Errorf("Remove of a link: %q", got)
	}
}

// TestOversizedJSONBody: a JSON body over the cap is refused with 413 and a
// message saying so, not a puzzling "unexpected EOF".
func TestOversizedJSONBody(t *testing.T) {
	d, _ := setup(t)
	body := `{"name":"big","data":"` + strings.Repeat("A", 9<<20) + `"}`
	req, _ := http.NewRequest("POST", "http://unix/secrets", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp := doRaw(t, d, req)
	var e map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(e["error"], "larger than") {
		t.Fatalf("oversized body: %d %v %v", resp.StatusCode, e, err)
	}
}

// syncBuffer is a bytes.Buffer safe for the daemon's logger and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestTokenNeverLogged: neither the daemon's token nor a wrong token a
// client sent, nor query strings (exec commands, secrets in env), appear in
// the daemon log or in error bodies (THREATS D1/D7, daemon side).
func TestTokenNeverLogged(t *testing.T) {
	var logs syncBuffer
	d := localdaemontest.Start(t, func(o *localdaemon.Options) { o.Log = &logs })
	wrong := "sl-CANARY-wrong-token-4711"
	for _, tc := range []struct{ auth, path string }{
		{"Bearer " + wrong, "/nodes"},
		{"Bearer " + wrong, "/proxy/v1/clients"},
		{"Bearer " + wrong, "/vm/x/shell"},
		{"Bearer " + d.Token, "/vm/nope/exec?cmd=echo&env=CANARY_ENV%3Dsl-CANARY-env"},
		{"Bearer " + d.Token, "/nodes"},
	} {
		req, _ := http.NewRequest("GET", d.TCPURL+tc.path, nil)
		req.Header.Set("Authorization", tc.auth)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, secret := range []string{d.Token, wrong, "sl-CANARY"} {
			if strings.Contains(string(body), secret) {
				t.Errorf("%s: response body holds a secret: %s", tc.path, body)
			}
		}
	}
	for _, secret := range []string{d.Token, wrong, "sl-CANARY"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("daemon log holds a secret:\n%s", logs.String())
		}
	}
	if !strings.Contains(logs.String(), "GET /nodes 401") {
		t.Errorf("request log missing (the check above saw nothing):\n%s", logs.String())
	}
}

// TestWatchThroughLinks: a watch on a path through symlinks watches what the
// VM sees there, and reports events under the path as asked.
func TestWatchThroughLinks(t *testing.T) {
	_, c := setup(t)
	ctx := ctxT(t)
	vm := newVM(t, c, client.SlicerCreateNodeRequest{})
	sh(t, c, vm, "mkdir -p ~/wd && ln -s /home/ubuntu/wd ~/wlink && ln -s ../../../.. ~/up")
	for _, p := range []string{"/home/ubuntu/wlink", "/home/ubuntu/up/home/ubuntu/wd"} {
		ch, errc := c.WatchFS(ctx, vm, client.SlicerFSWatchRequest{Paths: []string{p}, Timeout: "10s", MaxEvents: 1, Events: []string{"create"}})
		if ch == nil {
			t.Fatalf("watch %s: %v", p, <-errc)
		}
		sh(t, c, vm, "sleep 0.3; echo hi > ~/wd/f-$(date +%N)")
		var got []client.SlicerFSWatchEvent
		for ev := range ch {
			got = append(got, ev)
		}
		if err := <-errc; err != nil || len(got) != 1 || !strings.HasPrefix(got[0].Path, p+"/f-") {
			t.Errorf("watch %s: %+v %v", p, got, err)
		}
	}
}
