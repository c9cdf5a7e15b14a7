package localdaemon_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/localdaemon"
	"github.com/slicer-cli/slicer/pkg/localdaemon/localdaemontest"
)

func TestInfoAndHostGroups(t *testing.T) {
	_, c := setup(t)
	ctx := ctxT(t)
	info, err := c.GetInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Platform != runtime.GOOS || info.Arch != runtime.GOARCH || info.Version == "" {
		t.Fatalf("info = %+v", info)
	}
	groups, err := c.GetHostGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 1 || groups[0].Name != "vm" || groups[0].CPUs != 2 || groups[0].RamBytes != 4<<30 {
		t.Fatalf("groups = %+v", groups)
	}
}

func TestCreateNamesTagsAndFilters(t *testing.T) {
	_, c := setup(t)
	ctx := ctxT(t)
	a := newVM(t, c, client.SlicerCreateNodeRequest{Tags: []string{"name=alpha", "team=x"}})
	b := newVM(t, c, client.SlicerCreateNodeRequest{Tags: []string{"name=beta"}, CPUs: 1, RamBytes: 1 << 30, Persistent: true})
	if a != "vm-1" || b != "vm-2" {
		t.Fatalf("hostnames %s %s", a, b)
	}
	all, err := c.ListVMs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].Hostname != "vm-1" || all[1].Hostname != "vm-2" {
		t.Fatalf("list = %+v", all)
	}
	n := all[1]
	if n.HostGroup != "vm" || n.CPUs != 1 || n.RamBytes != 1<<30 || !n.Persistent || n.Status != "Running" || n.CreatedAt.IsZero() || n.IP == "" {
		t.Fatalf("node = %+v", n)
	}
	if all[0].CPUs != 2 || all[0].Persistent {
		t.Fatalf("defaults not applied: %+v", all[0])
	}
	got, err := c.ListVMs(ctx, client.ListOptions{Tag: "name=beta"})
	if err != nil || len(got) != 1 || got[0].Hostname != "vm-2" {
		t.Fatalf("tag filter: %+v %v", got, err)
	}
	got, err = c.ListVMs(ctx, client.ListOptions{TagPrefix: "team="})
	if err != nil || len(got) != 1 || got[0].Hostname != "vm-1" {
		t.Fatalf("tag_prefix filter: %+v %v", got, err)
	}
	got, err = c.ListVMs(ctx, client.ListOptions{Tag: "name="})
	if err != nil || len(got) != 0 {
		t.Fatalf("exact tag must not prefix-match: %+v %v", got, err)
	}
	got, err = c.GetHostGroupNodes(ctx, "vm")
	if err != nil || len(got) != 2 {
		t.Fatalf("group nodes: %+v %v", got, err)
	}
	_, err = c.GetHostGroupNodes(ctx, "nope")
	wantStatus(t, err, 404)

	// Limits and bad input.
	_, err = c.CreateVM(ctx, "vm", client.SlicerCreateNodeRequest{CPUs: 3})
	wantStatus(t, err, 400)
	_, err = c.CreateVM(ctx, "vm", client.SlicerCreateNodeRequest{RamBytes: 8 << 30})
	wantStatus(t, err, 400)
	_, err = c.CreateVM(ctx, "vm", client.SlicerCreateNodeRequest{Secrets: []string{"missing"}})
	wantStatus(t, err, 400)
	_, err = c.CreateVM(ctx, "nope", client.SlicerCreateNodeRequest{})
	wantStatus(t, err, 404)

	// Delete: wrong group is 404, then the name is free again.
	_, err = c.DeleteVM(ctx, "other", "vm-1")
	wantStatus(t, err, 404)
	del, err := c.DeleteVM(ctx, "vm", "vm-1")
	if err != nil || del.DiskRemoved != "true" || del.Error != "" {
		t.Fatalf("delete: %+v %v", del, err)
	}
	_, err = c.DeleteVM(ctx, "vm", "vm-1")
	wantStatus(t, err, 404)
	if again := newVM(t, c, client.SlicerCreateNodeRequest{}); again != "vm-1" {
		t.Fatalf("reused name = %s", again)
	}
	if err := c.DeleteNode("vm", "vm-2"); err != nil {
		t.Fatal(err)
	}
}

