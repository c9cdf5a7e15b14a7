package client_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/slicer-cli/slicer/pkg/client"
)

// contractCase pins one SDK call to its request and response (PROTOCOL.md).
type contractCase struct {
	name string
	// call performs the call against c and checks what it decoded; it
	// returns the call's error untouched.
	call   func(t *testing.T, c *client.SlicerClient) error
	method string
	path   string // escaped, without the base-URL prefix
	query  string // expected query, compared as decoded values
	body   string // expected body ("" = none)
	ctype  string // expected Content-Type ("" = none)
	accept string // expected Accept ("" = not checked)
	status int
	resp   string
	header map[string]string // response headers
}

func ctx() context.Context { return context.Background() }

func expect[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

var ts = "2025-09-02T08:32:37.667253315+01:00"

func contractCases() []contractCase {
	return []contractCase{
		{
			name: "GetInfo", method: "GET", path: "/info", status: 200,
			resp: `{"version":"1.0.0","git_commit":"abc","platform":"linux","arch":"amd64"}`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				info, err := c.GetInfo(ctx())
				if err != nil {
					return err
				}
				expect(t, "info", *info, client.SlicerInfo{Version: "1.0.0", GitCommit: "abc", Platform: "linux", Arch: "amd64"})
				return nil
			},
		},
		{
			name: "GetHostGroups", method: "GET", path: "/hostgroup", status: 200,
			resp: `[{"name":"vm","count":1,"ram_bytes":4294967296,"cpus":2,"arch":"x86_64","gpu_count":0}]`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				g, err := c.GetHostGroups(ctx())
				if err != nil {
					return err
				}
				if len(g) != 1 || g[0] != (client.SlicerHostGroup{Name: "vm", Count: 1, RamBytes: 4294967296, CPUs: 2, Arch: "x86_64"}) {
					t.Errorf("groups = %+v", g)
				}
				return nil
			},
		},
		{
			name: "GetHostGroupNodes/tag", method: "GET", path: "/hostgroup/vm/nodes", query: "tag=name%3Dx", status: 200,
			resp: `[{"hostname":"vm-1","hostgroup":"vm","ip":"192.168.137.2","created_at":"` + ts + `","tags":["name=x"],"status":"Running","persistent":true}]`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				n, err := c.GetHostGroupNodes(ctx(), "vm", client.ListOptions{Tag: "name=x"}, client.ListOptions{Tag: "ignored"})
				if err != nil {
					return err
				}
				if len(n) != 1 || n[0].Hostname != "vm-1" || !n[0].Persistent || n[0].Tags[0] != "name=x" || n[0].CreatedAt.IsZero() {
					t.Errorf("nodes = %+v", n)
				}
				return nil
			},
		},
		{
			name: "GetHostGroupNodes/plain", method: "GET", path: "/hostgroup/vm/nodes", status: 200, resp: `[]`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				n, err := c.GetHostGroupNodes(ctx(), "vm")
				if err == nil && (n == nil || len(n) != 0) {
					t.Errorf("nodes = %#v, want empty non-nil", n)
				}
				return err
			},
		},
		{
			name: "ListVMs/tag_prefix", method: "GET", path: "/nodes", query: "tag_prefix=user%3D", status: 200,
			resp: `[{"hostname":"vm-1","ip":"10.0.0.2/24","created_at":"` + ts + `"}]`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				n, err := c.ListVMs(ctx(), client.ListOptions{TagPrefix: "user="})
				if err == nil && (len(n) != 1 || n[0].IP != "10.0.0.2/24") {
					t.Errorf("nodes = %+v", n)
				}
				return err
			},
		},
		{
			name: "ListVMs/plain", method: "GET", path: "/nodes", status: 200, resp: `[]`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				_, err := c.ListVMs(ctx())
				return err
			},
		},
		{
			name: "CreateVMWithOptions", method: "POST", path: "/hostgroup/vm/nodes", query: "timeout=1m30s&wait=userdata",
			body:  `{"ram_bytes":1073741824,"cpus":1,"persistent":true,"tags":["a"],"secrets":["s"],"network":{"allow":["10.0.0.0/8"]}}`,
			ctype: "application/json", status: 201,
			resp: `{"hostname":"vm-1","hostgroup":"vm","ip":"192.168.137.2/24","created_at":"2025-11-14T13:28:34.218182826Z","arch":"amd64"}`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				r, err := c.CreateVMWithOptions(ctx(), "vm", client.SlicerCreateNodeRequest{
					RamBytes: client.GiB(1), CPUs: 1, Persistent: true, Tags: []string{"a"}, Secrets: []string{"s"},
					Network: &client.SlicerCreateNodeNetworkPolicy{Allow: []string{"10.0.0.0/8"}},
				}, client.SlicerCreateNodeOptions{Wait: client.SlicerCreateNodeWaitUserdata, Timeout: 90 * time.Second})
				if err != nil {
					return err
				}
				expect(t, "hostname", r.Hostname, "vm-1")
				expect(t, "IPAddress", r.IPAddress().String(), "192.168.137.2")
				return nil
			},
		},
		{
			name: "CreateVM", method: "POST", path: "/hostgroup/vm/nodes", body: `{}`, ctype: "application/json", status: 200,
			resp: `{"hostname":"vm-2","ip":"192.168.137.3","created_at":"` + ts + `"}`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				r, err := c.CreateVM(ctx(), "vm", client.SlicerCreateNodeRequest{})
				if err == nil {
					expect(t, "IPAddress", r.IPAddress().String(), "192.168.137.3")
				}
				return err
			},
		},
		{
			name: "DeleteVM", method: "DELETE", path: "/hostgroup/vm/nodes/vm-1", status: 200,
			resp: `{"message":"VM deleted successfully","disk_removed":"false","error":""}`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				r, err := c.DeleteVM(ctx(), "vm", "vm-1")
				if err == nil {
					expect(t, "message", r.Message, "VM deleted successfully")
					expect(t, "disk_removed", r.DiskRemoved, "false")
				}
				return err
			},
		},
		{
			name: "DeleteNode", method: "DELETE", path: "/hostgroup/vm/nodes/vm-1", status: 204,
			call: func(t *testing.T, c *client.SlicerClient) error { return c.DeleteNode("vm", "vm-1") },
		},
		{
			name: "RelaunchVM", method: "POST", path: "/vm/vm-1/relaunch", status: 201,
			resp: `{"hostname":"vm-1","ip":"192.168.137.2/24","created_at":"` + ts + `"}`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				r, err := c.RelaunchVM(ctx(), "vm-1")
				if err == nil {
					expect(t, "hostname", r.Hostname, "vm-1")
				}
				return err
			},
		},
		{
			name: "Shutdown/default", method: "POST", path: "/vm/vm-1/shutdown", query: "action=reboot", status: 200, resp: "OK",
			call: func(t *testing.T, c *client.SlicerClient) error { return c.Shutdown(ctx(), "vm-1", nil) },
		},
		{
			name: "Shutdown/shutdown", method: "POST", path: "/vm/vm-1/shutdown", query: "action=shutdown", status: 200,
			call: func(t *testing.T, c *client.SlicerClient) error {
				return c.Shutdown(ctx(), "vm-1", &client.SlicerShutdownRequest{Action: "shutdown"})
			},
		},
		{
			// The action goes out exactly as given, as the SDK sends it.
			name: "Shutdown/as-given", method: "POST", path: "/vm/vm-1/shutdown", query: "action=+reboot+", status: 200,
			call: func(t *testing.T, c *client.SlicerClient) error {
				return c.Shutdown(ctx(), "vm-1", &client.SlicerShutdownRequest{Action: " reboot "})
			},
		},
		{
			name: "PauseVM", method: "POST", path: "/vm/vm-1/pause", status: 200,
			call: func(t *testing.T, c *client.SlicerClient) error { return c.PauseVM(ctx(), "vm-1") },
		},
		{
			name: "ResumeVM", method: "POST", path: "/vm/vm-1/resume", status: 200,
			call: func(t *testing.T, c *client.SlicerClient) error { return c.ResumeVM(ctx(), "vm-1") },
		},
		{
			name: "SuspendVM", method: "POST", path: "/vm/vm-1/suspend", status: 200,
			call: func(t *testing.T, c *client.SlicerClient) error { return c.SuspendVM(ctx(), "vm-1") },
		},
		{
			name: "RestoreVM", method: "POST", path: "/vm/vm-1/restore", status: 200,
			call: func(t *testing.T, c *client.SlicerClient) error { return c.RestoreVM(ctx(), "vm-1") },
		},
		{
			name: "RestoreVMWithOptions", method: "POST", path: "/vm/vm-1/restore", query: "timeout=30s&wait=agent", status: 200,
			call: func(t *testing.T, c *client.SlicerClient) error {
				return c.RestoreVMWithOptions(ctx(), "vm-1", client.SlicerRestoreVMOptions{Wait: client.SlicerRestoreVMWaitAgent, Timeout: 30 * time.Second})
			},
		},
		{
			name: "RestoreVMWithOptions/timeout-without-wait", method: "POST", path: "/vm/vm-1/restore", status: 200,
			call: func(t *testing.T, c *client.SlicerClient) error {
				return c.RestoreVMWithOptions(ctx(), "vm-1", client.SlicerRestoreVMOptions{Timeout: 30 * time.Second})
			},
		},
		{
			name: "GetVMLogs/all", method: "GET", path: "/vm/vm-1/logs", query: "lines=0", status: 200,
			resp: `{"hostname":"vm-1","lines":0,"content":"[  OK  ] Started\n"}`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				r, err := c.GetVMLogs(ctx(), "vm-1", -1)
				if err == nil {
					expect(t, "content", r.Content, "[  OK  ] Started\n")
				}
				return err
			},
		},
		{
			name: "GetVMLogs/lines", method: "GET", path: "/vm/vm-1/logs", query: "lines=50", status: 200,
			resp: `{"hostname":"vm-1","lines":50,"content":""}`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				r, err := c.GetVMLogs(ctx(), "vm-1", 50)
				if err == nil {
					expect(t, "lines", r.Lines, 50)
				}
				return err
			},
		},
		{
			name: "GetVMStats/all", method: "GET", path: "/nodes/stats", status: 200,
			resp: `[{"hostname":"vm-1","ip":"1.2.3.4","created_at":"` + ts + `","snapshot":{"hostname":"vm-1","uptime":"6m53s","totalCpus":2,"memoryUsedPercent":12.5},"error":""},{"hostname":"vm-2","snapshot":null,"error":"agent unreachable"}]`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				s, err := c.GetVMStats(ctx(), "")
				if err != nil {
					return err
				}
				if len(s) != 2 || s[0].Snapshot == nil || s[0].Snapshot.TotalCPUS != 2 || s[0].Snapshot.MemoryUsedPercent != 12.5 || s[1].Error != "agent unreachable" {
					t.Errorf("stats = %+v", s)
				}
				return nil
			},
		},
		{
			name: "GetVMStats/one-object", method: "GET", path: "/node/vm-1/stats", status: 200,
			resp: `{"hostname":"vm-1","snapshot":{"uptime":"1m0s"},"error":""}`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				s, err := c.GetVMStats(ctx(), "vm-1")
				if err == nil && (len(s) != 1 || s[0].Snapshot.Uptime != "1m0s") {
					t.Errorf("stats = %+v", s)
				}
				return err
			},
		},
		{
			name: "GetVMStats/one-array", method: "GET", path: "/node/vm-1/stats", status: 200,
			resp: `[{"hostname":"vm-1","snapshot":null,"error":""}]`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				s, err := c.GetVMStats(ctx(), "vm-1")
				if err == nil && (len(s) != 1 || s[0].Hostname != "vm-1") {
					t.Errorf("stats = %+v", s)
				}
				return err
			},
		},
		{
			name: "GetAgentHealth/head", method: "HEAD", path: "/vm/vm-1/health", status: 200,
			call: func(t *testing.T, c *client.SlicerClient) error {
				h, err := c.GetAgentHealth(ctx(), "vm-1", false)
				if err == nil {
					expect(t, "hostname", h.Hostname, "vm-1")
				}
				return err
			},
		},
		{
			name: "GetAgentHealth/get", method: "GET", path: "/vm/vm-1/health", status: 200,
			resp: `{"hostname":"vm-1","agent_uptime":3600000000000,"agent_version":"0.1.0","system_uptime":7200,"userdata_ran":true,"ip":"192.168.137.2","userdata_exit_code":0}`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				h, err := c.GetAgentHealth(ctx(), "vm-1", true)
				if err != nil {
					return err
				}
				expect(t, "agent uptime", h.AgentUptime, time.Hour)
				expect(t, "userdata ran", h.UserdataRan, true)
				expect(t, "ip", h.IP, "192.168.137.2")
				return nil
			},
		},
		{
			name: "ListSecrets", method: "GET", path: "/secrets", status: 200,
			resp: `[{"name":"a","size":4,"permissions":"0600","uid":1000,"gid":1000,"modified_at":"` + ts + `"},{"name":"b","size":1,"permissions":"0644","mod_time":"` + ts + `"},{"name":"c","size":1,"permissions":"0644"}]`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				s, err := c.ListSecrets(ctx())
				if err != nil {
					return err
				}
				if len(s) != 3 || s[0].ModifiedAt == nil || s[1].ModifiedAt == nil || s[2].ModifiedAt != nil || s[0].UID != 1000 {
					t.Errorf("secrets = %+v", s)
				}
				return nil
			},
		},
		{
			name: "CreateSecret", method: "POST", path: "/secrets", body: `{"name":"s","data":"ZGF0YQ==","permissions":"0600","uid":1000}`,
			ctype: "application/json", status: 201,
			call: func(t *testing.T, c *client.SlicerClient) error {
				return c.CreateSecret(ctx(), client.CreateSecretRequest{Name: "s", Data: "ZGF0YQ==", Permissions: "0600", UID: 1000})
			},
		},
		{
			name: "PatchSecret", method: "PATCH", path: "/secrets/s", body: `{"permissions":"0600"}`, ctype: "application/json", status: 200,
			call: func(t *testing.T, c *client.SlicerClient) error {
				return c.PatchSecret(ctx(), "s", client.UpdateSecretRequest{Permissions: "0600"})
			},
		},
		{
			name: "DeleteSecret", method: "DELETE", path: "/secrets/s", status: 200,
			call: func(t *testing.T, c *client.SlicerClient) error { return c.DeleteSecret(ctx(), "s") },
		},
		{
			// Go's URL serializer (what the SDK's requests go through)
			// leaves ; , : @ = & + $ alone in a path and escapes * and
			// spaces; "/" is escaped so a name stays one segment.
			name: "DeleteSecret/punctuation", method: "DELETE", path: "/secrets/db;prod,v2:a@b=c&d+e$%2A%20x%2Fy", status: 200,
			call: func(t *testing.T, c *client.SlicerClient) error {
				return c.DeleteSecret(ctx(), "db;prod,v2:a@b=c&d+e$* x/y")
			},
		},
		{
			name: "ExecBuffered", method: "POST", path: "/vm/vm-1/exec",
			query: "buffered=true&cmd=ls&gid=1000&permissions=0755&stdio=base64&uid=1000", status: 200,
			resp: `{"stdout":"aGVsbG8K","stderr":"b29wcwo=","encoding":"base64","pid":812,"exit_code":3}`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				r, err := c.ExecBuffered(ctx(), "vm-1", client.SlicerExecRequest{Command: "ls", UID: 1000, GID: 1000, Permissions: "0755"})
				if err != nil {
					return err
				}
				expect(t, "stdout", r.Stdout, "hello\n")
				expect(t, "stderr", r.Stderr, "oops\n")
				expect(t, "exit", r.ExitCode, 3)
				expect(t, "pid", r.Pid, 812)
				return nil
			},
		},
		{
			name: "ExecBuffered/text-nonroot", method: "POST", path: "/vm/vm-1/exec",
			query: "buffered=true&cmd=echo&args=hi&stdio=text", status: 200, resp: `{"stdout":"hi\n","exit_code":0}`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				r, err := c.ExecBuffered(ctx(), "vm-1", client.SlicerExecRequest{Command: "echo", Args: []string{"hi"}, UID: client.NonRootUser, GID: client.NonRootUser, Stdio: client.ExecStdioText})
				if err == nil {
					expect(t, "stdout", r.Stdout, "hi\n")
				}
				return err
			},
		},
		{
			name: "ExecBackground", method: "POST", path: "/vm/vm-1/exec",
			query: "args=10&background=true&cmd=sleep&ring_bytes=4096&stdio=base64&uid=0", status: 201,
			resp: `{"exec_id":"ex_abc123","pid":42,"started_at":"` + ts + `","ring_bytes":4096}`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				r, err := c.ExecBackground(ctx(), "vm-1", client.ExecBackgroundRequest{Command: "sleep", Args: []string{"10"}, GID: client.NonRootUser, RingBytes: 4096})
				if err == nil {
					expect(t, "exec id", r.ExecID, "ex_abc123")
					expect(t, "pid", r.PID, 42)
				}
				return err
			},
		},
		{
			// A negative ring size is left out, as the SDK does (it sends
			// ring_bytes only when > 0), so the daemon's default applies.
			name: "ExecBackground/negative-ring", method: "POST", path: "/vm/vm-1/exec",
			query: "background=true&cmd=sleep&gid=0&stdio=base64&uid=0", status: 201,
			resp: `{"exec_id":"ex_2","pid":43,"started_at":"` + ts + `","ring_bytes":1048576}`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				_, err := c.ExecBackground(ctx(), "vm-1", client.ExecBackgroundRequest{Command: "sleep", RingBytes: -1})
				return err
			},
		},
		{
			name: "ExecList", method: "GET", path: "/vm/vm-1/exec", status: 200,
			resp: `[{"exec_id":"ex_1","pid":42,"command":"sleep","args":["10"],"started_at":"` + ts + `","running":false,"exit_code":0,"ended_at":null,"bytes_written":5,"bytes_dropped":0,"next_id":3,"ring_bytes":1048576}]`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				l, err := c.ExecList(ctx(), "vm-1")
				if err == nil && (len(l) != 1 || l[0].ExitCode == nil || *l[0].ExitCode != 0 || l[0].EndedAt != nil || l[0].NextID != 3) {
					t.Errorf("list = %+v", l)
				}
				return err
			},
		},
		{
			name: "ExecInfo", method: "GET", path: "/vm/vm-1/exec/ex_1", status: 200,
			resp: `{"exec_id":"ex_1","pid":42,"command":"sleep","started_at":"` + ts + `","running":true,"bytes_written":0,"bytes_dropped":0,"next_id":1,"ring_bytes":1}`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				i, err := c.ExecInfo(ctx(), "vm-1", "ex_1")
				if err == nil && (!i.Running || i.ExitCode != nil) {
					t.Errorf("info = %+v", i)
				}
				return err
			},
		},
		{
			name: "ExecKill", method: "POST", path: "/vm/vm-1/exec/ex_1/kill", body: `{"signal":"KILL","grace_ms":100}`, ctype: "application/json", status: 200,
			resp: `{"exec_id":"ex_1","pid":42,"running":false,"signal_sent":"KILL"}`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				r, err := c.ExecKill(ctx(), "vm-1", "ex_1", client.KillOptions{Signal: "KILL", GraceMs: 100})
				if err == nil {
					expect(t, "signal sent", r.SignalSent, "KILL")
				}
				return err
			},
		},
		{
			name: "ExecKill/empty", method: "POST", path: "/vm/vm-1/exec/ex_1/kill", ctype: "application/json", status: 200,
			resp: `{"exec_id":"ex_1","pid":42,"running":false,"signal_sent":"TERM"}`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				_, err := c.ExecKill(ctx(), "vm-1", "ex_1", client.KillOptions{})
				return err
			},
		},
		{
			name: "ExecWaitExit", method: "GET", path: "/vm/vm-1/exec/ex_1/wait-exit", query: "timeout=90", status: 200,
			resp: `{"exec_id":"ex_1","running":false,"exit_code":7,"ended_at":"` + ts + `","timed_out":false}`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				r, err := c.ExecWaitExit(ctx(), "vm-1", "ex_1", 90500*time.Millisecond)
				if err == nil && (r.ExitCode == nil || *r.ExitCode != 7 || r.EndedAt == nil) {
					t.Errorf("wait = %+v", r)
				}
				return err
			},
		},
		{
			name: "ExecWaitExit/subsecond", method: "GET", path: "/vm/vm-1/exec/ex_1/wait-exit", query: "timeout=1", status: 200,
			resp: `{"exec_id":"ex_1","running":true,"timed_out":true}`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				r, err := c.ExecWaitExit(ctx(), "vm-1", "ex_1", 500*time.Millisecond)
				if err == nil && (!r.TimedOut || !r.Running) {
					t.Errorf("wait = %+v", r)
				}
				return err
			},
		},
		{
			name: "ExecWaitExit/default", method: "GET", path: "/vm/vm-1/exec/ex_1/wait-exit", status: 200, resp: `{"exec_id":"ex_1"}`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				_, err := c.ExecWaitExit(ctx(), "vm-1", "ex_1", 0)
				return err
			},
		},
		{
			name: "ExecDelete", method: "DELETE", path: "/vm/vm-1/exec/ex_1", status: 200, resp: `{"exec_id":"ex_1","reaped":true}`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				r, err := c.ExecDelete(ctx(), "vm-1", "ex_1")
				if err == nil {
					expect(t, "reaped", r.Reaped, true)
				}
				return err
			},
		},
		{
			name: "ReadDir", method: "GET", path: "/vm/vm-1/fs/readdir", query: "path=%2Ftmp", status: 200,
			resp: `[{"name":"a","type":"file","size":3,"mtime":1776024825,"mode":"0644"},{"name":"d","type":"directory","size":4096,"mtime":"` + ts + `","mode":"0755"}]`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				l, err := c.ReadDir(ctx(), "vm-1", "/tmp")
				if err != nil {
					return err
				}
				if len(l) != 2 || l[0].Mtime.Unix() != 1776024825 || l[1].Mtime.IsZero() || l[1].Type != "directory" {
					t.Errorf("readdir = %+v", l)
				}
				return nil
			},
		},
		{
			name: "Stat", method: "GET", path: "/vm/vm-1/fs/stat", query: "path=%2Fetc%2Fhosts", status: 200,
			resp: `{"name":"hosts","type":"file","size":10,"mtime":"` + ts + `","mode":"0644"}`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				s, err := c.Stat(ctx(), "vm-1", "/etc/hosts")
				if err == nil {
					expect(t, "mode", s.Mode, "0644")
				}
				return err
			},
		},
		{
			name: "Exists", method: "GET", path: "/vm/vm-1/fs/stat", query: "path=%2Fetc", status: 200,
			resp: `{"name":"etc","type":"directory","size":10,"mtime":"` + ts + `","mode":"0755"}`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				ok, err := c.Exists(ctx(), "vm-1", "/etc")
				if err == nil {
					expect(t, "exists", ok, true)
				}
				return err
			},
		},
		{
			name: "Mkdir", method: "POST", path: "/vm/vm-1/fs/mkdir", body: `{"path":"/tmp/d","recursive":true,"mode":"0755"}`, ctype: "application/json", status: 200,
			call: func(t *testing.T, c *client.SlicerClient) error {
				return c.Mkdir(ctx(), "vm-1", client.SlicerFSMkdirRequest{Path: "/tmp/d", Recursive: true, Mode: "0755"})
			},
		},
		{
			name: "Remove", method: "DELETE", path: "/vm/vm-1/fs/remove", query: "path=%2Ftmp%2Fx&recursive=false", status: 200,
			call: func(t *testing.T, c *client.SlicerClient) error { return c.Remove(ctx(), "vm-1", "/tmp/x", false) },
		},
		{
			name: "ReadFile", method: "GET", path: "/vm/vm-1/cp", query: "path=%2Fetc%2Fhosts", accept: "application/octet-stream", status: 200,
			resp: "127.0.0.1 localhost\n", header: map[string]string{"X-Slicer-File-Mode": "0644"},
			call: func(t *testing.T, c *client.SlicerClient) error {
				b, mode, err := c.ReadFile(ctx(), "vm-1", "/etc/hosts")
				if err == nil {
					expect(t, "content", string(b), "127.0.0.1 localhost\n")
					expect(t, "mode", mode, "0644")
				}
				return err
			},
		},
		{
			name: "ReadFileTo", method: "GET", path: "/vm/vm-1/cp", query: "path=%7E%2Fa.txt", accept: "application/octet-stream", status: 200, resp: "abc",
			call: func(t *testing.T, c *client.SlicerClient) error {
				var sb strings.Builder
				err := c.ReadFileTo(ctx(), "vm-1", "~/a.txt", &sb)
				if err == nil {
					expect(t, "content", sb.String(), "abc")
				}
				return err
			},
		},
		{
			name: "WriteFile", method: "POST", path: "/vm/vm-1/cp", query: "gid=1001&path=%2Ftmp%2Fa&permissions=0644&uid=1000",
			body: "hello", ctype: "application/octet-stream", status: 200,
			call: func(t *testing.T, c *client.SlicerClient) error {
				return c.WriteFile(ctx(), "vm-1", "/tmp/a", []byte("hello"), 1000, 1001, "0644")
			},
		},
		{
			name: "WriteFileFrom/nonroot", method: "POST", path: "/vm/vm-1/cp", query: "path=%2Ftmp%2Fa",
			body: "streamed", ctype: "application/octet-stream", status: 200,
			call: func(t *testing.T, c *client.SlicerClient) error {
				return c.WriteFileFrom(ctx(), "vm-1", "/tmp/a", strings.NewReader("streamed"), client.NonRootUser, client.NonRootUser, "")
			},
		},
		{
			name: "CpToVMFromReader/binary", method: "POST", path: "/vm/vm-1/cp", query: "gid=7&mode=binary&path=%2Fbin%2Ftool&permissions=0755&uid=7",
			body: "\x00\x01binary", ctype: "application/octet-stream", status: 200,
			call: func(t *testing.T, c *client.SlicerClient) error {
				return c.CpToVMFromReader(ctx(), "vm-1", strings.NewReader("\x00\x01binary"), "/bin/tool", 7, 7, "0755", "binary")
			},
		},
		{
			name: "CpToVMFromReader/tar", method: "POST", path: "/vm/vm-1/cp", query: "mode=tar&path=%2Ftmp%2Fd",
			body: "TARBYTES", ctype: "application/x-tar", status: 200,
			call: func(t *testing.T, c *client.SlicerClient) error {
				return c.CpToVMFromReader(ctx(), "vm-1", strings.NewReader("TARBYTES"), "/tmp/d", 0, 0, "", "tar")
			},
		},
		{
			name: "CpFromVMToWriter/binary", method: "GET", path: "/vm/vm-1/cp", query: "mode=binary&path=%2Fetc%2Fhosts", accept: "application/octet-stream", status: 200, resp: "data",
			call: func(t *testing.T, c *client.SlicerClient) error {
				var sb strings.Builder
				err := c.CpFromVMToWriter(ctx(), "vm-1", "/etc/hosts", &sb, "binary")
				if err == nil {
					expect(t, "content", sb.String(), "data")
				}
				return err
			},
		},
		{
			// An empty guest path is sent as such (the SDK does not check it);
			// the daemon answers 400.
			name: "ReadFile/empty-path", method: "GET", path: "/vm/vm-1/cp", query: "path=", accept: "application/octet-stream", status: 200, resp: "x",
			call: func(t *testing.T, c *client.SlicerClient) error {
				_, _, err := c.ReadFile(ctx(), "vm-1", "")
				return err
			},
		},
		{
			name: "WriteFile/empty-path", method: "POST", path: "/vm/vm-1/cp", query: "gid=5&path=&uid=5", body: "x", ctype: "application/octet-stream", status: 200,
			call: func(t *testing.T, c *client.SlicerClient) error {
				return c.WriteFile(ctx(), "vm-1", "", []byte("x"), 5, 5, "")
			},
		},
		{
			// Excludes travel with tar downloads only (PROTOCOL.md §11.1).
			name: "CpFromVMToWriter/binary-excludes", method: "GET", path: "/vm/vm-1/cp", query: "mode=binary&path=%2Fetc%2Fhosts", accept: "application/octet-stream", status: 200, resp: "data",
			call: func(t *testing.T, c *client.SlicerClient) error {
				return c.CpFromVMToWriter(ctx(), "vm-1", "/etc/hosts", io.Discard, "binary", "*.tmp")
			},
		},
		{
			name: "CpFromVMToWriter/tar", method: "GET", path: "/vm/vm-1/cp", query: "exclude=%2A.tmp&exclude=.%2Fnode_modules%2F&mode=tar&path=%2Fsrc", accept: "application/x-tar", status: 200, resp: "tar",
			call: func(t *testing.T, c *client.SlicerClient) error {
				var sb strings.Builder
				return c.CpFromVMToWriter(ctx(), "vm-1", "/src", &sb, "tar", " *.tmp ", "", "./node_modules/")
			},
		},
		{
			name: "CreateProxyClient", method: "POST", path: "/proxy/v1/clients", body: `{"name":"a"}`, ctype: "application/json", status: 201,
			resp: `{"name":"a","token":"spt_x","created_at":"` + ts + `"}`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				r, err := c.CreateProxyClient(ctx(), "a", "")
				if err == nil {
					expect(t, "token", r.Token, "spt_x")
				}
				return err
			},
		},
		{
			name: "CreateProxyClient/token", method: "POST", path: "/proxy/v1/clients", body: `{"name":"a","token":"tok"}`, ctype: "application/json", status: 201,
			resp: `{"name":"a","token":"tok","created_at":"` + ts + `"}`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				_, err := c.CreateProxyClient(ctx(), "a", "tok")
				return err
			},
		},
		{
			name: "ListProxyClients", method: "GET", path: "/proxy/v1/clients", status: 200, resp: `[{"name":"a","created_at":"` + ts + `"}]`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				l, err := c.ListProxyClients(ctx())
				if err == nil && (len(l) != 1 || l[0].Name != "a" || l[0].CreatedAt.IsZero()) {
					t.Errorf("clients = %+v", l)
				}
				return err
			},
		},
		{
			name: "DeleteProxyClient", method: "DELETE", path: "/proxy/v1/clients/a", status: 204,
			call: func(t *testing.T, c *client.SlicerClient) error { return c.DeleteProxyClient(ctx(), "a") },
		},
		{
			name: "ListProxyRules", method: "GET", path: "/proxy/v1/clients/a", status: 200,
			resp: `[{"host":"*.github.com","methods":["GET"],"ports":[443,8443],"expires":"0001-01-01T00:00:00Z"}]`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				l, err := c.ListProxyRules(ctx(), "a")
				if err == nil && (len(l) != 1 || l[0].Host != "*.github.com" || len(l[0].Ports) != 2) {
					t.Errorf("rules = %+v", l)
				}
				return err
			},
		},
		{
			name: "CreateProxySecret", method: "POST", path: "/proxy/v1/secrets", body: `{"name":"n","host":"api.x","type":"basic","value":"u:p"}`, ctype: "application/json", status: 201,
			resp: `{"name":"n","host":"api.x","type":"basic","created_at":"` + ts + `"}`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				return c.CreateProxySecret(ctx(), client.CreateProxySecretRequest{Name: "n", Host: "api.x", Type: client.SecretTypeBasic, Value: "u:p"})
			},
		},
		{
			name: "ListProxySecrets", method: "GET", path: "/proxy/v1/secrets", status: 200, resp: `[{"name":"n","host":"h","created_at":"` + ts + `"}]`,
			call: func(t *testing.T, c *client.SlicerClient) error {
				l, err := c.ListProxySecrets(ctx())
				if err == nil && (len(l) != 1 || l[0].Host != "h") {
					t.Errorf("secrets = %+v", l)
				}
				return err
			},
		},
		{
			name: "DeleteProxySecret", method: "DELETE", path: "/proxy/v1/secrets/n", status: 204,
			call: func(t *testing.T, c *client.SlicerClient) error { return c.DeleteProxySecret(ctx(), "n") },
		},
		{
			name: "AddProxyAllow", method: "POST", path: "/proxy/v1/allows", body: `{"client":"a","host":"*.github.com","methods":["GET"],"ttl_seconds":60}`, ctype: "application/json", status: 201,
			call: func(t *testing.T, c *client.SlicerClient) error {
				return c.AddProxyAllow(ctx(), client.AddProxyAllowRequest{Client: "a", Host: "*.github.com", Methods: []string{"GET"}, TTLSeconds: 60})
			},
		},
		{
			name: "RemoveProxyAllow", method: "DELETE", path: "/proxy/v1/allows/a/%2A.github.com", status: 204,
			call: func(t *testing.T, c *client.SlicerClient) error {
				return c.RemoveProxyAllow(ctx(), "a", "*.github.com")
			},
		},
		{
			name: "RemoveProxyAllowByTuple", method: "POST", path: "/proxy/v1/allows/revoke", body: `{"client":"a","host":"h","paths":["/x/*"],"ports":[8443]}`, ctype: "application/json", status: 204,
			call: func(t *testing.T, c *client.SlicerClient) error {
				return c.RemoveProxyAllowByTuple(ctx(), client.RemoveProxyAllowByTupleRequest{Client: "a", Host: "h", Paths: []string{"/x/*"}, Ports: []int{8443}})
			},
		},
	}
}

