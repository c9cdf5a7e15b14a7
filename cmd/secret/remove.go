package secret

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
)

// RemoveOptions are the options of `secret remove`.
type RemoveOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)

	Names []string
}

// NewCmdRemove returns `secret remove`.
func NewCmdRemove(f *cmdutil.Factory, runF func(context.Context, *RemoveOptions) error) *cobra.Command {
	opts := &RemoveOptions{IO: f.IOStreams, Client: f.Client}
	var nameFlag string
	cmd := &cobra.Command{
		Use:               "remove <name>...",
		Aliases:           []string{"rm", "delete"},
		Short:             "Remove secrets",
		Example:           "  slicer secret remove gh-token",
		ValidArgsFunction: cmdutil.CompleteSecretNames(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Names = args
			if nameFlag != "" {
				opts.Names = append(opts.Names, nameFlag)
			}
			if len(opts.Names) == 0 {
				return cmdutil.FlagErrorf("missing secret name\n\nUsage: %s", cmd.UseLine())
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return removeRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&nameFlag, "name", "", "Secret name (same as the argument)")
	_ = cmd.Flags().MarkHidden("name")
	return cmd
}

func removeRun(ctx context.Context, opts *RemoveOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	failed := 0
	for _, name := range opts.Names {
		if err := c.DeleteSecret(ctx, name); err != nil {
			err = fmt.Errorf("remove secret %q: %w", name, err)
			if len(opts.Names) == 1 {
				return err
			}
			fmt.Fprintln(opts.IO.ErrOut, err)
			failed++
			continue
		}
		fmt.Fprintf(opts.IO.ErrOut, "Secret %s removed\n", name)
	}
	if failed > 0 {
		return fmt.Errorf("could not remove %d of %d secrets", failed, len(opts.Names))
	}
	return nil
}
