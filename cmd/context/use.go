package contextcmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/config"
	"github.com/slicer-cli/slicer/pkg/iostreams"
)

// UseOptions are the options of `context use`.
type UseOptions struct {
	IO     *iostreams.IOStreams
	Config func() (*config.File, error)
	Name   string
	None   bool
}

// NewCmdUse returns `context use`.
func NewCmdUse(f *cmdutil.Factory, runF func(context.Context, *UseOptions) error) *cobra.Command {
	opts := &UseOptions{IO: f.IOStreams, Config: f.Config}
	cmd := &cobra.Command{
		Use:   "use <name>",
		Short: "Make a context the current one",
		Long:  "Make a context the current one. --none clears it, so slicer falls back to the local daemon and the defaults.",
		Example: `  slicer context use lab
  slicer context use --none`,
		Args:              cmdutil.RangeArgs(0, 1, "context name"),
		ValidArgsFunction: completeContexts(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Name = args[0]
			}
			if (opts.Name == "") == !opts.None {
				return cmdutil.FlagErrorf("give a context name or --none")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return useRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.None, "none", false, "Clear the current context")
	return cmd
}

func useRun(opts *UseOptions) error {
	file, err := opts.Config()
	if err != nil {
		return err
	}
	if opts.None {
		file.CurrentContext = ""
	} else {
		if _, ok := file.Find(opts.Name); !ok {
			return fmt.Errorf("context %q not found; see 'slicer context list'", opts.Name)
		}
		file.CurrentContext = opts.Name
	}
	if err := file.Save(); err != nil {
		return err
	}
	if opts.None {
		fmt.Fprintln(opts.IO.ErrOut, "No current context")
	} else {
		fmt.Fprintf(opts.IO.ErrOut, "Switched to context %s\n", opts.Name)
	}
	return nil
}