func TestUserdataHealthAndLogs(t *testing.T) {
	d, c := setup(t)
	ctx := ctxT(t)
	resp, err := c.CreateVMWithOptions(ctx, "vm", client.SlicerCreateNodeRequest{
		Userdata: "#!/bin/bash\necho userdata-ran-as $(id -u)\necho marker > /root/ud\nexit 3\n",
	}, client.SlicerCreateNodeOptions{Wait: client.SlicerCreateNodeWaitUserdata, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	vm := resp.Hostname
	h, err := c.GetAgentHealth(ctx, vm, true)
	if err != nil {
		t.Fatal(err)
	}
	if !h.UserdataRan || h.AgentUptime <= 0 || h.Hostname != vm {
		t.Fatalf("health = %+v", h)
	}
	if _, err := c.GetAgentHealth(ctx, vm, false); err != nil {
		t.Fatal(err)
	}
	// userdata_exit_code is read with plain HTTP (newer daemons' field).
	var raw map[string]any
	getJSON(t, d, "/vm/"+vm+"/health", &raw)
	if raw["userdata_exit_code"] != float64(3) {
		t.Fatalf("health body = %v", raw)
	}
	if got := shAs(t, c, vm, 0, "cat /root/ud"); got != "marker" {
		t.Fatalf("userdata file = %q", got)
	}
	logs, err := c.GetVMLogs(ctx, vm, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.Content, "userdata-ran-as 0") {
		t.Fatalf("log does not hold userdata output:\n%s", logs.Content)
	}
	two, err := c.GetVMLogs(ctx, vm, 2)
	if err != nil || two.Lines != 2 || strings.Count(strings.TrimSuffix(two.Content, "\n"), "\n") != 1 {
		t.Fatalf("lines=2: %+v %v", two, err)
	}
	_, err = c.GetAgentHealth(ctx, "vm-9", true)
	wantStatus(t, err, 404)

	// Reboot does not run userdata again.
	if err := c.Shutdown(ctx, vm, &client.SlicerShutdownRequest{Action: "reboot"}); err != nil {
		t.Fatal(err)
	}
	logs, _ = c.GetVMLogs(ctx, vm, 0)
	if strings.Count(logs.Content, "userdata-ran-as") != 1 {
		t.Fatalf("userdata ran again after reboot:\n%s", logs.Content)
	}
}

func TestCreateWaitUserdataTimeout(t *testing.T) {
	_, c := setup(t)
	ctx := ctxT(t)
	_, err := c.CreateVMWithOptions(ctx, "vm", client.SlicerCreateNodeRequest{Userdata: "sleep 30"},
		client.SlicerCreateNodeOptions{Wait: client.SlicerCreateNodeWaitUserdata, Timeout: 500 * time.Millisecond})
	wantStatus(t, err, 408)
	vms, err := c.ListVMs(ctx)
	if err != nil || len(vms) != 0 {
		t.Fatalf("VM not cleaned up after 408: %+v %v", vms, err)
	}
}

func TestLifecycle(t *testing.T) {
	d, c := setup(t)
	ctx := ctxT(t)
	eph := newVM(t, c, client.SlicerCreateNodeRequest{})
	per := newVM(t, c, client.SlicerCreateNodeRequest{Persistent: true})
	sh(t, c, per, "echo kept > /home/ubuntu/f; sleep 1000 >/dev/null 2>&1 &")

	// Relaunch of a running VM is 409.
	_, err := c.RelaunchVM(ctx, per)
	wantStatus(t, err, 409)

	// Absent action = reboot: processes restart, files stay.
	if err := c.Shutdown(ctx, per, nil); err != nil {
		t.Fatal(err)
	}
	if got := sh(t, c, per, "cat /home/ubuntu/f; pgrep -c sleep || true"); got != "kept\n0" {
		t.Fatalf("after reboot: %q", got)
	}
	// Plain HTTP without action also reboots.
	req, _ := http.NewRequest("POST", "http://unix/vm/"+per+"/shutdown", nil)
	if resp := doRaw(t, d, req); resp.StatusCode != 200 {
		t.Fatalf("shutdown without action: %d", resp.StatusCode)
	}
	req, _ = http.NewRequest("POST", "http://unix/vm/"+per+"/shutdown?action=halt", nil)
	if resp := doRaw(t, d, req); resp.StatusCode != 400 {
		t.Fatalf("bad action: %d", resp.StatusCode)
	}

	// Shutdown: ephemeral removed, persistent stopped.
	if err := c.Shutdown(ctx, eph, &client.SlicerShutdownRequest{Action: "shutdown"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Shutdown(ctx, per, &client.SlicerShutdownRequest{Action: "shutdown"}); err != nil {
		t.Fatal(err)
	}
	vms, _ := c.ListVMs(ctx)
	if len(vms) != 1 || vms[0].Hostname != per || vms[0].Status != "Stopped" {
		t.Fatalf("after shutdown: %+v", vms)
	}
	_, err = c.ExecBuffered(ctx, per, client.SlicerExecRequest{Command: "true"})
	wantStatus(t, err, 409)
	if _, err := c.GetAgentHealth(ctx, per, false); err == nil {
		t.Fatal("health of a stopped VM answered 200")
	}
	if _, err := c.RelaunchVM(ctx, per); err != nil {
		t.Fatal(err)
	}
	if got := sh(t, c, per, "cat /home/ubuntu/f"); got != "kept" {
		t.Fatalf("after relaunch: %q", got)
	}

	// Pause: guest operations answer 409 until resume.
	if err := c.PauseVM(ctx, per); err != nil {
		t.Fatal(err)
	}
	vms, _ = c.ListVMs(ctx)
	if vms[0].Status != "Paused" {
		t.Fatalf("status = %s", vms[0].Status)
	}
	_, err = c.ExecBuffered(ctx, per, client.SlicerExecRequest{Command: "true"})
	wantStatus(t, err, 409)
	_, err = c.ExecBackground(ctx, per, client.ExecBackgroundRequest{Command: "true"})
	wantStatus(t, err, 409)
	_, _, err = c.ReadFile(ctx, per, "/home/ubuntu/f")
	wantStatus(t, err, 409)
	err = c.WriteFile(ctx, per, "/home/ubuntu/g", []byte("x"), 0, 0, "")
	wantStatus(t, err, 409)
	_, err = c.Stat(ctx, per, "/home/ubuntu/f")
	wantStatus(t, err, 409)
	_, err = c.ReadDir(ctx, per, "/home/ubuntu")
	wantStatus(t, err, 409)
	if err := c.ResumeVM(ctx, per); err != nil {
		t.Fatal(err)
	}
	if got := sh(t, c, per, "cat /home/ubuntu/f"); got != "kept" {
		t.Fatalf("after resume: %q", got)
	}

	// Suspend/restore keep files.
	if err := c.SuspendVM(ctx, per); err != nil {
		t.Fatal(err)
	}
	_, err = c.ExecBuffered(ctx, per, client.SlicerExecRequest{Command: "true"})
	wantStatus(t, err, 409)
	if err := c.RestoreVMWithOptions(ctx, per, client.SlicerRestoreVMOptions{Wait: client.SlicerRestoreVMWaitAgent, Timeout: 30 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if got := sh(t, c, per, "cat /home/ubuntu/f"); got != "kept" {
		t.Fatalf("after restore: %q", got)
	}
	err = c.RestoreVM(ctx, per)
	wantStatus(t, err, 409)
	err = c.PauseVM(ctx, "vm-77")
	wantStatus(t, err, 404)
}

func TestStats(t *testing.T) {
	_, c := setup(t)
	ctx := ctxT(t)
	vm := newVM(t, c, client.SlicerCreateNodeRequest{})
	all, err := c.GetVMStats(ctx, "")
	if err != nil || len(all) != 1 {
		t.Fatalf("all stats: %+v %v", all, err)
	}
	one, err := c.GetVMStats(ctx, vm)
	if err != nil || len(one) != 1 {
		t.Fatalf("one stat: %+v %v", one, err)
	}
	s := one[0]
	if s.Hostname != vm || s.Snapshot == nil || s.Error != "" {
		t.Fatalf("stat = %+v", s)
	}
	if s.Snapshot.MemoryUsed == 0 || s.Snapshot.TotalCPUS != 2 || s.Snapshot.TotalMemory != 4<<30 || s.Snapshot.Uptime == "" || s.Snapshot.DiskSpaceTotal == 0 {
		t.Fatalf("snapshot = %+v", s.Snapshot)
	}
	_, err = c.GetVMStats(ctx, "vm-9")
	wantStatus(t, err, 404)
}

func TestConfigHostGroupsAndDeclaredVMs(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfgPath, []byte("host_groups:\n  - name: build\n    cpus: 4\n    ram_gb: 2\n    count: 1\n  - name: api\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := localdaemon.LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	d := localdaemontest.Start(t, localdaemontest.WithConfig(cfg))
	c := client.NewSlicerClient(d.URL, "", "", nil)
	ctx := ctxT(t)
	groups, err := c.GetHostGroups(ctx)
	if err != nil || len(groups) != 2 || groups[0].Name != "build" || groups[0].CPUs != 4 || groups[0].RamBytes != 2<<30 || groups[0].Count != 1 {
		t.Fatalf("groups = %+v %v", groups, err)
	}
	vms, _ := c.ListVMs(ctx)
	if len(vms) != 1 || vms[0].Hostname != "build-1" || vms[0].Status != "Running" {
		t.Fatalf("declared VM: %+v", vms)
	}
	_, err = c.DeleteVM(ctx, "build", "build-1")
	wantStatus(t, err, 403)
	// An empty group name with two groups is the SDK's error, not a request.
	if _, err := c.CreateVM(ctx, "", client.SlicerCreateNodeRequest{}); err == nil {
		t.Fatal("create without a group succeeded with two groups")
	}
	r, err := c.CreateVM(ctx, "api", client.SlicerCreateNodeRequest{})
	if err != nil || r.Hostname != "api-1" || r.HostGroup != "api" {
		t.Fatalf("create in api: %+v %v", r, err)
	}

	for _, bad := range []string{"host_groups:\n  - name: Bad_Name\n", "host_groups:\n  - name: a\n  - name: a\n", "groups: []\n", "host_groups:\n  - name: a\n    ram_gb: 1\n    ram_bytes: 5\n"} {
		p := filepath.Join(dir, "bad.yaml")
		_ = os.WriteFile(p, []byte(bad), 0o644)
		if _, err := localdaemon.LoadConfig(p); err == nil {
			t.Errorf("config %q accepted", bad)
		}
	}
}

func getJSON(t *testing.T, d *localdaemontest.Daemon, path string, v any) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://unix"+path, nil)
	resp := doRaw(t, d, req)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

func TestConcurrentCreates(t *testing.T) {
	_, c := setup(t)
	ctx := ctxT(t)
	const n = 6
	names := make(chan string, n)
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			r, err := c.CreateVM(ctx, "vm", client.SlicerCreateNodeRequest{})
			if err != nil {
				errs <- err
				return
			}
			names <- r.Hostname
		}()
	}
	seen := map[string]bool{}
	for i := 0; i < n; i++ {
		select {
		case err := <-errs:
			t.Fatal(err)
		case name := <-names:
			if seen[name] {
				t.Fatalf("hostname %s handed out twice", name)
			}
			seen[name] = true
		}
	}
	for i := 1; i <= n; i++ {
		if !seen["vm-"+string(rune('0'+i))] {
			t.Fatalf("names %v, want vm-1..vm-%d", seen, n)
		}
	}
}

func TestPauseResumeAnswers(t *testing.T) {
	d, c := setup(t)
	vm := newVM(t, c, client.SlicerCreateNodeRequest{Persistent: true})
	post := func(action string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", "http://unix/vm/"+vm+"/"+action, nil)
		resp := doRaw(t, d, req)
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	// Each answer is the same whether the VM changed state or was already
	// in the asked-for one.
	for _, step := range []struct{ action, want string }{
		{"resume", "VM resumed\n"},
		{"pause", "VM paused\n"},
		{"pause", "VM paused\n"},
		{"resume", "VM resumed\n"},
		{"resume", "VM resumed\n"},
	} {
		if code, body := post(step.action); code != 200 || body != step.want {
			t.Fatalf("%s: %d %q, want 200 %q", step.action, code, body, step.want)
		}
	}
	if err := c.Shutdown(ctxT(t), vm, &client.SlicerShutdownRequest{Action: "shutdown"}); err != nil {
		t.Fatal(err)
	}
	for action, want := range map[string]string{"pause": "is not running", "resume": "is not paused"} {
		if code, body := post(action); code != 409 || !strings.Contains(body, "VM "+vm+" "+want) {
			t.Errorf("%s of a stopped VM: %d %q, want 409 %q", action, code, body, want)
		}
	}
}
