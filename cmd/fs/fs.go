// Package fs implements `slicer fs`: the guest filesystem API (list, stat,
// mkdir, remove, read, write, watch), each as `slicer fs <verb> <vm> <path>`.
package fs

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
	"github.com/slicer-cli/slicer/pkg/output"
)

// NewCmdFS builds the `fs` group.
func NewCmdFS(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fs <command>",
		Short: "Work with files inside a VM",
		Long:  "List, inspect, create, remove, read, write and watch files inside a VM.",
		Example: `  slicer fs ls vm-1 /etc
  slicer fs cat vm-1 /etc/os-release
  echo hello | slicer fs write vm-1 /tmp/hello.txt
  slicer fs watch vm-1 /tmp --one-shot --timeout 30s`,
	}
	cmd.AddCommand(
		NewCmdLs(f, nil),
		NewCmdStat(f, nil),
		NewCmdMkdir(f, nil),
		NewCmdRm(f, nil),
		NewCmdCat(f, nil),
		NewCmdWrite(f, nil),
		NewCmdWatch(f, nil),
	)
	return cmd
}

// PathOptions are the inputs shared by the single-path verbs.
type PathOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)
	Now    func() time.Time

	VM, Path string
	Output   output.Options
}

func bind(f *cmdutil.Factory, o *PathOptions, args []string) {
	o.VM, o.Path = args[0], args[1]
	o.IO = f.IOStreams
	o.Client = f.Client
	o.Now = f.NowFunc()
}

// CompleteRemotePath completes `<vm> <path>`: VM names first, then the
// entries of the directory being typed, read with fs readdir.
func CompleteRemotePath(f *cmdutil.Factory) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	vms := cmdutil.CompleteVMNames(f)
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) == 0 {
			return vms(cmd, args, toComplete)
		}
		if len(args) != 1 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return RemotePathCandidates(f, args[0], toComplete, ""), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
}

// RemotePathCandidates lists completions for a partial path inside vm,
// each prefixed with prefix (cp uses "vm:"). Directories end in "/".
func RemotePathCandidates(f *cmdutil.Factory, vm, partial, prefix string) []string {
	if f == nil || f.Client == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), cmdutil.CompletionTimeout)
	defer cancel()
	c, err := f.Client()
	if err != nil {
		return nil
	}
	dir, base := "", partial
	if i := strings.LastIndex(partial, "/"); i >= 0 {
		dir, base = partial[:i+1], partial[i+1:]
	}
	listDir := dir
	if listDir == "" {
		listDir = "~"
	}
	var out []string
	_ = cmdutil.WithVM(ctx, c, vm, func(host string) error {
		entries, err := c.ReadDir(ctx, host, listDir)
		for _, e := range entries {
			if !strings.HasPrefix(e.Name, base) {
				continue
			}
			s := prefix + dir + e.Name
			if e.Type == "directory" {
				s += "/"
			}
			out = append(out, s)
		}
		return err
	})
	return out
}

func infoTable(t *output.TableWriter, entries []client.SlicerFSInfo, tty bool) {
	t.SetColumns(
		output.Column{Header: "NAME"},
		output.Column{Header: "TYPE"},
		output.Column{Header: "SIZE"},
		output.Column{Header: "MODE"},
		output.Column{Header: "MODIFIED", Age: true},
	)
	for _, e := range entries {
		size := strconv.FormatInt(e.Size, 10)
		if tty {
			size = iostreams.FormatBytes(e.Size)
		}
		mtime := ""
		if !e.Mtime.IsZero() {
			mtime = e.Mtime.UTC().Format(time.RFC3339)
		}
		t.AddRow(e.Name, e.Type, size, e.Mode, mtime)
	}
}

func notFound(err error, vm, p string) error {
	if cmdutil.IsNotFound(err) {
		return fmt.Errorf("%s: no such file or directory in VM %q: %w", p, vm, err)
	}
	return err
}
