package info

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/slicer-cli/slicer/cmd/cmdutil/cmdtest"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/client/clienttest"
)

func TestInfoRun(t *testing.T) {
	fake := &clienttest.Fake{
		BaseURLFunc: func() string { return "/run/slicer.sock" },
		GetInfoFunc: func(ctx context.Context) (*client.SlicerInfo, error) {
			return &client.SlicerInfo{Version: "0.1.71", GitCommit: "abc", Platform: "linux", Arch: "amd64"}, nil
		},
	}
	f, s := cmdtest.NewFactory(fake, false)
	if err := cmdtest.Run(NewCmdInfo(f, nil)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Version:  1.2.3", "URL:      /run/slicer.sock", "Version:  0.1.71", "Commit:   abc"} {
		if !strings.Contains(s.Out.String(), want) {
			t.Errorf("info lacks %q:\n%s", want, s.Out)
		}
	}
	s.Out.Reset()
	if err := cmdtest.Run(NewCmdInfo(f, nil), "--json"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.Out.String(), `"git_commit": "abc"`) {
		t.Errorf("json = %s", s.Out)
	}
	fake.GetInfoFunc = func(ctx context.Context) (*client.SlicerInfo, error) {
		return nil, &client.APIError{StatusCode: 500, Message: "down"}
	}
	if err := cmdtest.Run(NewCmdInfo(f, nil)); err == nil || !strings.Contains(err.Error(), "down") {
		t.Errorf("error = %v", err)
	}
}

func TestVersion(t *testing.T) {
	f, s := cmdtest.NewFactory(&clienttest.Fake{}, false)
	if err := cmdtest.Run(NewCmdVersion(f)); err != nil {
		t.Fatal(err)
	}
	if s.Out.String() != "slicer version 1.2.3 "+runtime.GOOS+"/"+runtime.GOARCH+"\n" {
		t.Errorf("version = %q", s.Out)
	}
}
