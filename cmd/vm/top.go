package vm

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
	"github.com/slicer-cli/slicer/pkg/output"
)

// TopOptions are the options of `vm top`.
type TopOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)

	VM       string
	Interval time.Duration
	Once     bool
	Output   output.Options
}

// NewCmdTop returns `vm top`.
func NewCmdTop(f *cmdutil.Factory, runF func(context.Context, *TopOptions) error) *cobra.Command {
	opts := &TopOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "top [vm]",
		Short: "Show live VM metrics",
		Long: `Show CPU, load, memory, disk and network figures of all VMs or one.

On a terminal the table refreshes every --interval until interrupted (rates
such as NET_RX/s appear from the second sample); piped, or with --once, one
snapshot is printed. Paused VMs show '-'.`,
		Example: `  slicer vm top
  slicer vm top sbox-1 --once
  slicer vm top --json`,
		Args:              cmdutil.RangeArgs(0, 1, "VM name"),
		ValidArgsFunction: cmdutil.CompleteVMNames(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.VM = args[0]
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
			return topRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().DurationVar(&opts.Interval, "interval", 2*time.Second, "Refresh interval")
	cmd.Flags().BoolVar(&opts.Once, "once", false, "Print one snapshot and exit")
	output.AddFlags(cmd, &opts.Output, output.Table, output.JSON, output.YAML)
	return cmd
}

type sample struct {
	at  time.Time
	snp client.SlicerSnapshot
}

func topRun(ctx context.Context, opts *TopOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	host := opts.VM
	fetch := func() ([]client.SlicerNodeStat, error) {
		var stats []client.SlicerNodeStat
		if host == "" {
			stats, err = c.GetVMStats(ctx, "")
			return stats, err
		}
		err := cmdutil.WithVM(ctx, c, host, func(vm string) error {
			var err error
			stats, err = c.GetVMStats(ctx, vm)
			if err == nil {
				host = vm
			}
			return err
		})
		return stats, err
	}
	refresh := opts.IO.IsStdoutTTY() && !opts.Once && !opts.Output.Structured()
	prev := map[string]sample{}
	for {
		stats, err := fetch()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("VM stats: %w", err)
		}
		if stats == nil {
			stats = []client.SlicerNodeStat{}
		}
		now := time.Now()
		if refresh {
			io.WriteString(opts.IO.Out, "\x1b[H\x1b[2J")
		}
		if err := opts.Output.Print(opts.IO, output.Data{
			Value: stats,
			Table: func(t *output.TableWriter) { topTable(t, stats, prev, now) },
		}); err != nil {
			return err
		}
		for _, s := range stats {
			if s.Snapshot != nil {
				prev[s.Hostname] = sample{at: now, snp: *s.Snapshot}
			}
		}
		if !refresh {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(opts.Interval):
		}
	}
}

func topTable(t *output.TableWriter, stats []client.SlicerNodeStat, prev map[string]sample, now time.Time) {
	t.SetColumns(
		output.Column{Header: "HOST"}, output.Column{Header: "IP"}, output.Column{Header: "CPU"},
		output.Column{Header: "L1"}, output.Column{Header: "L5"}, output.Column{Header: "L15"},
		output.Column{Header: "MEM_USED"}, output.Column{Header: "MEM_FREE"},
		output.Column{Header: "DISK_USED%"}, output.Column{Header: "DISK_FREE"},
		output.Column{Header: "NET_RX/s"}, output.Column{Header: "NET_TX/s"},
		output.Column{Header: "DR/s"}, output.Column{Header: "DW/s"}, output.Column{Header: "UP"},
	)
	for _, s := range stats {
		if s.Snapshot == nil {
			t.AddRow(s.Hostname, orDash(s.IP), "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-")
			continue
		}
		n := s.Snapshot
		rate := func(cur, old float64) string { return "-" }
		if p, ok := prev[s.Hostname]; ok {
			secs := now.Sub(p.at).Seconds()
			rate = func(cur, old float64) string {
				if secs <= 0 || cur < old {
					return "-"
				}
				return formatBytes((cur-old)/secs) + "/s"
			}
			t.AddRow(topRow(s, n, rate(n.NetworkReadTotal, p.snp.NetworkReadTotal), rate(n.NetworkWriteTotal, p.snp.NetworkWriteTotal),
				rate(n.DiskReadTotal, p.snp.DiskReadTotal), rate(n.DiskWriteTotal, p.snp.DiskWriteTotal))...)
			continue
		}
		t.AddRow(topRow(s, n, rate(0, 0), rate(0, 0), rate(0, 0), rate(0, 0))...)
	}
}

func topRow(s client.SlicerNodeStat, n *client.SlicerSnapshot, rx, tx, dr, dw string) []string {
	return []string{
		s.Hostname, orDash(s.IP), strconv.Itoa(n.TotalCPUS),
		fmt.Sprintf("%.2f", n.LoadAvg1), fmt.Sprintf("%.2f", n.LoadAvg5), fmt.Sprintf("%.2f", n.LoadAvg15),
		formatBytes(float64(n.MemoryUsed)), formatBytes(float64(n.MemoryAvailable)),
		fmt.Sprintf("%.1f", n.DiskSpaceUsedPercent), formatBytes(float64(n.DiskSpaceFree)),
		rx, tx, dr, dw, orDash(n.Uptime),
	}
}
