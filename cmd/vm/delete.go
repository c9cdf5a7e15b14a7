package vm

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
	"github.com/slicer-cli/slicer/pkg/output"
)

// DeleteOptions are the options of `vm delete`.
type DeleteOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)

	Args   []string
	Tag    string
	Yes    bool
	Output output.Options
}

// DeleteResult is one deleted VM in --json output.
type DeleteResult struct {
	Hostname  string `json:"hostname"`
	HostGroup string `json:"hostgroup"`
	*client.SlicerDeleteResponse
}

// NewCmdDelete returns `vm delete`.
func NewCmdDelete(f *cmdutil.Factory, runF func(context.Context, *DeleteOptions) error) *cobra.Command {
	opts := &DeleteOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:     "delete <vm>... [hostgroup]",
		Aliases: []string{"rm", "remove"},
		Short:   "Delete VMs",
		Long: `Delete one or more VMs (by hostname or friendly name), or every VM with a tag.

The vendor form 'delete VM GROUP' is accepted: a last argument that names
a host group is taken as the group of the VMs before it.

On a terminal slicer asks before deleting unless --yes is given; deleting by
--tag without a terminal needs --yes.`,
		Example: `  slicer vm delete sbox-1
  slicer vm delete sbox-1 sbox-2 --yes
  slicer vm delete sbox-1 sbox
  slicer vm delete --tag workflow=ci --yes`,
		ValidArgsFunction: cmdutil.CompleteVMNamesAt(f, -1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && opts.Tag == "" {
				return cmdutil.FlagErrorf("name the VMs to delete, or select them with --tag\n\nUsage: %s", cmd.UseLine())
			}
			if len(args) > 0 && opts.Tag != "" {
				return cmdutil.FlagErrorf("give VM names or --tag, not both")
			}
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			opts.Args = args
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return deleteRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Tag, "tag", "", "Delete every VM with this `key=value` tag")
	_ = cmd.RegisterFlagCompletionFunc("tag", cmdutil.CompleteFlagTags(f))
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "Do not ask for confirmation")
	output.AddFlags(cmd, &opts.Output, output.Table, output.JSON, output.YAML, output.Name)
	return cmd
}

type target struct{ host, group string }

func deleteRun(ctx context.Context, opts *DeleteOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	var targets []target
	if opts.Tag != "" {
		nodes, err := c.ListVMs(ctx, client.ListOptions{Tag: opts.Tag})
		if err != nil {
			return fmt.Errorf("list VMs tagged %q: %w", opts.Tag, err)
		}
		for _, n := range nodes {
			targets = append(targets, target{n.Hostname, n.HostGroup})
		}
		if len(targets) == 0 {
			fmt.Fprintf(opts.IO.ErrOut, "No VM has the tag %q\n", opts.Tag)
			return opts.Output.Print(opts.IO, output.Data{Value: []DeleteResult{}, Names: func() []string { return nil }, Human: func(io.Writer) error { return nil }})
		}
	} else {
		targets, err = resolveDeleteTargets(ctx, c, opts.Args)
		if err != nil {
			return err
		}
	}

	if !opts.Yes {
		names := make([]string, len(targets))
		for i, t := range targets {
			names[i] = t.host
		}
		if opts.IO.IsStdinTTY() && opts.IO.IsStderrTTY() {
			ok, err := confirm(opts.IO, fmt.Sprintf("Delete %d VM(s): %s? [y/N] ", len(names), strings.Join(names, ", ")))
			if err != nil {
				return err
			}
			if !ok {
				return cmdutil.ErrCancel
			}
		} else if opts.Tag != "" {
			return cmdutil.FlagErrorf("deleting by --tag would delete %d VM(s) (%s): add --yes to confirm", len(names), strings.Join(names, ", "))
		}
	}

	var results []DeleteResult
	var failed []string
	for _, t := range targets {
		resp, err := c.DeleteVM(ctx, t.group, t.host)
		if err != nil {
			if len(targets) == 1 {
				// One VM: its error is the error (with the 401/403
				// hint), and stdout stays empty.
				return fmt.Errorf("delete VM %q: %w", t.host, err)
			}
			fmt.Fprintf(opts.IO.ErrOut, "delete VM %q: %s\n", t.host, output.EscapeControl(err.Error()))
			failed = append(failed, t.host)
			continue
		}
		if resp == nil {
			resp = &client.SlicerDeleteResponse{}
		}
		results = append(results, DeleteResult{Hostname: t.host, HostGroup: t.group, SlicerDeleteResponse: resp})
		if !opts.Output.Structured() {
			disk := ""
			if resp.DiskRemoved == "true" {
				disk = " (disk removed)"
			}
			fmt.Fprintf(opts.IO.ErrOut, "VM %s deleted%s\n", t.host, disk)
		}
	}
	var value any = results
	if len(targets) == 1 && len(results) == 1 && opts.Tag == "" {
		value = results[0]
	}
	if results == nil {
		value = []DeleteResult{}
	}
	if err := opts.Output.Print(opts.IO, output.Data{
		Value: value,
		Names: func() []string {
			var out []string
			for _, r := range results {
				out = append(out, r.Hostname)
			}
			return out
		},
		Human: func(io.Writer) error { return nil },
	}); err != nil {
		return err
	}
	if len(failed) > 0 {
		return fmt.Errorf("could not delete %d of %d VM(s): %s", len(failed), len(targets), strings.Join(failed, ", "))
	}
	return nil
}

