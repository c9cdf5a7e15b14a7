package vm

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
	"github.com/slicer-cli/slicer/pkg/output"
)

// ListOptions are the options of `vm list`.
type ListOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)

	HostGroup string
	Tag       string
	TagPrefix string
	Watch     bool
	Interval  time.Duration
	Output    output.Options
}

// NewCmdList returns `vm list` (aliases ls, l).
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:     "list [hostgroup]",
		Aliases: []string{"ls", "l"},
		Short:   "List VMs",
		Long: `List VMs, optionally only those of one host group or with a tag.

The table has two header lines and the hostname in column 1, so scripts
can use awk 'NR>2 {print $1}'. --json prints the daemon's node objects.`,
		Example: `  slicer vm list
  slicer vm list sbox
  slicer vm list --tag workflow=ci --json | jq -r '.[].hostname'
  slicer vm list -o name`,
		Args:              cmdutil.RangeArgs(0, 1, "host group"),
		ValidArgsFunction: cmdutil.CompleteHostGroups(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.HostGroup = args[0]
			}
			if err := cmdutil.MutuallyExclusive("--tag and --tag-prefix cannot be combined", opts.Tag != "", opts.TagPrefix != ""); err != nil {
				return err
			}
			if opts.Interval <= 0 {
				return cmdutil.FlagErrorf("--interval must be positive")
			}
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return listRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Tag, "tag", "", "Only VMs with this exact `key=value` tag")
	cmd.Flags().StringVar(&opts.TagPrefix, "tag-prefix", "", "Only VMs with a tag starting with this `prefix`")
	_ = cmd.RegisterFlagCompletionFunc("tag", cmdutil.CompleteFlagTags(f))
	_ = cmd.RegisterFlagCompletionFunc("tag-prefix", cmdutil.CompleteFlagTags(f))
	cmd.Flags().BoolVarP(&opts.Watch, "watch", "w", false, "Refresh the list until interrupted")
	cmd.Flags().DurationVar(&opts.Interval, "interval", 2*time.Second, "Refresh interval for --watch")
	output.AddFlags(cmd, &opts.Output)
	return cmd
}

func listRun(ctx context.Context, opts *ListOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	if !opts.Watch {
		nodes, err := fetchNodes(ctx, c, opts)
		if err != nil {
			return err
		}
		return printNodes(opts.IO, &opts.Output, nodes)
	}
	tty := opts.IO.IsStdoutTTY()
	first := true
	for {
		nodes, err := fetchNodes(ctx, c, opts)
		if err != nil {
			return err
		}
		switch {
		case tty:
			io.WriteString(opts.IO.Out, "\x1b[H\x1b[2J")
		case !first:
			io.WriteString(opts.IO.Out, "\n")
		}
		first = false
		if err := printNodes(opts.IO, &opts.Output, nodes); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(opts.Interval):
		}
	}
}

func fetchNodes(ctx context.Context, c client.Interface, opts *ListOptions) ([]client.SlicerNode, error) {
	var filter []client.ListOptions
	if opts.Tag != "" || opts.TagPrefix != "" {
		filter = append(filter, client.ListOptions{Tag: opts.Tag, TagPrefix: opts.TagPrefix})
	}
	var nodes []client.SlicerNode
	var err error
	if opts.HostGroup != "" {
		nodes, err = c.GetHostGroupNodes(ctx, opts.HostGroup, filter...)
		if err != nil {
			return nil, fmt.Errorf("list VMs of host group %q: %w", opts.HostGroup, err)
		}
	} else {
		nodes, err = c.ListVMs(ctx, filter...)
		if err != nil {
			return nil, fmt.Errorf("list VMs: %w", err)
		}
	}
	if nodes == nil {
		nodes = []client.SlicerNode{}
	}
	return nodes, nil
}

func printNodes(ios *iostreams.IOStreams, o *output.Options, nodes []client.SlicerNode) error {
	return o.Print(ios, output.List(nodes,
		func(n client.SlicerNode) string { return n.Hostname },
		[]output.Column{
			{Header: "HOSTNAME"},
			{Header: "IP"},
			{Header: "RAM"},
			{Header: "CPUS"},
			{Header: "STATUS", Color: output.StatusColor},
			{Header: "CREATED", Age: true},
			{Header: "NAME", Truncate: true},
			{Header: "TAGS", Truncate: true},
			{Header: "GROUP", Wide: true},
			{Header: "ARCH", Wide: true},
			{Header: "PERSISTENT", Wide: true},
		},
		func(n client.SlicerNode) []string {
			return []string{
				n.Hostname,
				orDash(n.IP),
				formatRAM(n.RamBytes),
				strconv.Itoa(n.CPUs),
				orDash(n.Status),
				output.FormatTime(n.CreatedAt),
				friendlyName(n),
				strings.Join(userTags(n.Tags), ","),
				orDash(n.HostGroup),
				orDash(n.Arch),
				strconv.FormatBool(n.Persistent),
			}
		},
	))
}