func checkRequest(t *testing.T, tc contractCase, got request) {
	t.Helper()
	expect(t, "method", got.Method, tc.method)
	expect(t, "path", got.Path, prefix+tc.path)
	wantQ, err := url.ParseQuery(tc.query)
	if err != nil {
		t.Fatal(err)
	}
	if len(wantQ) == 0 && len(got.Query) == 0 {
		// both empty
	} else if !reflect.DeepEqual(got.Query, wantQ) {
		t.Errorf("query = %q, want %q", got.RawQuery, tc.query)
	}
	expect(t, "body", string(got.Body), tc.body)
	expect(t, "Content-Type", got.Header.Get("Content-Type"), tc.ctype)
	if tc.accept != "" {
		expect(t, "Accept", got.Header.Get("Accept"), tc.accept)
	}
	expect(t, "Authorization", got.Header.Get("Authorization"), "Bearer "+testToken)
	expect(t, "User-Agent", got.Header.Get("User-Agent"), testUA)
}

// TestContract pins every call's request and response decoding.
func TestContract(t *testing.T) {
	for _, tc := range contractCases() {
		t.Run(tc.name, func(t *testing.T) {
			c, rec := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				if strings.HasPrefix(tc.resp, "{") || strings.HasPrefix(tc.resp, "[") {
					w.Header().Set("Content-Type", "application/json")
				}
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.resp))
			})
			if err := tc.call(t, c); err != nil {
				t.Fatalf("call: %v", err)
			}
			reqs := rec.all()
			if len(reqs) != 1 {
				t.Fatalf("server saw %d requests, want 1", len(reqs))
			}
			checkRequest(t, tc, reqs[0])
		})
	}
}