// resolveDeleteTargets maps arguments to (hostname, group): hostnames
// first, then friendly names; a last argument naming a host group is the
// vendor's "delete VM GROUP" form.
func resolveDeleteTargets(ctx context.Context, c client.Interface, args []string) ([]target, error) {
	nodes, err := c.ListVMs(ctx)
	if err != nil {
		return nil, fmt.Errorf("list VMs: %w", err)
	}
	byHost := map[string]client.SlicerNode{}
	byName := map[string][]client.SlicerNode{}
	for _, n := range nodes {
		byHost[n.Hostname] = n
		if name := friendlyName(n); name != "" {
			byName[name] = append(byName[name], n)
		}
	}
	group := ""
	if len(args) >= 2 {
		last := args[len(args)-1]
		if _, isVM := byHost[last]; !isVM && len(byName[last]) == 0 {
			groups, err := c.GetHostGroups(ctx)
			if err != nil {
				return nil, fmt.Errorf("list host groups: %w", err)
			}
			for _, g := range groups {
				if g.Name == last {
					group = last
					args = args[:len(args)-1]
					break
				}
			}
		}
	}
	var out []target
	seen := map[string]bool{}
	for _, a := range args {
		var n client.SlicerNode
		if hn, ok := byHost[a]; ok {
			n = hn
		} else if named := byName[a]; len(named) == 1 {
			n = named[0]
		} else if len(named) > 1 {
			hosts := make([]string, len(named))
			for i, m := range named {
				hosts[i] = m.Hostname
			}
			sort.Strings(hosts)
			return nil, fmt.Errorf("the name %q matches several VMs (%s); use a hostname", a, strings.Join(hosts, ", "))
		} else {
			return nil, &cmdutil.VMNotFoundError{Arg: a}
		}
		g := n.HostGroup
		if group != "" {
			if g != "" && g != group {
				return nil, fmt.Errorf("VM %q is in host group %q, not %q", n.Hostname, g, group)
			}
			g = group
		}
		if g == "" {
			return nil, fmt.Errorf("the daemon did not say which host group VM %q is in; give it: slicer vm delete %s GROUP", n.Hostname, n.Hostname)
		}
		if !seen[n.Hostname] {
			seen[n.Hostname] = true
			out = append(out, target{n.Hostname, g})
		}
	}
	return out, nil
}

// confirm asks a yes/no question on stderr and reads the answer from stdin.
func confirm(ios *iostreams.IOStreams, question string) (bool, error) {
	fmt.Fprint(ios.ErrOut, question)
	line, err := bufio.NewReader(ios.In).ReadString('\n')
	if err != nil && line == "" {
		if err == io.EOF {
			return false, nil
		}
		return false, err
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}
