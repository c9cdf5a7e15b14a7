package contextcmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/config"
	"github.com/slicer-cli/slicer/pkg/iostreams"
)

// RemoveOptions are the options of `context remove`.
type RemoveOptions struct {
	IO     *iostreams.IOStreams
	Config func() (*config.File, error)
	Name   string
}

// NewCmdRemove returns `context remove`.
func NewCmdRemove(f *cmdutil.Factory, runF func(context.Context, *RemoveOptions) error) *cobra.Command {
	opts := &RemoveOptions{IO: f.IOStreams, Config: f.Config}
	return &cobra.Command{
		Use:               "remove <name>",
		Aliases:           []string{"rm", "delete"},
		Short:             "Remove a context",
		Example:           "  slicer context remove lab",
		Args:              cmdutil.ExactArgs(1, "context name"),
		ValidArgsFunction: completeContexts(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			file, err := opts.Config()
			if err != nil {
				return err
			}
			if !file.Remove(opts.Name) {
				return fmt.Errorf("context %q not found; see 'slicer context list'", opts.Name)
			}
			if err := file.Save(); err != nil {
				return err
			}
			fmt.Fprintf(opts.IO.ErrOut, "Context %s removed\n", opts.Name)
			return nil
		},
	}
}
