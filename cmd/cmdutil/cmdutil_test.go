package cmdutil

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/client/clienttest"
	"github.com/slicer-cli/slicer/pkg/iostreams"
)

func nodes() []client.SlicerNode {
	return []client.SlicerNode{
		{Hostname: "vm-1", Tags: []string{"name=web"}},
		{Hostname: "vm-2", Tags: []string{"name=db"}},
		{Hostname: "vm-3", Tags: []string{"name=dup"}},
		{Hostname: "vm-4", Tags: []string{"name=dup"}},
		{Hostname: "db"}, // a hostname equal to another VM's name wins
	}
}

func listFake() *clienttest.Fake {
	return &clienttest.Fake{
		ListVMsFunc: func(ctx context.Context, opts ...client.ListOptions) ([]client.SlicerNode, error) {
			if len(opts) == 0 {
				return nodes(), nil
			}
			var out []client.SlicerNode
			for _, n := range nodes() {
				for _, t := range n.Tags {
					if t == opts[0].Tag {
						out = append(out, n)
					}
				}
			}
			return out, nil
		},
	}
}

func TestResolveVM(t *testing.T) {
	tests := []struct{ arg, want, wantErr string }{
		{"vm-1", "vm-1", ""},
		{"web", "vm-1", ""},
		{"db", "db", ""},
		{"dup", "", "matches several VMs (vm-3, vm-4)"},
		{"ghost", "", `VM "ghost" not found`},
		{"Not_A_Name", "", "not found"},
	}
	for _, tt := range tests {
		got, err := ResolveVM(context.Background(), listFake(), tt.arg)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ResolveVM(%q) error = %v, want %q", tt.arg, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ResolveVM(%q) = %q, %v; want %q", tt.arg, got, err, tt.want)
		}
	}
}

func TestWithVM(t *testing.T) {
	notFound := &client.APIError{StatusCode: 404, Message: "VM not found"}
	tests := []struct {
		arg       string
		wantCalls string
		wantErr   string
		lists     int
	}{
		{"vm-1", "vm-1", "", 0},
		{"web", "web,vm-1", "", 1},
		{"ghost", "ghost", "VM not found", 1},
		{"dup", "dup", "several VMs", 1},
		{"UPPER", "UPPER", "VM not found", 0}, // not a valid name: no lookup
	}
	for _, tt := range tests {
		fake := listFake()
		var calls []string
		err := WithVM(context.Background(), fake, tt.arg, func(vm string) error {
			calls = append(calls, vm)
			if strings.HasPrefix(vm, "vm-") {
				return nil
			}
			return notFound
		})
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("WithVM(%q) error = %v, want %q", tt.arg, err, tt.wantErr)
			}
		} else if err != nil {
			t.Errorf("WithVM(%q) = %v", tt.arg, err)
		}
		if got := strings.Join(calls, ","); got != tt.wantCalls {
			t.Errorf("WithVM(%q) calls %q, want %q", tt.arg, got, tt.wantCalls)
		}
		if n := len(fake.CallsTo("ListVMs")); n != tt.lists {
			t.Errorf("WithVM(%q) listed %d times, want %d", tt.arg, n, tt.lists)
		}
	}
	// Errors other than 404 never trigger a lookup.
	fake := listFake()
	err := WithVM(context.Background(), fake, "web", func(string) error { return &client.APIError{StatusCode: 409} })
	if !IsAPIStatus(err, 409) || len(fake.CallsTo("ListVMs")) != 0 {
		t.Errorf("409: %v, %d lists", err, len(fake.CallsTo("ListVMs")))
	}
}

func TestDebugTransportRedacts(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "session=abc")
		w.WriteHeader(200)
	}))
	defer srv.Close()
	var buf bytes.Buffer
	base := &http.Transport{}
	defer base.CloseIdleConnections()
	hc := &http.Client{Transport: &DebugTransport{Base: base, W: &buf}}
	req, _ := http.NewRequest("GET", srv.URL+"/nodes", nil)
	req.Header.Set("Authorization", "Bearer top-secret-token")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	out := buf.String()
	if strings.Contains(out, "top-secret-token") || strings.Contains(out, "abc") {
		t.Errorf("secret in trace: %q", out)
	}
	for _, want := range []string{"> GET " + srv.URL + "/nodes", "Authorization: Bearer <redacted>", "< HTTP/1.1 200 OK"} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q: %q", want, out)
		}
	}
}

