package proxy

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/config"
	"github.com/slicer-cli/slicer/pkg/iostreams"
	"github.com/slicer-cli/slicer/pkg/output"
)

// ClientCreateOptions are the options of `proxy client create`.
type ClientCreateOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)

	Name      string
	TokenFile string
	Output    output.Options
}

// NewCmdClientCreate returns `proxy client create`.
func NewCmdClientCreate(f *cmdutil.Factory, runF func(context.Context, *ClientCreateOptions) error) *cobra.Command {
	opts := &ClientCreateOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "create <name>",
		Short: "Create a proxy client and print its token",
		Long: `Create a proxy client. Its token is printed bare on stdout, once, and is
never shown again; everything else goes to stderr, so

  PROXY_TOKEN=$(slicer proxy client create web-1)

captures exactly the token. --token-file brings your own token instead of a
daemon-minted one.`,
		Example: `  PROXY_TOKEN=$(slicer proxy client create web-1)
  slicer proxy client create ci --json`,
		Args:              cmdutil.ExactArgs(1, "client name"),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return clientCreateRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.TokenFile, "set-token-file", "", "Use the token in `file` instead of minting one")
	output.AddFlags(cmd, &opts.Output, output.Table, output.JSON, output.YAML)
	return cmd
}

func clientCreateRun(ctx context.Context, opts *ClientCreateOptions) error {
	setToken := ""
	if opts.TokenFile != "" {
		tok, warn, err := config.ReadTokenFile(opts.TokenFile, opts.IO.Getenv)
		if err != nil {
			return err
		}
		if warn != "" {
			fmt.Fprintf(opts.IO.ErrOut, "warning: %s\n", warn)
		}
		setToken = tok
	}
	c, err := opts.Client()
	if err != nil {
		return err
	}
	created, err := c.CreateProxyClient(ctx, opts.Name, setToken)
	if err != nil {
		return fmt.Errorf("create proxy client %q: %w", opts.Name, err)
	}
	if opts.Output.Structured() {
		return opts.Output.Print(opts.IO, output.Data{Value: created})
	}
	// The bare token on stdout is the contract; the note goes to stderr.
	if _, err := fmt.Fprintln(opts.IO.Out, created.Token); err != nil {
		return err
	}
	if opts.IO.IsStderrTTY() {
		fmt.Fprintf(opts.IO.ErrOut, "Proxy client %s created; the token above is shown only once.\n", created.Name)
	}
	return nil
}
