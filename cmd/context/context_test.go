package contextcmd

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/cmd/cmdutil/cmdtest"
	"github.com/slicer-cli/slicer/pkg/client/clienttest"
	"github.com/slicer-cli/slicer/pkg/config"
)

func TestContextCommands(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "slicer", "config.yaml")
	tok := filepath.Join(dir, "tok")
	if err := os.WriteFile(tok, []byte("t0k\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, s := cmdtest.NewFactory(&clienttest.Fake{}, false)
	f.Config = func() (*config.File, error) { return config.Load(path) }
	f.Connection = func() (*config.Connection, error) {
		return &config.Connection{URL: "https://lab:8080", URLSource: "context lab", Token: "t0k", TokenSource: "context lab", Context: "lab"}, nil
	}
	run := func(args ...string) error {
		s.Out.Reset()
		s.ErrOut.Reset()
		return cmdtest.Run(NewCmdContext(f), args...)
	}

	if err := run("add", "lab", "--url", "https://lab:8080", "--token-file", tok, "--use"); err != nil {
		t.Fatal(err)
	}
	if err := run("add", "mac", "--url", "~/slicer-mac/slicer.sock"); err != nil {
		t.Fatal(err)
	}
	if err := run("add", "lab", "--url", "http://x:1"); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("re-add: %v", err)
	}
	if err := run("add", "bad", "--url", "ftp://x"); err == nil {
		t.Errorf("bad URL accepted")
	}
	if err := run("list"); err != nil {
		t.Fatal(err)
	}
	want := "NAME  CURRENT  URL                       TOKEN\n----  -------  ---                       -----\nlab   *        https://lab:8080          " + tok + "\nmac            ~/slicer-mac/slicer.sock  -\n"
	if s.Out.String() != want {
		t.Errorf("list =\n%q\nwant\n%q", s.Out, want)
	}
	if err := run("use", "mac"); err != nil {
		t.Fatal(err)
	}
	if err := run("use", "nope"); err == nil {
		t.Errorf("use of a missing context succeeded")
	}
	file, _ := config.Load(path)
	if file.CurrentContext != "mac" {
		t.Errorf("current = %q", file.CurrentContext)
	}
	if err := run("show"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.Out.String(), "https://lab:8080 (from context lab)") || strings.Contains(s.Out.String(), "t0k") {
		t.Errorf("show = %q", s.Out)
	}
	if err := run("show", "--json"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.Out.String(), `"has_token": true`) || strings.Contains(s.Out.String(), "t0k") {
		t.Errorf("show --json = %q", s.Out)
	}
	if err := run("remove", "mac"); err != nil {
		t.Fatal(err)
	}
	file, _ = config.Load(path)
	if file.CurrentContext != "" || len(file.Contexts) != 1 {
		t.Errorf("after remove: %+v", file)
	}
	if err := run("remove", "mac"); err == nil {
		t.Errorf("second remove succeeded")
	}
	if err := run("use"); err == nil {
		t.Errorf("use without a name succeeded")
	}
}

// `context add NAME --url U --token T` parses --token as the root's flag;
// the context would be saved without any token and fail later with 401.
func TestContextAddRefusesToken(t *testing.T) {
	path := filepath.Join(t.TempDir(), "slicer", "config.yaml")
	f, _ := cmdtest.NewFactory(&clienttest.Fake{}, false)
	f.Config = func() (*config.File, error) { return config.Load(path) }
	root := &cobra.Command{Use: "slicer"}
	root.PersistentFlags().String("token", "", "Bearer token")
	root.AddCommand(NewCmdContext(f))
	err := cmdtest.Run(root, "context", "add", "lab", "--url", "http://lab:8080", "--token", "t0k")
	var fe *cmdutil.FlagError
	if err == nil || !errors.As(err, &fe) || !strings.Contains(err.Error(), "--token-file") {
		t.Fatalf("error = %v, want a usage error naming --token-file", err)
	}
	if _, statErr := os.Stat(path); !os.IsNotExist(statErr) {
		t.Errorf("config file written despite the error: %v", statErr)
	}
}
