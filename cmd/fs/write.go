package fs

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
)

// WriteOptions are the inputs of `fs write`.
type WriteOptions struct {
	PathOptions
	UID, GID       uint32
	UIDSet, GIDSet bool
	Permissions    string
}

// NewCmdWrite builds `fs write`.
func NewCmdWrite(f *cmdutil.Factory, runF func(context.Context, *WriteOptions) error) *cobra.Command {
	opts := &WriteOptions{}
	cmd := &cobra.Command{
		Use:   "write <vm> <path>",
		Short: "Write stdin to a file in a VM",
		Long: `Stream stdin into a file in a VM, creating or replacing it. Without --uid the
VM's default user owns the file.`,
		Example: `  echo "hello" | slicer fs write vm-1 /tmp/hello.txt
  slicer fs write vm-1 ~/bin/tool --permissions 0755 < ./tool`,
		Args:              cmdutil.ExactArgs(2, "<vm> and <path>"),
		ValidArgsFunction: CompleteRemotePath(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Permissions != "" {
				if err := ValidateMode(opts.Permissions); err != nil {
					return cmdutil.FlagErrorf("invalid --permissions: %v", err)
				}
			}
			opts.UIDSet = cmd.Flags().Changed("uid")
			opts.GIDSet = cmd.Flags().Changed("gid")
			bind(f, &opts.PathOptions, args)
			if f.IOStreams.IsStdinTTY() {
				return cmdutil.FlagErrorf("fs write reads the file from stdin: redirect or pipe it (slicer fs write %s %s < FILE)", opts.VM, opts.Path)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return cmdutil.GuestError(writeRun(cmd.Context(), opts), opts.VM)
		},
	}
	cmd.Flags().Uint32Var(&opts.UID, "uid", 0, "Owner user id (default: the VM's default user)")
	cmd.Flags().Uint32Var(&opts.GID, "gid", 0, "Owner group id (default: matches --uid)")
	cmd.Flags().StringVar(&opts.Permissions, "permissions", "", "File mode in octal, e.g. 0644")
	return cmd
}

// owner applies the uid/gid defaults: unset means the VM's default user
// (NonRootUser on the wire), a uid alone sets the gid too.
func owner(uid, gid uint32, uidSet, gidSet bool) (uint32, uint32) {
	u, g := client.NonRootUser, client.NonRootUser
	if uidSet {
		u, g = uid, uid
	}
	if gidSet {
		g = gid
	}
	return u, g
}

func writeRun(ctx context.Context, opts *WriteOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	vm, err := cmdutil.ResolveVM(ctx, c, opts.VM)
	if err != nil {
		return err
	}
	uid, gid := owner(opts.UID, opts.GID, opts.UIDSet, opts.GIDSet)
	if err := c.WriteFileFrom(ctx, vm, opts.Path, opts.IO.In, uid, gid, opts.Permissions); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("write %s in VM %q: %w", opts.Path, vm, err)
	}
	return nil
}
