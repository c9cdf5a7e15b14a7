package localdaemon_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slicer-cli/slicer/pkg/client"
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