func TestGroupRunE(t *testing.T) {
	root := &cobra.Command{Use: "slicer"}
	grp := &cobra.Command{Use: "vm", Args: cobra.ArbitraryArgs, RunE: GroupRunE}
	grp.AddCommand(&cobra.Command{Use: "list", Run: func(*cobra.Command, []string) {}})
	root.AddCommand(grp)
	root.SetArgs([]string{"vm", "lst"})
	root.SetOut(&bytes.Buffer{})
	root.SetErr(&bytes.Buffer{})
	err := root.Execute()
	var fe *FlagError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "Did you mean") || !strings.Contains(err.Error(), "list") {
		t.Errorf("error = %v", err)
	}
}

func TestCompletionNeverBlocks(t *testing.T) {
	ios, _, _, errOut := iostreams.Test()
	blocked := make(chan struct{})
	defer close(blocked)
	deadline := make(chan time.Duration, 1)
	fake := &clienttest.Fake{
		ListVMsFunc: func(ctx context.Context, opts ...client.ListOptions) ([]client.SlicerNode, error) {
			if dl, ok := ctx.Deadline(); ok {
				deadline <- time.Until(dl)
			} else {
				deadline <- -1
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-blocked:
				return nil, nil
			}
		},
	}
	f := &Factory{IOStreams: ios, Client: func() (client.Interface, error) { return fake, nil }}
	cmd := &cobra.Command{Use: "x"}
	cmd.SetContext(context.Background())
	// A daemon that never answers: the request is bounded by
	// CompletionTimeout and completion then offers nothing, silently (no
	// elapsed-time check: the bound is the request's deadline).
	got, _ := CompleteVMNames(f)(cmd, nil, "")
	if len(got) != 0 || errOut.Len() != 0 {
		t.Errorf("completion = %v, stderr %q", got, errOut)
	}
	if left := <-deadline; left < 0 || left > CompletionTimeout {
		t.Errorf("completion request had %v left, want a deadline at most %v away", left, CompletionTimeout)
	}

	f.Client = func() (client.Interface, error) { return listFake(), nil }
	got, _ = CompleteVMNames(f)(cmd, nil, "w")
	if strings.Join(got, "|") != "web\tvm-1" {
		t.Errorf("completion = %q", got)
	}
	f.Client = func() (client.Interface, error) { return nil, errors.New("no daemon") }
	if got, _ := CompleteVMNames(f)(cmd, nil, ""); len(got) != 0 {
		t.Errorf("completion with a failing client = %q", got)
	}
}

func TestCompleteFlagTags(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	fake := &clienttest.Fake{
		ListVMsFunc: func(ctx context.Context, opts ...client.ListOptions) ([]client.SlicerNode, error) {
			return []client.SlicerNode{
				{Hostname: "vm-1", Tags: []string{"name=web", "env=dev"}},
				{Hostname: "vm-2", Tags: []string{"env=dev", "workflow=ci"}},
				{Hostname: "vm-3"},
			}, nil
		},
	}
	f := &Factory{IOStreams: ios, Client: func() (client.Interface, error) { return fake, nil }}
	cmd := &cobra.Command{Use: "x"}
	cmd.SetContext(context.Background())
	got, dir := CompleteFlagTags(f)(cmd, nil, "")
	if strings.Join(got, "|") != "env=dev|name=web|workflow=ci" || dir != cobra.ShellCompDirectiveNoFileComp {
		t.Errorf("completion = %q, directive %v", got, dir)
	}
	if got, _ := CompleteFlagTags(f)(cmd, []string{"vm-1"}, "w"); strings.Join(got, "|") != "workflow=ci" {
		t.Errorf("completion of w = %q", got)
	}
}