// TestContractErrors checks that every call maps a non-2xx answer to an
// *APIError carrying the method, path, status and the daemon's message.
func TestContractErrors(t *testing.T) {
	for _, tc := range contractCases() {
		t.Run(tc.name, func(t *testing.T) {
			isProxy := strings.HasPrefix(tc.path, "/proxy/")
			c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				if isProxy {
					w.Header().Set("Content-Type", "text/plain")
					w.WriteHeader(http.StatusBadRequest)
					_, _ = w.Write([]byte("unknown client\n"))
					return
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusConflict)
				_, _ = w.Write([]byte(`{"error":"VM is paused"}`))
			})
			err := tc.call(t, c)
			if err == nil {
				t.Fatal("call succeeded, want an error")
			}
			if tc.name == "CreateSecret" {
				if err != client.ErrSecretExists {
					t.Fatalf("409 on CreateSecret = %v, want ErrSecretExists", err)
				}
				return
			}
			var ae *client.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("error %T %v is not an *APIError", err, err)
			}
			wantStatus, wantMsg := http.StatusConflict, "VM is paused"
			if isProxy {
				wantStatus, wantMsg = http.StatusBadRequest, "unknown client"
			}
			expect(t, "status", ae.StatusCode, wantStatus)
			expect(t, "method", ae.Method, tc.method)
			expect(t, "path", ae.Path, prefix+tc.path)
			if tc.method != "HEAD" {
				expect(t, "message", ae.Message, wantMsg)
				if !strings.Contains(err.Error(), wantMsg) || !strings.Contains(err.Error(), "409") && !isProxy {
					t.Errorf("Error() = %q lacks status or message", err.Error())
				}
			}
			if errors.Is(err, os.ErrNotExist) {
				t.Errorf("non-404 error matches os.ErrNotExist")
			}
		})
	}
}

