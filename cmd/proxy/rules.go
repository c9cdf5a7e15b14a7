package proxy

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
	"github.com/slicer-cli/slicer/pkg/output"
)

// RulesOptions are the options of `proxy rules`.
type RulesOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)

	ClientName string
	Output     output.Options
}

// NewCmdRules returns `proxy rules`.
func NewCmdRules(f *cmdutil.Factory, runF func(context.Context, *RulesOptions) error) *cobra.Command {
	opts := &RulesOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:               "rules <client>",
		Short:             "List a proxy client's allow rules in match order",
		Example:           "  slicer proxy rules web-1\n  slicer proxy rules web-1 --json",
		Args:              cmdutil.ExactArgs(1, "proxy client name"),
		ValidArgsFunction: cmdutil.CompleteProxyClients(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ClientName = args[0]
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return rulesRun(cmd.Context(), opts)
		},
	}
	output.AddFlags(cmd, &opts.Output, output.Table, output.Wide, output.JSON, output.YAML)
	return cmd
}

func rulesRun(ctx context.Context, opts *RulesOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	rules, err := c.ListProxyRules(ctx, opts.ClientName)
	if err != nil {
		return fmt.Errorf("list rules of proxy client %q: %w", opts.ClientName, err)
	}
	if rules == nil {
		rules = []client.ProxyAllowRule{}
	}
	return opts.Output.Print(opts.IO, output.Data{
		Value: rules,
		Table: func(t *output.TableWriter) {
			t.SetColumns(
				output.Column{Header: "HOST"},
				output.Column{Header: "METHODS"},
				output.Column{Header: "PATHS", Truncate: true},
				output.Column{Header: "PORTS"},
				output.Column{Header: "SECRET"},
				output.Column{Header: "PASSTHROUGH"},
				output.Column{Header: "EXPIRES", Age: true},
			)
			for _, r := range rules {
				t.AddRow(r.Host, joinOr(r.Methods, "*"), joinOr(r.Paths, "*"), joinPorts(r.Ports),
					orDash(r.Secret), strconv.FormatBool(r.Passthrough), output.FormatTime(r.Expires))
			}
		},
	})
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
