package proxy

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
	"github.com/slicer-cli/slicer/pkg/output"
)

// ClientListOptions are the options of `proxy client list`.
type ClientListOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)
	Output output.Options
}

// NewCmdClientList returns `proxy client list`.
func NewCmdClientList(f *cmdutil.Factory, runF func(context.Context, *ClientListOptions) error) *cobra.Command {
	opts := &ClientListOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:               "list",
		Aliases:           []string{"ls"},
		Short:             "List proxy clients (never their tokens)",
		Example:           "  slicer proxy client list\n  slicer proxy client list -o name",
		Args:              cmdutil.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return clientListRun(cmd.Context(), opts)
		},
	}
	output.AddFlags(cmd, &opts.Output)
	return cmd
}

func clientListRun(ctx context.Context, opts *ClientListOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	clients, err := c.ListProxyClients(ctx)
	if err != nil {
		return fmt.Errorf("list proxy clients: %w", err)
	}
	return opts.Output.Print(opts.IO, output.List(clients,
		func(pc client.ProxyClient) string { return pc.Name },
		[]output.Column{{Header: "NAME"}, {Header: "CREATED", Age: true}},
		func(pc client.ProxyClient) []string { return []string{pc.Name, output.FormatTime(pc.CreatedAt)} },
	))
}
