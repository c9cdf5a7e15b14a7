// Package local holds `slicer local`: the embedded Slicer-compatible daemon
// that runs each VM as a bubblewrap sandbox (package localdaemon).
package local

import (
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/config"
)

// NewCmdLocal returns the `slicer local` command group.
func NewCmdLocal(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "local <command>",
		Short: "Run a local Slicer-compatible daemon with sandboxed VMs",
		Long: `slicer local runs an embedded daemon that speaks the Slicer REST API and runs
each VM as a bubblewrap sandbox on this machine: no KVM and no images needed.

The daemon always listens on the unix socket <state>/slicer.sock (mode 0600, no
token). With --listen HOST:PORT it also listens on TCP, which requires the bearer
token it writes to <state>/token (mode 0600). When no --url, SLICER_URL or
context names a daemon, the other slicer commands use this socket.

The state directory (default $XDG_STATE_HOME/slicer/local, i.e.
~/.local/state/slicer/local) keeps VMs, secrets and proxy state: persistent VMs
and their files come back when the daemon restarts.

The egress proxy's admin API is served; the proxy's data plane (the CONNECT
listener) is not part of slicer local.`,
		Example: `  # run the daemon in the foreground (Ctrl-C stops it)
  slicer local up

  # run it in the background, also on TCP
  slicer local up -d --listen 127.0.0.1:8080
  slicer local status
  slicer local down`,
	}
	cmd.AddCommand(NewCmdUp(f, nil))
	cmd.AddCommand(NewCmdDown(f, nil))
	cmd.AddCommand(NewCmdStatus(f, nil))
	return cmd
}

// defaultStateDir is $XDG_STATE_HOME/slicer/local.
func defaultStateDir(f *cmdutil.Factory) string {
	getenv := os.Getenv
	if f != nil && f.IOStreams != nil && f.IOStreams.Getenv != nil {
		getenv = f.IOStreams.Getenv
	}
	return config.LocalStateDir(getenv)
}

func addStateFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVar(p, "state", "", "state directory (default $XDG_STATE_HOME/slicer/local)")
	_ = cmd.MarkFlagDirname("state")
}

func absState(f *cmdutil.Factory, s string) (string, error) {
	if s == "" {
		s = defaultStateDir(f)
	}
	return filepath.Abs(s)
}
