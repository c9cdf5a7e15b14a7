package secret

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/cmd/cmdutil/cmdtest"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/client/clienttest"
)

func TestNewCmdCreate(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    CreateOptions
		wantErr string
	}{
		{name: "positional", args: []string{"api"}, want: CreateOptions{Name: "api", Permissions: "0600"}},
		{name: "vendor --name", args: []string{"--name", "api", "--uid", "1000", "--gid", "2"}, want: CreateOptions{Name: "api", Permissions: "0600", UID: 1000, GID: 2}},
		{name: "permissions", args: []string{"api", "--permissions", "0400"}, want: CreateOptions{Name: "api", Permissions: "0400"}},
		{name: "no name", args: nil, wantErr: "missing secret name"},
		{name: "bad name", args: []string{"a/b"}, wantErr: "invalid secret name"},
		{name: "bad permissions", args: []string{"a", "--permissions", "999"}, wantErr: "octal"},
		{name: "two sources", args: []string{"a", "--from-literal", "x", "--from-file", "f"}, wantErr: "cannot be combined"},
		{name: "name twice", args: []string{"a", "--name", "b"}, wantErr: "given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := cmdtest.NewFactory(&clienttest.Fake{}, false)
			var got *CreateOptions
			err := cmdtest.Run(NewCmdCreate(f, func(_ context.Context, o *CreateOptions) error { got = o; return nil }), tt.args...)
			if tt.wantErr != "" {
				var fe *cmdutil.FlagError
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &fe) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != tt.want.Name || got.Permissions != tt.want.Permissions || got.UID != tt.want.UID || got.GID != tt.want.GID {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestCreateRun(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "v")
	if err := os.WriteFile(file, []byte("from-file\x00bin"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		stdin    string
		tty      bool
		apiErr   error
		wantData string
		wantErr  string
		wantWarn string
	}{
		{name: "stdin", args: []string{"s"}, stdin: "piped\n", wantData: "piped\n"},
		{name: "file", args: []string{"s", "--from-file", file}, wantData: "from-file\x00bin"},
		{name: "literal warns", args: []string{"s", "--from-literal", "zq9v"}, wantData: "zq9v", wantWarn: "--from-literal puts the secret in your shell history"},
		{name: "vendor --value", args: []string{"--name", "s", "--value", "zq9v"}, wantData: "zq9v", wantWarn: "--value puts the secret in your shell history"},
		{name: "empty stdin", args: []string{"s"}, stdin: "", wantErr: "empty"},
		{name: "exists", args: []string{"s"}, stdin: "x", apiErr: client.ErrSecretExists, wantErr: "secret update s"},
		{name: "api error", args: []string{"s"}, stdin: "x", apiErr: &client.APIError{StatusCode: 400, Message: "bad base64"}, wantErr: "bad base64"},
		{name: "missing file", args: []string{"s", "--from-file", filepath.Join(dir, "nope")}, wantErr: "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *client.CreateSecretRequest
			fake := &clienttest.Fake{
				CreateSecretFunc: func(ctx context.Context, req client.CreateSecretRequest) error {
					got = &req
					return tt.apiErr
				},
			}
			f, s := cmdtest.NewFactory(fake, tt.tty)
			s.In.WriteString(tt.stdin)
			err := cmdtest.Run(NewCmdCreate(f, nil), tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			data, _ := base64.StdEncoding.DecodeString(got.Data)
			if string(data) != tt.wantData || got.Permissions != "0600" || got.Name != "s" {
				t.Errorf("request %+v (data %q)", got, data)
			}
			if s.Out.Len() != 0 || strings.Contains(s.ErrOut.String(), tt.wantData) {
				t.Errorf("value echoed: stdout %q stderr %q", s.Out, s.ErrOut)
			}
			if !strings.Contains(s.ErrOut.String(), tt.wantWarn) {
				t.Errorf("stderr %q lacks %q", s.ErrOut, tt.wantWarn)
			}
		})
	}
}

func TestUpdateRun(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		stdin   string
		want    client.UpdateSecretRequest
		wantErr string
	}{
		{name: "new value from stdin", args: []string{"s"}, stdin: "new", want: client.UpdateSecretRequest{Data: base64.StdEncoding.EncodeToString([]byte("new"))}},
		{name: "metadata only leaves data empty", args: []string{"s", "--permissions", "0440", "--uid", "7"}, want: client.UpdateSecretRequest{Permissions: "0440", UID: 7}},
		{name: "value and metadata", args: []string{"s", "--from-literal", "v", "--gid", "3"}, want: client.UpdateSecretRequest{Data: base64.StdEncoding.EncodeToString([]byte("v")), GID: 3}},
		{name: "nothing", args: []string{"s"}, stdin: "", wantErr: "empty"},
		// In `slicer secret list -o name | while read s; do slicer secret
		// update "$s" --permissions 0400; done` stdin holds the other
		// names: it must not become the value.
		{name: "metadata only leaves piped stdin alone", args: []string{"s", "--permissions", "0400"}, stdin: "other\nnames\n", want: client.UpdateSecretRequest{Permissions: "0400"}},
		{name: "from-file - with metadata reads stdin", args: []string{"s", "--from-file", "-", "--uid", "7"}, stdin: "v2", want: client.UpdateSecretRequest{Data: base64.StdEncoding.EncodeToString([]byte("v2")), UID: 7}},
		// A zero uid/gid is left out of the request: refuse rather than
		// report an update the daemon never made.
		{name: "uid 0 refused", args: []string{"s", "--uid", "0"}, wantErr: "--uid 0 cannot be set by an update"},
		{name: "gid 0 refused", args: []string{"s", "--from-literal", "v", "--gid", "0"}, wantErr: "--gid 0 cannot be set by an update"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *client.UpdateSecretRequest
			fake := &clienttest.Fake{
				PatchSecretFunc: func(ctx context.Context, name string, req client.UpdateSecretRequest) error {
					got = &req
					return nil
				},
			}
			f, s := cmdtest.NewFactory(fake, false)
			s.In.WriteString(tt.stdin)
			err := cmdtest.Run(NewCmdUpdate(f, nil), tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				if got != nil {
					t.Errorf("request sent despite the error")
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

func TestListRun(t *testing.T) {
	secrets := []client.Secret{{Name: "my-secret", Size: 11, Permissions: "0600"}, {Name: "tls", Size: 1675, Permissions: "0400", UID: 1000, GID: 1000}}
	for _, tt := range []struct {
		name, golden string
		args         []string
		tty          bool
	}{
		{"names", "list_names", nil, false},
		{"names tty", "list_names", nil, true},
		{"verbose", "list_verbose", []string{"-v"}, false},
		{"json", "list_json", []string{"--json"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake := &clienttest.Fake{ListSecretsFunc: func(ctx context.Context) ([]client.Secret, error) { return secrets, nil }}
			f, s := cmdtest.NewFactory(fake, tt.tty)
			if err := cmdtest.Run(NewCmdList(f, nil), tt.args...); err != nil {
				t.Fatal(err)
			}
			cmdtest.Golden(t, tt.golden, s.Out.Bytes())
		})
	}
}

func TestRemoveRun(t *testing.T) {
	var removed []string
	fake := &clienttest.Fake{DeleteSecretFunc: func(ctx context.Context, name string) error {
		removed = append(removed, name)
		if name == "missing" {
			return &client.APIError{StatusCode: 404, Message: "secret not found"}
		}
		return nil
	}}
	f, _ := cmdtest.NewFactory(fake, false)
	if err := cmdtest.Run(NewCmdRemove(f, nil), "a", "b"); err != nil {
		t.Fatal(err)
	}
	err := cmdtest.Run(NewCmdRemove(f, nil), "missing")
	if err == nil || !strings.Contains(err.Error(), "secret not found") {
		t.Fatalf("error = %v", err)
	}
	if strings.Join(removed, ",") != "a,b,missing" {
		t.Errorf("removed %v", removed)
	}
}
