package secret

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
)

// UpdateOptions are the options of `secret update`.
type UpdateOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)

	Name        string
	Value       valueFlags
	Permissions string
	UID         uint32
	GID         uint32
	SetUID      bool
	SetGID      bool
}

// NewCmdUpdate returns `secret update`.
func NewCmdUpdate(f *cmdutil.Factory, runF func(context.Context, *UpdateOptions) error) *cobra.Command {
	opts := &UpdateOptions{IO: f.IOStreams, Client: f.Client}
	var nameFlag string
	cmd := &cobra.Command{
		Use:   "update <name>",
		Short: "Change a secret's value or file metadata",
		Long: `Change a secret. Only what is given changes: a new value (from stdin,
--from-file or --from-literal), --permissions, --uid, --gid. With only
metadata flags the value is left as it is.`,
		Example: `  printf '%s' "$NEW" | slicer secret update gh-token
  slicer secret update tls-key --permissions 0440 --gid 1000`,
		Args:              cmdutil.RangeArgs(0, 1, "secret name"),
		ValidArgsFunction: cmdutil.CompleteSecretNames(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case len(args) == 1:
				opts.Name = args[0]
			case nameFlag != "":
				opts.Name = nameFlag
			default:
				return cmdutil.FlagErrorf("missing secret name\n\nUsage: %s", cmd.UseLine())
			}
			if err := validatePermissions(opts.Permissions); err != nil {
				return err
			}
			if err := opts.Value.validate(cmd); err != nil {
				return err
			}
			opts.SetUID = cmd.Flags().Changed("uid")
			opts.SetGID = cmd.Flags().Changed("gid")
			// The request leaves a zero uid/gid out (omitempty, as the
			// SDK's UpdateSecretRequest), so the daemon would keep the old
			// owner while we reported success.
			for _, id := range []struct {
				flag string
				set  bool
				v    uint32
			}{{"--uid", opts.SetUID, opts.UID}, {"--gid", opts.SetGID, opts.GID}} {
				if id.set && id.v == 0 {
					return cmdutil.FlagErrorf("%s 0 cannot be set by an update: the API leaves a zero %s out and keeps the current owner; to give the secret to root, remove it and create it again (owner root is the default)", id.flag, strings.TrimPrefix(id.flag, "--"))
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return updateRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&nameFlag, "name", "", "Secret name (same as the argument)")
	_ = cmd.Flags().MarkHidden("name")
	addValueFlags(cmd, &opts.Value)
	cmd.Flags().StringVar(&opts.Permissions, "permissions", "", "New file mode in the VM (octal)")
	cmd.Flags().Uint32Var(&opts.UID, "uid", 0, "New owner uid")
	cmd.Flags().Uint32Var(&opts.GID, "gid", 0, "New owner gid")
	return cmd
}

func updateRun(ctx context.Context, opts *UpdateOptions) error {
	metaOnly := opts.Permissions != "" || opts.SetUID || opts.SetGID
	// A new value is read when one was given (--from-literal, --from-file),
	// or from stdin/prompt when no metadata flag says this is a
	// metadata-only update. With metadata flags stdin is never read
	// implicitly: in `... | while read s; do slicer secret update "$s"
	// --permissions 0400; done` it holds the loop's input, not a value.
	var data []byte
	var hasValue bool
	if !metaOnly || opts.Value.given() {
		var err error
		data, hasValue, err = readValue(opts.IO, &opts.Value, opts.Name, true)
		if err != nil {
			return err
		}
	}
	if !hasValue && !metaOnly {
		return cmdutil.FlagErrorf("nothing to update: give a new value or --permissions/--uid/--gid")
	}
	c, err := opts.Client()
	if err != nil {
		return err
	}
	req := client.UpdateSecretRequest{Permissions: opts.Permissions}
	if hasValue {
		req.Data = encode(data)
	}
	if opts.SetUID {
		req.UID = opts.UID
	}
	if opts.SetGID {
		req.GID = opts.GID
	}
	if err := c.PatchSecret(ctx, opts.Name, req); err != nil {
		if cmdutil.IsNotFound(err) {
			return fmt.Errorf("update secret %q: no such secret (create it with 'slicer secret create %s'): %w", opts.Name, opts.Name, err)
		}
		return fmt.Errorf("update secret %q: %w", opts.Name, err)
	}
	fmt.Fprintf(opts.IO.ErrOut, "Secret %s updated\n", opts.Name)
	return nil
}
