// Package cp implements `slicer cp` (also `slicer vm cp`): copy files and
// directories between the host and a VM.
package cp

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	cmdfs "github.com/slicer-cli/slicer/cmd/fs"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
)

// Copy modes (the wire's `mode` parameter).
const (
	ModeBinary = "binary"
	ModeTar    = "tar"
)

// CpOptions are the inputs of `cp`.
type CpOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)

	Src, Dst       Location
	Recursive      bool
	Mode           string
	Excludes       []string
	UID, GID       uint32
	UIDSet, GIDSet bool
	Permissions    string
	NoIgnoreFile   bool
}

// NewCmdCp builds `cp`; the same constructor serves `slicer cp` and
// `slicer vm cp`.
func NewCmdCp(f *cmdutil.Factory, runF func(context.Context, *CpOptions) error) *cobra.Command {
	opts := &CpOptions{}
	cmd := &cobra.Command{
		Use:   "cp <src> <dst>",
		Short: "Copy files between the host and a VM",
		Long: `Copy a file or, with -r, a directory between the host and a VM. Exactly one
side is written VM:path; VM may be a hostname or a friendly name, and the path
may start with ~ (the VM user's home; "VM:" alone means ~).

Destinations follow cp -r: copying into an existing directory puts the source
inside it under its own name; a source ending in /. copies a directory's
contents instead; a missing destination is created with the source's
contents. A file copied to a path ending in / needs that directory to exist.

Host-to-VM directory copies skip what .slicerignore in the source directory
lists (gitignore syntax; negations are not supported) as well as every
--exclude pattern (** globs, e.g. '**/node_modules/**').

"-" as the source reads a tar stream from stdin and unpacks it in the VM; "-"
as the destination writes a tar stream of the VM path to stdout.

Copies are atomic on the host: a file is written under a temporary name and
renamed when complete, and a new directory appears only when the whole copy
succeeded, so an interrupted copy leaves no partial file. A progress meter is
shown on stderr when it is a terminal.`,
		Example: `  slicer cp ./app.tar.gz vm-1:/tmp/
  slicer cp vm-1:/etc/os-release .
  slicer cp -r ./project vm-1:~/project --exclude '**/node_modules/**'
  slicer cp -r vm-1:/var/log/app/. ./logs
  slicer cp --uid 0 --permissions 0755 ./tool vm-1:/usr/local/bin/tool
  tar -C src -cf - . | slicer cp - vm-1:/srv/site
  slicer cp vm-1:/srv/site - | tar -tvf -`,
		Args:              cmdutil.ExactArgs(2, "<src> and <dst>"),
		ValidArgsFunction: completeCp(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, dst, err := ParseArgs(args[0], args[1])
			if err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			opts.Src, opts.Dst = src, dst
			switch opts.Mode {
			case "", ModeBinary, ModeTar:
			default:
				return cmdutil.FlagErrorf("invalid --mode %q: use binary (one file) or tar (a directory)", opts.Mode)
			}
			if opts.Mode == ModeTar {
				opts.Recursive = true
			}
			if opts.Mode == ModeBinary && opts.Recursive {
				return cmdutil.FlagErrorf("--mode binary copies one file and cannot be combined with -r")
			}
			if opts.Permissions != "" {
				if err := cmdfs.ValidateMode(opts.Permissions); err != nil {
					return cmdutil.FlagErrorf("invalid --permissions: %v", err)
				}
				if opts.Recursive {
					return cmdutil.FlagErrorf("--permissions applies to single-file copies only, not -r")
				}
			}
			if len(opts.Excludes) > 0 && !opts.Recursive && !src.Stdio && !dst.Stdio {
				return cmdutil.FlagErrorf("--exclude applies to directory copies (-r) only")
			}
			opts.UIDSet = cmd.Flags().Changed("uid")
			opts.GIDSet = cmd.Flags().Changed("gid")
			opts.IO = f.IOStreams
			opts.Client = f.Client
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return cpRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&opts.Recursive, "recursive", "r", false, "Copy a directory (as a tar stream)")
	fl.StringVar(&opts.Mode, "mode", "", "Transfer mode: binary (one file) or tar (a directory; same as -r)")
	fl.StringArrayVar(&opts.Excludes, "exclude", nil, "Skip paths matching this glob (repeatable, ** allowed; directory copies)")
	fl.Uint32Var(&opts.UID, "uid", 0, "Owner user id in the VM (default: the VM's default user)")
	fl.Uint32Var(&opts.GID, "gid", 0, "Owner group id in the VM (default: matches --uid)")
	fl.StringVar(&opts.Permissions, "permissions", "", "Mode of the copied file in octal, e.g. 0755 (single files)")
	fl.BoolVar(&opts.NoIgnoreFile, "no-slicerignore", false, "Do not read .slicerignore from the source directory")
	_ = cmd.RegisterFlagCompletionFunc("mode", cmdutil.CompleteEnum(ModeBinary, ModeTar))
	return cmd
}

// completeCp completes VM names followed by ':' and, after "vm:", the
// VM's paths read with fs readdir; local paths are left to the shell.
func completeCp(f *cmdutil.Factory) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	names := cmdutil.CompleteVMPath(f)
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) >= 2 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		if loc, err := ParseLocation(toComplete); err == nil && loc.IsRemote() && strings.Contains(toComplete, ":") {
			partial := strings.SplitN(toComplete, ":", 2)[1]
			return cmdfs.RemotePathCandidates(f, loc.VM, partial, loc.VM+":"), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
		}
		return names(cmd, args, toComplete)
	}
}

func (o *CpOptions) owner() (uint32, uint32) {
	u, g := client.NonRootUser, client.NonRootUser
	if o.UIDSet {
		u, g = o.UID, o.UID
	}
	if o.GIDSet {
		g = o.GID
	}
	return u, g
}

func cpRun(ctx context.Context, opts *CpOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	remote := opts.Src
	if !remote.IsRemote() {
		remote = opts.Dst
	}
	vm, err := cmdutil.ResolveVM(ctx, c, remote.VM)
	if err != nil {
		return err
	}
	if opts.Src.IsRemote() {
		return cmdutil.GuestError(download(ctx, c, vm, opts), remote.VM)
	}
	return cmdutil.GuestError(upload(ctx, c, vm, opts), remote.VM)
}

func copyErr(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("%s: %w", what, err)
}
