// Package cmdtest has helpers for command tests: a Factory around a fake
// client and test streams, running a command line, and golden files.
package cmdtest

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/client/clienttest"
	"github.com/slicer-cli/slicer/pkg/iostreams"
)

var update = flag.Bool("update", false, "rewrite golden files")

// Streams are the buffers behind a test IOStreams.
type Streams struct {
	IO              *iostreams.IOStreams
	In, Out, ErrOut *bytes.Buffer
}

// NewFactory returns a Factory whose client is fake and whose streams are
// buffers. tty sets stdin/stdout/stderr TTY detection.
func NewFactory(fake *clienttest.Fake, tty bool) (*cmdutil.Factory, *Streams) {
	ios, in, out, errOut := iostreams.Test()
	ios.SetStdinTTY(tty)
	ios.SetStdoutTTY(tty)
	ios.SetStderrTTY(tty)
	env := map[string]string{"NO_COLOR": "1"}
	ios.Getenv = func(k string) string { return env[k] }
	f := &cmdutil.Factory{
		IOStreams:  ios,
		Client:     func() (client.Interface, error) { return fake, nil },
		AppVersion: "1.2.3",
		Now:        func() time.Time { return time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC) },
	}
	return f, &Streams{IO: ios, In: in, Out: out, ErrOut: errOut}
}

// Run executes cmd with args and returns its error.
func Run(cmd *cobra.Command, args ...string) error {
	if args == nil {
		args = []string{} // nil would make Cobra read os.Args
	}
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	cmd.SilenceErrors = true
	cmd.SilenceUsage = true
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cmdutil.FlagErrorWrap(err) })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := cmd.ExecuteContextC(ctx)
	return err
}

// Parse runs the command newCmd builds with f and args (as Run does) with a
// run function that only records the options it is handed, and returns
// them. With wantErr set it checks instead that the command line was
// refused with a usage error containing wantErr, and returns nil.
func Parse[O any](t testing.TB, f *cmdutil.Factory, newCmd func(*cmdutil.Factory, func(context.Context, *O) error) *cobra.Command, wantErr string, args ...string) *O {
	t.Helper()
	var got *O
	err := Run(newCmd(f, func(_ context.Context, o *O) error { got = o; return nil }), args...)
	if wantErr != "" {
		WantUsageError(t, err, wantErr)
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	if got == nil {
		t.Fatal("the command did not reach its run function")
	}
	return got
}

// WantUsageError fails t unless err is a usage error (cmdutil.FlagError,
// exit 2) whose text contains want.
func WantUsageError(t testing.TB, err error, want string) {
	t.Helper()
	var fe *cmdutil.FlagError
	if err == nil || !strings.Contains(err.Error(), want) || !errors.As(err, &fe) {
		t.Fatalf("error = %v, want usage error %q", err, want)
	}
}

// Golden compares got with testdata/<name>.golden (rewritten with -update).
func Golden(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run with -update if intended)\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}