func TestCreateSecretExists(t *testing.T) {
	c, _ := newTestClient(t, replyJSON(http.StatusConflict, `{"error":"secret s already exists"}`))
	err := c.CreateSecret(ctx(), client.CreateSecretRequest{Name: "s", Data: "eA=="})
	if err != client.ErrSecretExists {
		t.Fatalf("err = %v, want ErrSecretExists", err)
	}
}

func TestStatNotExist(t *testing.T) {
	c, _ := newTestClient(t, replyJSON(http.StatusNotFound, `{"error":"path not found"}`))
	_, err := c.Stat(ctx(), "vm-1", "/nope")
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Stat err = %v, want os.ErrNotExist", err)
	}
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Message != "path not found" || ae.StatusCode != 404 {
		t.Fatalf("Stat err = %#v, want *APIError 404", err)
	}
	ok, err := c.Exists(ctx(), "vm-1", "/nope")
	if ok || err != nil {
		t.Fatalf("Exists = %v, %v; want false, nil", ok, err)
	}
	_, _, err = c.ReadFile(ctx(), "vm-1", "/nope")
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("ReadFile err = %v, want os.ErrNotExist", err)
	}
}

func TestDeleteVMErrorField(t *testing.T) {
	c, _ := newTestClient(t, replyJSON(200, `{"message":"","disk_removed":"false","error":"disk busy"}`))
	_, err := c.DeleteVM(ctx(), "vm", "vm-1")
	if err == nil || !strings.Contains(err.Error(), "disk busy") {
		t.Fatalf("err = %v, want the body's error", err)
	}
}

