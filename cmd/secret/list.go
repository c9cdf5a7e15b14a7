package secret

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

// ListOptions are the options of `secret list`.
type ListOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)

	Verbose bool
	Output  output.Options
}

// NewCmdList returns `secret list`.
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List secrets (names and metadata, never values)",
		Example: `  slicer secret list
  slicer secret list -v
  slicer secret list --json`,
		Args:              cmdutil.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			if opts.Verbose && opts.Output.Format == output.Table {
				opts.Output.Format = output.Wide
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return listRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Verbose, "verbose", "v", false, "Show size, permissions and owner (same as -o wide)")
	output.AddFlags(cmd, &opts.Output)
	return cmd
}

func listRun(ctx context.Context, opts *ListOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	secrets, err := c.ListSecrets(ctx)
	if err != nil {
		return fmt.Errorf("list secrets: %w", err)
	}
	return opts.Output.Print(opts.IO, output.List(secrets,
		func(s client.Secret) string { return s.Name },
		[]output.Column{
			{Header: "NAME"},
			{Header: "SIZE", Wide: true},
			{Header: "PERMISSIONS", Wide: true},
			{Header: "UID", Wide: true},
			{Header: "GID", Wide: true},
		},
		func(s client.Secret) []string {
			return []string{s.Name, strconv.FormatInt(s.Size, 10), s.Permissions,
				strconv.FormatUint(uint64(s.UID), 10), strconv.FormatUint(uint64(s.GID), 10)}
		},
	))
}
