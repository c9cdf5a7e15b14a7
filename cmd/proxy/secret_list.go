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

// SecretListOptions are the options of `proxy secret list`.
type SecretListOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)
	Output output.Options
}

// NewCmdSecretList returns `proxy secret list`.
func NewCmdSecretList(f *cmdutil.Factory, runF func(context.Context, *SecretListOptions) error) *cobra.Command {
	opts := &SecretListOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:               "list",
		Aliases:           []string{"ls"},
		Short:             "List proxy secrets (never their values)",
		Example:           "  slicer proxy secret list",
		Args:              cmdutil.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return secretListRun(cmd.Context(), opts)
		},
	}
	output.AddFlags(cmd, &opts.Output)
	return cmd
}

func secretListRun(ctx context.Context, opts *SecretListOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	secrets, err := c.ListProxySecrets(ctx)
	if err != nil {
		return fmt.Errorf("list proxy secrets: %w", err)
	}
	if secrets == nil {
		secrets = []client.ProxySecret{}
	}
	return opts.Output.Print(opts.IO, output.Data{
		Value: secrets,
		Names: func() []string {
			out := make([]string, len(secrets))
			for i, s := range secrets {
				out[i] = s.Name
			}
			return out
		},
		Table: func(t *output.TableWriter) {
			t.SetColumns(
				output.Column{Header: "NAME"},
				output.Column{Header: "HOST"},
				output.Column{Header: "TYPE"},
				output.Column{Header: "CREATED"},
				output.Column{Header: "UPDATED", Wide: true},
				output.Column{Header: "REFRESHED", Wide: true},
			)
			for _, s := range secrets {
				typ := s.Type
				if typ == "" {
					typ = client.SecretTypeBearer
				}
				t.AddRow(s.Name, s.Host, typ, formatTime(s.CreatedAt), formatTime(s.UpdatedAt), formatTime(s.RefreshedAt))
			}
		},
	})
}
