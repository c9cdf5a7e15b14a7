package proxy

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
)

// SecretDeleteOptions are the options of `proxy secret delete`.
type SecretDeleteOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)
	Name   string
}

// NewCmdSecretDelete returns `proxy secret delete`.
func NewCmdSecretDelete(f *cmdutil.Factory, runF func(context.Context, *SecretDeleteOptions) error) *cobra.Command {
	opts := &SecretDeleteOptions{IO: f.IOStreams, Client: f.Client}
	return &cobra.Command{
		Use:               "delete <name>",
		Aliases:           []string{"rm", "remove"},
		Short:             "Delete a proxy secret",
		Long:              "Delete a proxy secret. Rules that name it stop matching until it is created again.",
		Example:           "  slicer proxy secret delete gh",
		Args:              cmdutil.ExactArgs(1, "secret name"),
		ValidArgsFunction: cmdutil.CompleteProxySecrets(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return deleteRun(cmd.Context(), opts.IO, opts.Client, "secret", opts.Name, client.Interface.DeleteProxySecret)
		},
	}
}
