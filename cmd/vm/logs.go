package vm

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
	"github.com/slicer-cli/slicer/pkg/output"
)

// LogsOptions are the options of `vm logs`.
type LogsOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)

	VM       string
	Lines    int
	Follow   bool
	Interval time.Duration
	Output   output.Options
}

// NewCmdLogs returns `vm logs`.
func NewCmdLogs(f *cmdutil.Factory, runF func(context.Context, *LogsOptions) error) *cobra.Command {
	opts := &LogsOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "logs <vm>",
		Short: "Show a VM's console log",
		Long: `Print the last lines of the VM's serial console log (boot messages and
userdata output). --lines 0 prints the whole log; -f keeps polling for new
lines until interrupted.`,
		Example: `  slicer vm logs sbox-1
  slicer vm logs sbox-1 --lines 0 > console.log
  slicer vm logs sbox-1 -f`,
		Args:              cmdutil.ExactArgs(1, "VM name"),
		ValidArgsFunction: cmdutil.CompleteVMNames(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.VM = args[0]
			if opts.Lines < 0 {
				return cmdutil.FlagErrorf("--lines must not be negative")
			}
			if opts.Interval <= 0 {
				return cmdutil.FlagErrorf("--interval must be positive")
			}
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			if opts.Follow && opts.Output.Structured() {
				return cmdutil.FlagErrorf("--follow prints text; it cannot be combined with -o/--json")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return logsRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().IntVarP(&opts.Lines, "lines", "n", 20, "Number of lines from the end (0: all)")
	cmd.Flags().BoolVarP(&opts.Follow, "follow", "f", false, "Keep printing new lines")
	cmd.Flags().DurationVar(&opts.Interval, "interval", time.Second, "Poll interval for --follow")
	output.AddFlags(cmd, &opts.Output, output.Table, output.JSON, output.YAML)
	return cmd
}

func logsRun(ctx context.Context, opts *LogsOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	var resp *client.SlicerLogsResponse
	var host string
	err = cmdutil.WithVM(ctx, c, opts.VM, func(vm string) error {
		host = vm
		var err error
		resp, err = c.GetVMLogs(ctx, vm, opts.Lines)
		return err
	})
	if err != nil {
		return fmt.Errorf("logs of VM %q: %w", opts.VM, err)
	}
	if opts.Output.Structured() {
		return opts.Output.Print(opts.IO, output.Data{Value: resp})
	}
	if err := writeLog(opts.IO, resp.Content); err != nil {
		return err
	}
	if !opts.Follow {
		return nil
	}
	// Follow: poll the last lines and print what follows the part already
	// seen. The overlap is found by the last printed lines.
	last := lastLines(resp.Content, 50)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(opts.Interval):
		}
		r, err := c.GetVMLogs(ctx, host, 200)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("follow logs of VM %q: %w", host, err)
		}
		fresh := newSuffix(last, r.Content)
		if fresh == "" {
			continue
		}
		if err := writeLog(opts.IO, fresh); err != nil {
			return err
		}
		last = lastLines(last+fresh, 50)
	}
}

func writeLog(ios *iostreams.IOStreams, s string) error {
	if s == "" {
		return nil
	}
	_, err := io.WriteString(ios.Out, output.SafeText(ios, s))
	return err
}

// lastLines returns the last n lines of s (keeping the final newline).
func lastLines(s string, n int) string {
	idx := len(s)
	trim := strings.TrimSuffix(s, "\n")
	count := 0
	for i := len(trim) - 1; i >= 0; i-- {
		if trim[i] == '\n' {
			count++
			if count == n {
				idx = i + 1
				return s[idx:]
			}
		}
	}
	return s
}

// newSuffix returns the part of cur that follows seen: the longest suffix of
// seen that is a prefix of ... cur is located and what follows is new. With
// no overlap all of cur is new.
func newSuffix(seen, cur string) string {
	if seen == "" {
		return cur
	}
	if i := strings.LastIndex(cur, seen); i >= 0 {
		return cur[i+len(seen):]
	}
	// seen's head scrolled out of cur's window: find the longest tail of
	// seen (on a line boundary) that cur contains.
	for off := strings.IndexByte(seen, '\n'); off >= 0 && off+1 < len(seen); {
		tail := seen[off+1:]
		if i := strings.LastIndex(cur, tail); i >= 0 {
			return cur[i+len(tail):]
		}
		next := strings.IndexByte(tail, '\n')
		if next < 0 {
			break
		}
		off += next + 1
	}
	return cur
}
