package proxy

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
)

// ClientDeleteOptions are the options of `proxy client delete`.
type ClientDeleteOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)
	Name   string
}

// NewCmdClientDelete returns `proxy client delete`.
func NewCmdClientDelete(f *cmdutil.Factory, runF func(context.Context, *ClientDeleteOptions) error) *cobra.Command {
	opts := &ClientDeleteOptions{IO: f.IOStreams, Client: f.Client}
	return &cobra.Command{
		Use:               "delete <name>",
		Aliases:           []string{"rm", "remove"},
		Short:             "Delete a proxy client, revoking its token and rules",
		Example:           "  slicer proxy client delete web-1",
		Args:              cmdutil.ExactArgs(1, "client name"),
		ValidArgsFunction: cmdutil.CompleteProxyClients(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			c, err := opts.Client()
			if err != nil {
				return err
			}
			if err := c.DeleteProxyClient(cmd.Context(), opts.Name); err != nil {
				return fmt.Errorf("delete proxy client %q: %w", opts.Name, err)
			}
			fmt.Fprintf(opts.IO.ErrOut, "Proxy client %s deleted\n", opts.Name)
			return nil
		},
	}
}
