package secret

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
)

// CreateOptions are the options of `secret create`.
type CreateOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)

	Name        string
	Value       valueFlags
	Permissions string
	UID         uint32
	GID         uint32
}

// NewCmdCreate returns `secret create`.
func NewCmdCreate(f *cmdutil.Factory, runF func(context.Context, *CreateOptions) error) *cobra.Command {
	opts := &CreateOptions{IO: f.IOStreams, Client: f.Client}
	var nameFlag string
	cmd := &cobra.Command{
		Use:   "create <name>",
		Short: "Create a secret",
		Long: `Create a secret. The value comes from stdin (piped), --from-file, or a
prompt without echo on a terminal; --from-literal works but leaves the value
in your shell history. It fails if the secret exists (see 'secret update').`,
		Example: `  printf '%s' "$TOKEN" | slicer secret create gh-token
  slicer secret create tls-key --from-file ./key.pem --permissions 0400 --uid 1000
  slicer secret create db-pass            # prompts`,
		Args:              cmdutil.RangeArgs(0, 1, "secret name"),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case len(args) == 1 && nameFlag != "" && nameFlag != args[0]:
				return cmdutil.FlagErrorf("the name is given twice (%q and --name %q)", args[0], nameFlag)
			case len(args) == 1:
				opts.Name = args[0]
			case nameFlag != "":
				opts.Name = nameFlag
			default:
				return cmdutil.FlagErrorf("missing secret name\n\nUsage: %s", cmd.UseLine())
			}
			if err := validateName(opts.Name); err != nil {
				return err
			}
			if err := validatePermissions(opts.Permissions); err != nil {
				return err
			}
			if err := opts.Value.validate(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return createRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&nameFlag, "name", "", "Secret name (same as the argument)")
	_ = cmd.Flags().MarkHidden("name")
	addValueFlags(cmd, &opts.Value)
	cmd.Flags().StringVar(&opts.Permissions, "permissions", "0600", "File mode in the VM (octal)")
	cmd.Flags().Uint32Var(&opts.UID, "uid", 0, "Owner uid of the file in the VM")
	cmd.Flags().Uint32Var(&opts.GID, "gid", 0, "Owner gid of the file in the VM")
	return cmd
}

func createRun(ctx context.Context, opts *CreateOptions) error {
	data, _, err := readValue(opts.IO, &opts.Value, opts.Name, true)
	if err != nil {
		return err
	}
	c, err := opts.Client()
	if err != nil {
		return err
	}
	err = c.CreateSecret(ctx, client.CreateSecretRequest{
		Name:        opts.Name,
		Data:        encode(data),
		Permissions: opts.Permissions,
		UID:         opts.UID,
		GID:         opts.GID,
	})
	if errors.Is(err, client.ErrSecretExists) {
		return fmt.Errorf("create secret %q: it already exists; change it with 'slicer secret update %s'", opts.Name, opts.Name)
	}
	if err != nil {
		return fmt.Errorf("create secret %q: %w", opts.Name, err)
	}
	fmt.Fprintf(opts.IO.ErrOut, "Secret %s created (%d bytes)\n", opts.Name, len(data))
	return nil
}
