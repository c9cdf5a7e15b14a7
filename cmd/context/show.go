package contextcmd

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/config"
	"github.com/slicer-cli/slicer/pkg/iostreams"
	"github.com/slicer-cli/slicer/pkg/output"
)

// ShowOptions are the options of `context show`.
type ShowOptions struct {
	IO         *iostreams.IOStreams
	Connection func() (*config.Connection, error)
	Output     output.Options
}

// Effective is what `context show` prints: where the connection settings
// come from. The token itself is never shown.
type Effective struct {
	Context     string `json:"context,omitempty"`
	URL         string `json:"url"`
	URLSource   string `json:"url_source"`
	TokenSource string `json:"token_source,omitempty"`
	HasToken    bool   `json:"has_token"`
	Insecure    bool   `json:"insecure,omitempty"`
}

// NewCmdShow returns `context show`.
func NewCmdShow(f *cmdutil.Factory, runF func(context.Context, *ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: f.IOStreams, Connection: f.Connection}
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Show which daemon and credentials commands would use",
		Long: `Show the connection the other commands would use, after flags, environment,
contexts and defaults are applied, and where each setting came from.
The token is never printed.`,
		Example: `  slicer context show
  slicer --context lab context show --json`,
		Args:              cmdutil.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return showRun(opts)
		},
	}
	output.AddFlags(cmd, &opts.Output, output.Table, output.JSON, output.YAML)
	return cmd
}

func showRun(opts *ShowOptions) error {
	if opts.Connection == nil {
		return fmt.Errorf("no connection settings available")
	}
	conn, err := opts.Connection()
	if err != nil {
		return err
	}
	e := Effective{
		Context: conn.Context, URL: conn.URL, URLSource: conn.URLSource,
		TokenSource: conn.TokenSource, HasToken: conn.Token != "", Insecure: conn.Insecure,
	}
	return opts.Output.Print(opts.IO, output.Data{
		Value: e,
		Human: func(w io.Writer) error {
			ctxName := e.Context
			if ctxName == "" {
				ctxName = "(none)"
			}
			tok := "none"
			if e.HasToken {
				tok = "from " + e.TokenSource
			}
			_, err := fmt.Fprintf(w, "Context:  %s\nURL:      %s (from %s)\nToken:    %s\n", ctxName, e.URL, e.URLSource, tok)
			if err == nil && e.Insecure {
				_, err = fmt.Fprintln(w, "TLS:      not verified (--insecure)")
			}
			return err
		},
	})
}