func TestCheckCwd(t *testing.T) {
	for _, ok := range []string{"", "/", "/tmp", "~", "~/src", "src/app", "/a..b/c", "..x"} {
		if err := CheckCwd(ok); err != nil {
			t.Errorf("CheckCwd(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"..", "../etc", "~/../../etc", "/tmp/../etc", "a/.."} {
		err := CheckCwd(bad)
		var fe *FlagError
		if err == nil || !errors.As(err, &fe) {
			t.Errorf("CheckCwd(%q) = %v, want a usage error", bad, err)
		}
	}
}

func TestCompleteResourceNames(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	fake := &clienttest.Fake{
		GetHostGroupsFunc: func(context.Context) ([]client.SlicerHostGroup, error) {
			return []client.SlicerHostGroup{{Name: "api"}, {Name: "build"}}, nil
		},
		ListSecretsFunc: func(context.Context) ([]client.Secret, error) {
			return []client.Secret{{Name: "db-pass"}, {Name: "api-key"}}, nil
		},
		ListProxyClientsFunc: func(context.Context) ([]client.ProxyClient, error) {
			return []client.ProxyClient{{Name: "ci"}, {Name: "dev"}}, nil
		},
		ListProxySecretsFunc: func(context.Context) ([]client.ProxySecret, error) {
			return nil, errors.New("daemon down")
		},
	}
	f := &Factory{IOStreams: ios, Client: func() (client.Interface, error) { return fake, nil }}
	cmd := &cobra.Command{Use: "x"}
	cmd.SetContext(context.Background())
	for _, tc := range []struct {
		name string
		fn   completeFunc
		args []string
		in   string
		want string
	}{
		{"host groups", CompleteHostGroups(f), nil, "", "api|build"},
		{"host groups at 1", CompleteHostGroupsAt(f, 1), []string{"vm"}, "b", "build"},
		{"host groups wrong position", CompleteHostGroupsAt(f, 1), nil, "", ""},
		{"secrets", CompleteSecretNames(f), nil, "", "db-pass|api-key"},
		{"secret flag", CompleteFlagSecrets(f), []string{"x", "y"}, "a", "api-key"},
		{"proxy clients", CompleteProxyClients(f), nil, "d", "dev"},
		{"proxy secrets error", CompleteProxySecrets(f), nil, "", ""},
	} {
		got, dir := tc.fn(cmd, tc.args, tc.in)
		if strings.Join(got, "|") != tc.want || dir != cobra.ShellCompDirectiveNoFileComp {
			t.Errorf("%s: completion = %q, directive %v; want %q", tc.name, got, dir, tc.want)
		}
	}
}

func TestResolveVMProbesOneVM(t *testing.T) {
	// A hostname that exists costs one HEAD of its health, never a listing
	// of every VM (VENDOR-CLI.md §5.8: the argument is sent unchanged first).
	f := listFake()
	got, err := ResolveVM(context.Background(), f, "vm-1")
	if err != nil || got != "vm-1" {
		t.Fatalf("ResolveVM = %q, %v", got, err)
	}
	if m := f.Methods(); len(m) != 1 || m[0] != "GetAgentHealth" {
		t.Errorf("calls = %v, want one GetAgentHealth", m)
	}
	// A paused (409) or stopped (503) VM exists: its own operation reports the state.
	for _, status := range []int{409, 503} {
		f := &clienttest.Fake{GetAgentHealthFunc: func(context.Context, string, bool) (*client.SlicerAgentHealthResponse, error) {
			return nil, &client.APIError{StatusCode: status}
		}}
		if got, err := ResolveVM(context.Background(), f, "vm-9"); err != nil || got != "vm-9" {
			t.Errorf("status %d: ResolveVM = %q, %v; want vm-9", status, got, err)
		}
	}
	// A transport error is reported, not taken for "not found".
	f2 := &clienttest.Fake{GetAgentHealthFunc: func(context.Context, string, bool) (*client.SlicerAgentHealthResponse, error) {
		return nil, errors.New("connection refused")
	}}
	if _, err := ResolveVM(context.Background(), f2, "vm-1"); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("transport error = %v", err)
	}
}

func TestGuestError(t *testing.T) {
	if GuestError(nil, "x") != nil {
		t.Fatal("nil error changed")
	}
	paused := &client.APIError{StatusCode: 409, Message: "VM is paused"}
	err := GuestError(fmt.Errorf("exec: %w", paused), "box")
	if !strings.Contains(err.Error(), "slicer vm resume box") || !errors.As(err, new(*client.APIError)) {
		t.Fatalf("err = %v", err)
	}
	other := errors.New("x")
	if GuestError(other, "box") != other {
		t.Fatal("other errors must pass unchanged")
	}
}
