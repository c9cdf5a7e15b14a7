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
	return opts.Output.Print(opts.IO, output.List(secrets,
		func(s client.ProxySecret) string { return s.Name },
		[]output.Column{
			{Header: "NAME"},
			{Header: "HOST", Truncate: true},
			{Header: "TYPE"},
			{Header: "CREATED", Age: true},
			{Header: "UPDATED", Wide: true, Age: true},
			{Header: "REFRESHED", Wide: true, Age: true},
		},
		func(s client.ProxySecret) []string {
			typ := s.Type
			if typ == "" {
				typ = client.SecretTypeBearer
			}
			return []string{s.Name, s.Host, typ, output.FormatTime(s.CreatedAt), output.FormatTime(s.UpdatedAt), output.FormatTime(s.RefreshedAt)}
		},
	))
}
