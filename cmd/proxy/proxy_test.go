package proxy

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/slicer-cli/slicer/cmd/cmdutil/cmdtest"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/client/clienttest"
)

func TestMain(m *testing.M) {
	time.Local = time.UTC
	os.Exit(m.Run())
}

func TestClientCreateBareToken(t *testing.T) {
	for _, tty := range []bool{false, true} {
		fake := &clienttest.Fake{
			CreateProxyClientFunc: func(ctx context.Context, name, setToken string) (*client.ProxyClientCreated, error) {
				return &client.ProxyClientCreated{Name: name, Token: "spt_abc123", CreatedAt: time.Unix(0, 0)}, nil
			},
		}
		f, s := cmdtest.NewFactory(fake, tty)
		if err := cmdtest.Run(NewCmdProxy(f), "client", "create", "web-1"); err != nil {
			t.Fatal(err)
		}
		if s.Out.String() != "spt_abc123\n" {
			t.Errorf("stdout = %q, want the bare token", s.Out)
		}
		if strings.Contains(s.ErrOut.String(), "spt_abc123") {
			t.Errorf("token also on stderr: %q", s.ErrOut)
		}
	}
}

func TestClientCreateSetToken(t *testing.T) {
	tok := filepath.Join(t.TempDir(), "tok")
	if err := os.WriteFile(tok, []byte("mine\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var got string
	fake := &clienttest.Fake{
		CreateProxyClientFunc: func(ctx context.Context, name, setToken string) (*client.ProxyClientCreated, error) {
			got = setToken
			return &client.ProxyClientCreated{Name: name, Token: setToken}, nil
		},
	}
	f, _ := cmdtest.NewFactory(fake, false)
	if err := cmdtest.Run(NewCmdProxy(f), "client", "create", "ci", "--set-token-file", tok); err != nil {
		t.Fatal(err)
	}
	if got != "mine" {
		t.Errorf("setToken = %q", got)
	}
}

func TestAllowAndRevoke(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		wantAllow []client.AddProxyAllowRequest
		wantHost  []string
		wantTuple []client.RemoveProxyAllowByTupleRequest
		wantErr   string
	}{
		{name: "allow host", args: []string{"allow", "web-1", "--host", "api.github.com"},
			wantAllow: []client.AddProxyAllowRequest{{Client: "web-1", Host: "api.github.com"}}},
		{name: "allow full rule", args: []string{"allow", "web-1", "--host", "api.openai.com", "--secret", "openai", "--method", "post", "--path", "/v1/*", "--port", "443", "--ttl", "1h"},
			wantAllow: []client.AddProxyAllowRequest{{Client: "web-1", Host: "api.openai.com", Secret: "openai", Methods: []string{"POST"}, Paths: []string{"/v1/*"}, Ports: []int{443}, TTLSeconds: 3600}}},
		{name: "allow two hosts", args: []string{"allow", "c", "--host", "a", "--host", "b", "--passthrough"},
			wantAllow: []client.AddProxyAllowRequest{{Client: "c", Host: "a", Passthrough: true}, {Client: "c", Host: "b", Passthrough: true}}},
		{name: "passthrough with secret", args: []string{"allow", "c", "--host", "a", "--passthrough", "--secret", "s"}, wantErr: "--passthrough cannot"},
		{name: "no host", args: []string{"allow", "c"}, wantErr: "--host is required"},
		{name: "bad port", args: []string{"allow", "c", "--host", "a", "--port", "70000"}, wantErr: "invalid --port"},
		{name: "bad path", args: []string{"allow", "c", "--host", "a", "--path", "v1"}, wantErr: "must start with /"},
		{name: "revoke host", args: []string{"revoke", "web-1", "--host", "api.github.com"}, wantHost: []string{"web-1/api.github.com"}},
		{name: "revoke exact rule", args: []string{"revoke", "web-1", "--host", "api.openai.com", "--method", "POST", "--path", "/v1/*"},
			wantTuple: []client.RemoveProxyAllowByTupleRequest{{Client: "web-1", Host: "api.openai.com", Methods: []string{"POST"}, Paths: []string{"/v1/*"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var allows []client.AddProxyAllowRequest
			var hosts []string
			var tuples []client.RemoveProxyAllowByTupleRequest
			fake := &clienttest.Fake{
				AddProxyAllowFunc: func(ctx context.Context, req client.AddProxyAllowRequest) error {
					allows = append(allows, req)
					return nil
				},
				RemoveProxyAllowFunc: func(ctx context.Context, c, h string) error {
					hosts = append(hosts, c+"/"+h)
					return nil
				},
				RemoveProxyAllowByTupleFunc: func(ctx context.Context, req client.RemoveProxyAllowByTupleRequest) error {
					tuples = append(tuples, req)
					return nil
				},
			}
			f, s := cmdtest.NewFactory(fake, false)
			err := cmdtest.Run(NewCmdProxy(f), tt.args...)
			if tt.wantErr != "" {
				cmdtest.WantUsageError(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(allows, tt.wantAllow) || !reflect.DeepEqual(hosts, tt.wantHost) || !reflect.DeepEqual(tuples, tt.wantTuple) {
				t.Errorf("allows %+v hosts %v tuples %+v", allows, hosts, tuples)
			}
			if s.Out.Len() != 0 {
				t.Errorf("stdout = %q", s.Out)
			}
		})
	}
}

func TestRulesRun(t *testing.T) {
	rules := []client.ProxyAllowRule{
		{Host: "api.github.com"},
		{Host: "api.openai.com", Secret: "openai", Methods: []string{"POST"}, Paths: []string{"/v1/*"}, Ports: []int{443},
			Expires: time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range []struct {
		name, golden string
		args         []string
	}{
		{"table", "rules_table", []string{"rules", "web-1"}},
		{"json", "rules_json", []string{"rules", "web-1", "--json"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake := &clienttest.Fake{ListProxyRulesFunc: func(ctx context.Context, c string) ([]client.ProxyAllowRule, error) { return rules, nil }}
			f, s := cmdtest.NewFactory(fake, false)
			if err := cmdtest.Run(NewCmdProxy(f), tt.args...); err != nil {
				t.Fatal(err)
			}
			cmdtest.Golden(t, tt.golden, s.Out.Bytes())
		})
	}
}

func TestSecretCreate(t *testing.T) {
	dir := t.TempDir()
	vf := filepath.Join(dir, "v")
	if err := os.WriteFile(vf, []byte("ghp_x \n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		stdin   string
		want    client.CreateProxySecretRequest
		wantErr string
	}{
		{name: "value file trimmed", args: []string{"gh", "--host", "api.github.com", "--value-file", vf},
			want: client.CreateProxySecretRequest{Name: "gh", Host: "api.github.com", Value: "ghp_x"}},
		{name: "stdin, type, force", args: []string{"c", "--host", "h", "--type", "oauth-claude", "--force"}, stdin: "{}\n",
			want: client.CreateProxySecretRequest{Name: "c", Host: "h", Type: "oauth-claude", Value: "{}", Force: true}},
		{name: "bad type", args: []string{"c", "--host", "h", "--type", "magic"}, wantErr: "invalid --type"},
		{name: "no host", args: []string{"c", "--value", "x"}, wantErr: "--host is required"},
		{name: "empty", args: []string{"c", "--host", "h"}, stdin: "  \n", wantErr: "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *client.CreateProxySecretRequest
			fake := &clienttest.Fake{CreateProxySecretFunc: func(ctx context.Context, req client.CreateProxySecretRequest) error {
				got = &req
				return nil
			}}
			f, s := cmdtest.NewFactory(fake, false)
			s.In.WriteString(tt.stdin)
			err := cmdtest.Run(NewCmdProxy(f), append([]string{"secret", "create"}, tt.args...)...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *got != tt.want {
				t.Errorf("request %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestListsAndDeletes(t *testing.T) {
	fake := &clienttest.Fake{
		ListProxyClientsFunc: func(ctx context.Context) ([]client.ProxyClient, error) {
			return []client.ProxyClient{{Name: "web-1", CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}}, nil
		},
		ListProxySecretsFunc: func(ctx context.Context) ([]client.ProxySecret, error) { return nil, nil },
		DeleteProxyClientFunc: func(ctx context.Context, name string) error {
			return &client.APIError{StatusCode: 404, Message: "no such client"}
		},
	}
	f, s := cmdtest.NewFactory(fake, false)
	if err := cmdtest.Run(NewCmdProxy(f), "client", "list"); err != nil {
		t.Fatal(err)
	}
	if s.Out.String() != "NAME   CREATED\n----   -------\nweb-1  2026-01-01 00:00:00\n" {
		t.Errorf("client list = %q", s.Out)
	}
	s.Out.Reset()
	if err := cmdtest.Run(NewCmdProxy(f), "secret", "list", "--json"); err != nil {
		t.Fatal(err)
	}
	if s.Out.String() != "[]\n" {
		t.Errorf("secret list = %q", s.Out)
	}
	if err := cmdtest.Run(NewCmdProxy(f), "client", "delete", "x"); err == nil || !strings.Contains(err.Error(), "no such client") {
		t.Errorf("delete error = %v", err)
	}
}

func TestDeletes(t *testing.T) {
	var deleted []string
	fake := &clienttest.Fake{
		DeleteProxyClientFunc: func(ctx context.Context, name string) error {
			deleted = append(deleted, "client "+name)
			return nil
		},
		DeleteProxySecretFunc: func(ctx context.Context, name string) error {
			if name == "missing" {
				return &client.APIError{StatusCode: 404, Message: "no such secret"}
			}
			deleted = append(deleted, "secret "+name)
			return nil
		},
	}
	f, s := cmdtest.NewFactory(fake, false)
	if err := cmdtest.Run(NewCmdProxy(f), "client", "rm", "web-1"); err != nil {
		t.Fatal(err)
	}
	if err := cmdtest.Run(NewCmdProxy(f), "secret", "delete", "gh"); err != nil {
		t.Fatal(err)
	}
	err := cmdtest.Run(NewCmdProxy(f), "secret", "remove", "missing")
	if err == nil || !strings.HasPrefix(err.Error(), `delete proxy secret "missing": `) || !strings.Contains(err.Error(), "no such secret") {
		t.Errorf("delete of a missing secret: %v", err)
	}
	if strings.Join(deleted, ",") != "client web-1,secret gh" {
		t.Errorf("deleted %q", deleted)
	}
	if s.ErrOut.String() != "Proxy client web-1 deleted\nProxy secret gh deleted\n" || s.Out.Len() != 0 {
		t.Errorf("stdout %q, stderr %q", s.Out, s.ErrOut)
	}
}
