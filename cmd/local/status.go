package local

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/iostreams"
	"github.com/slicer-cli/slicer/pkg/localdaemon"
)

// StatusOptions are the options of `slicer local status`.
type StatusOptions struct {
	IO       *iostreams.IOStreams
	StateDir string
	JSON     bool
}

// NewCmdStatus returns `slicer local status`.
func NewCmdStatus(f *cmdutil.Factory, runF func(context.Context, *StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show whether the local daemon runs, and where it listens",
		Long: `Print the local daemon's unix socket, TCP address and state directory.
The exit status is 0 when the daemon is running and 1 when it is not.`,
		Example: `  slicer local status
  slicer local status --json | jq -r .socket`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opts.StateDir, err = absState(f, opts.StateDir); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return statusRun(cmd.Context(), opts)
		},
	}
	addStateFlag(cmd, &opts.StateDir)
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the status as JSON")
	return cmd
}

func statusRun(ctx context.Context, opts *StatusOptions) error {
	st, err := localdaemon.ReadStatus(opts.StateDir)
	if err != nil {
		return err
	}
	if opts.JSON {
		b, err := json.MarshalIndent(st, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintln(opts.IO.Out, string(b))
	} else {
		status := "not running"
		if st.Running {
			status = "running"
			if st.PID > 0 {
				status = fmt.Sprintf("running (pid %d)", st.PID)
			}
		}
		tcp := "-"
		if st.TCPAddr != "" {
			tcp = fmt.Sprintf("http://%s (token in %s)", st.TCPAddr, filepath.Join(st.StateDir, localdaemon.TokenName))
		}
		fmt.Fprintf(opts.IO.Out, "Status:      %s\n", status)
		fmt.Fprintf(opts.IO.Out, "Socket:      %s\n", st.Socket)
		fmt.Fprintf(opts.IO.Out, "TCP:         %s\n", tcp)
		fmt.Fprintf(opts.IO.Out, "State dir:   %s\n", st.StateDir)
	}
	if !st.Running {
		return cmdutil.ExitCodeError{Code: 1}
	}
	return nil
}