func TestCreateVMResolvesGroup(t *testing.T) {
	var groups string
	c, rec := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "GET" {
			replyJSON(200, groups)(w, r)
			return
		}
		replyJSON(201, `{"hostname":"only-1","ip":"1.2.3.4","created_at":"`+ts+`"}`)(w, r)
	})
	groups = `[{"name":"only"}]`
	r, err := c.CreateVM(ctx(), " ", client.SlicerCreateNodeRequest{CPUs: 1})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "hostname", r.Hostname, "only-1")
	reqs := rec.all()
	if len(reqs) != 2 || reqs[0].Path != prefix+"/hostgroup" || reqs[1].Path != prefix+"/hostgroup/only/nodes" || string(reqs[1].Body) != `{"cpus":1}` {
		t.Fatalf("requests = %+v", reqs)
	}

	for _, g := range []string{`[]`, `[{"name":"a"},{"name":"b"}]`} {
		groups = g
		n := len(rec.all())
		_, err := c.CreateVM(ctx(), "", client.SlicerCreateNodeRequest{})
		if err == nil {
			t.Fatalf("groups %s: no error", g)
		}
		if len(rec.all()) != n+1 {
			t.Fatalf("groups %s: create was sent anyway", g)
		}
	}
	n := len(rec.all())
	if _, err := c.CreateVMWithOptions(ctx(), "vm", client.SlicerCreateNodeRequest{}, client.SlicerCreateNodeOptions{Wait: "bogus"}); err == nil {
		t.Fatal("invalid wait accepted")
	}
	if len(rec.all()) != n {
		t.Fatal("create sent with an invalid wait")
	}
	// Like the SDK, an empty group is resolved before the wait value is
	// checked: the listing goes out, the create does not.
	groups = `[{"name":"only"}]`
	if _, err := c.CreateVMWithOptions(ctx(), "", client.SlicerCreateNodeRequest{}, client.SlicerCreateNodeOptions{Wait: "bogus"}); err == nil {
		t.Fatal("invalid wait accepted")
	}
	if reqs := rec.all()[n:]; len(reqs) != 1 || reqs[0].Method != "GET" || reqs[0].Path != prefix+"/hostgroup" {
		t.Fatalf("requests = %+v, want the host-group listing only", reqs)
	}
}

