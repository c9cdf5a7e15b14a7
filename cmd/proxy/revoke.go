package proxy

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
)

// RevokeOptions are the options of `proxy revoke`.
type RevokeOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)

	ClientName  string
	Hosts       []string
	Methods     []string
	Paths       []string
	Ports       []int
	Secret      string
	Passthrough bool
	// Exact is set when any rule-identity flag besides --host was given:
	// then exactly one rule is removed.
	Exact bool
}

// NewCmdRevoke returns `proxy revoke`.
func NewCmdRevoke(f *cmdutil.Factory, runF func(context.Context, *RevokeOptions) error) *cobra.Command {
	opts := &RevokeOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "revoke <client> --host <host>",
		Short: "Remove allow rules of a proxy client",
		Long: `With only --host, remove every rule of the client for that host. With the
same --method/--path/--port/--secret/--passthrough flags a rule was created
with, remove exactly that one rule.`,
		Example: `  slicer proxy revoke web-1 --host api.github.com
  slicer proxy revoke web-1 --host api.openai.com --secret openai --method POST --path '/v1/*'`,
		Args:              cmdutil.ExactArgs(1, "proxy client name"),
		ValidArgsFunction: cmdutil.CompleteProxyClients(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ClientName = args[0]
			if err := validateRuleFlags(opts.Hosts, opts.Methods, opts.Ports, opts.Secret, opts.Paths, opts.Passthrough); err != nil {
				return err
			}
			for _, name := range []string{"method", "path", "port", "secret", "passthrough"} {
				if cmd.Flags().Changed(name) {
					opts.Exact = true
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return revokeRun(cmd.Context(), opts)
		},
	}
	addRuleFlags(cmd, f, &opts.Hosts, &opts.Methods, &opts.Paths, &opts.Ports, &opts.Secret, &opts.Passthrough)
	return cmd
}

func revokeRun(ctx context.Context, opts *RevokeOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	for _, h := range opts.Hosts {
		if opts.Exact {
			err = c.RemoveProxyAllowByTuple(ctx, client.RemoveProxyAllowByTupleRequest{
				Client:      opts.ClientName,
				Host:        h,
				Secret:      opts.Secret,
				Methods:     upper(opts.Methods),
				Paths:       opts.Paths,
				Ports:       opts.Ports,
				Passthrough: opts.Passthrough,
			})
		} else {
			err = c.RemoveProxyAllow(ctx, opts.ClientName, h)
		}
		if err != nil {
			return fmt.Errorf("revoke %s for proxy client %q: %w", h, opts.ClientName, err)
		}
		what := "every rule"
		if opts.Exact {
			what = "the rule"
		}
		fmt.Fprintf(opts.IO.ErrOut, "Removed %s for %s from proxy client %s\n", what, h, opts.ClientName)
	}
	return nil
}
