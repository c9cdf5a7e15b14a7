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
			return deleteRun(cmd.Context(), opts.IO, opts.Client, "client", opts.Name, client.Interface.DeleteProxyClient)
		},
	}
}

// deleteRun deletes the proxy <what> (client or secret) name with del and
// says so on stderr.
func deleteRun(ctx context.Context, ios *iostreams.IOStreams, newClient func() (client.Interface, error), what, name string, del func(client.Interface, context.Context, string) error) error {
	c, err := newClient()
	if err != nil {
		return err
	}
	if err := del(c, ctx, name); err != nil {
		return fmt.Errorf("delete proxy %s %q: %w", what, name, err)
	}
	fmt.Fprintf(ios.ErrOut, "Proxy %s %s deleted\n", what, name)
	return nil
}