func TestNoTokenNoAuthorization(t *testing.T) {
	rec := &recorder{}
	srv := newRawServer(t, rec)
	c2 := client.NewSlicerClient(srv, "", "", nil)
	if _, err := c2.ListVMs(ctx()); err != nil {
		t.Fatal(err)
	}
	got := rec.last(t)
	if h := got.Header.Get("Authorization"); h != "" {
		t.Errorf("Authorization = %q, want none", h)
	}
	if !strings.HasPrefix(got.Header.Get("User-Agent"), "Go-http-client/") {
		t.Errorf("User-Agent = %q, want Go's default", got.Header.Get("User-Agent"))
	}
}

func TestInvalidInputs(t *testing.T) {
	c, rec := newTestClient(t, replyJSON(200, `{}`))
	if _, err := c.ExecBuffered(ctx(), "vm-1", client.SlicerExecRequest{Command: "x", Stdio: "hex"}); err == nil {
		t.Error("bad stdio accepted")
	}
	if _, err := c.ExecBuffered(ctx(), "vm-1", client.SlicerExecRequest{Command: "x", Stdin: true}); err == nil {
		t.Error("buffered stdin accepted")
	}
	if _, err := c.ExecBackground(ctx(), "vm-1", client.ExecBackgroundRequest{}); err == nil {
		t.Error("empty background command accepted")
	}
	if err := c.CpToVMFromReader(ctx(), "vm-1", strings.NewReader(""), "/x", 0, 0, "", "zip"); err == nil {
		t.Error("bad copy mode accepted")
	}
	// Like the SDK, CpToVM and CpFromVM take "binary" or "tar" only: an
	// empty mode is refused before anything is sent.
	src := t.TempDir()
	if err := c.CpToVM(ctx(), "vm-1", src, "/x", 0, 0, "", ""); err == nil {
		t.Error("CpToVM with an empty mode accepted")
	}
	if err := c.CpFromVM(ctx(), "vm-1", "/x", filepath.Join(src, "out"), "", ""); err == nil {
		t.Error("CpFromVM with an empty mode accepted")
	}
	_, errc := c.WatchFS(ctx(), "vm-1", client.SlicerFSWatchRequest{Paths: []string{" "}})
	if err := <-errc; err == nil || !strings.Contains(err.Error(), "paths is required") {
		t.Errorf("watch without paths: %v", err)
	}
	if n := len(rec.all()); n != 0 {
		t.Errorf("%d requests sent for invalid input", n)
	}
}

func TestBadBaseURL(t *testing.T) {
	c := client.NewSlicerClient("ftp://example.com", "tok", "", nil)
	if _, err := c.ListVMs(ctx()); err == nil || !strings.Contains(err.Error(), "invalid slicer URL") {
		t.Fatalf("err = %v", err)
	}
	c = client.NewSlicerClient("https://user:pw@example.com/api/", "tok", "", nil)
	expect(t, "BaseURL", c.BaseURL(), "https://user:xxxxx@example.com/api")
}
