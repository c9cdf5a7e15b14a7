package fs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
	"github.com/slicer-cli/slicer/pkg/output"
)

// WatchEvents are the event types the watch API filters on.
var WatchEvents = []string{"create", "write", "remove", "rename", "chmod", "all"}

// WatchOptions are the inputs of `fs watch`.
type WatchOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)

	VM        string
	Paths     []string
	Patterns  []string
	Events    []string
	UID       uint32
	Recursive bool
	OneShot   bool
	Debounce  time.Duration
	Timeout   time.Duration
	MaxEvents int

	Output output.Options
}

// NewCmdWatch builds `fs watch`.
func NewCmdWatch(f *cmdutil.Factory, runF func(context.Context, *WatchOptions) error) *cobra.Command {
	opts := &WatchOptions{}
	cmd := &cobra.Command{
		Use:   "watch <vm> <path>...",
		Short: "Stream filesystem events from a VM",
		Long: `Print filesystem events under the given paths as they happen, one per line:
TYPE PATH (-o json prints one JSON object per line with the API's fields).

--one-shot ends after the first event and --max-events N after N; both exit 0
when they got their events. --timeout D ends the watch after D: if that
happens before --one-shot or --max-events was satisfied (or when neither is
given), slicer exits 124, so scripts can wait for a file:

  slicer fs watch vm-1 /tmp --pattern ready --event create --one-shot --timeout 60s`,
		Example: `  slicer fs watch vm-1 ~/project --recursive --pattern '*.go'
  slicer fs watch vm-1 /var/log --event write -o json
  slicer fs watch vm-1 /tmp --pattern done.flag --one-shot --timeout 5m`,
		Args:              cmdutil.MinimumArgs(2, "<vm> and at least one <path>"),
		ValidArgsFunction: CompleteRemotePath(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			for _, e := range opts.Events {
				if !slices.Contains(WatchEvents, strings.ToLower(e)) {
					return cmdutil.FlagErrorf("invalid --event %q: use one of %s", e, strings.Join(WatchEvents, ", "))
				}
			}
			if opts.MaxEvents < 0 || opts.Timeout < 0 || opts.Debounce < 0 {
				return cmdutil.FlagErrorf("--max-events, --timeout and --debounce must not be negative")
			}
			opts.VM, opts.Paths = args[0], args[1:]
			opts.IO = f.IOStreams
			opts.Client = f.Client
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return cmdutil.GuestError(watchRun(cmd.Context(), opts), opts.VM)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&opts.Patterns, "pattern", nil, "Only events whose path or name matches this glob (repeatable)")
	fl.StringArrayVar(&opts.Events, "event", nil, "Only these event types: "+strings.Join(WatchEvents, "|")+" (repeatable)")
	fl.Uint32Var(&opts.UID, "uid", 0, "Watch as this user id")
	fl.BoolVarP(&opts.Recursive, "recursive", "r", false, "Watch subdirectories too, including new ones")
	fl.BoolVar(&opts.OneShot, "one-shot", false, "Exit after the first event")
	fl.DurationVar(&opts.Debounce, "debounce", 0, "Merge bursts of the same event within this window (default: the VM's, 200ms)")
	fl.DurationVar(&opts.Timeout, "timeout", 0, "End the watch after this long; exit 124 if the events asked for did not come")
	fl.IntVar(&opts.MaxEvents, "max-events", 0, "Exit after this many events")
	_ = cmd.RegisterFlagCompletionFunc("event", cmdutil.CompleteEnum(WatchEvents...))
	output.AddFlags(cmd, &opts.Output, output.Table, output.JSON)
	return cmd
}

// timeoutSlack is how long after --timeout the CLI waits for the daemon to
// end the stream itself before giving up on its own.
const timeoutSlack = 5 * time.Second

func watchRun(ctx context.Context, opts *WatchOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	vm, err := cmdutil.ResolveVM(ctx, c, opts.VM)
	if err != nil {
		return err
	}
	req := client.SlicerFSWatchRequest{
		Paths:     opts.Paths,
		Patterns:  opts.Patterns,
		Recursive: opts.Recursive,
		OneShot:   opts.OneShot,
		MaxEvents: opts.MaxEvents,
		UID:       opts.UID,
	}
	for _, e := range opts.Events {
		req.Events = append(req.Events, strings.ToLower(e))
	}
	if opts.Debounce > 0 {
		req.Debounce = opts.Debounce.String()
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if opts.Timeout > 0 {
		req.Timeout = opts.Timeout.String()
		var c2 context.CancelFunc
		wctx, c2 = context.WithTimeout(wctx, opts.Timeout+timeoutSlack)
		defer c2()
	}
	events, errc := c.WatchFS(wctx, vm, req)
	n := 0
	for ev := range events {
		n++
		if err := printEvent(opts, ev); err != nil {
			cancel()
			for range events {
			}
			return err
		}
		if (opts.OneShot && n >= 1) || (opts.MaxEvents > 0 && n >= opts.MaxEvents) {
			cancel()
			for range events {
			}
			return nil
		}
	}
	werr := <-errc
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if werr != nil && !errors.Is(werr, context.DeadlineExceeded) && !errors.Is(werr, context.Canceled) {
		return fmt.Errorf("watch %s in VM %q: %w", strings.Join(opts.Paths, ", "), vm, werr)
	}
	// The stream ended without the events that were asked for.
	if opts.Timeout > 0 {
		return fmt.Errorf("%w: no matching event within %s", cmdutil.ErrTimeout, opts.Timeout)
	}
	if opts.OneShot || opts.MaxEvents > 0 {
		return fmt.Errorf("%w: the watch stream ended after %d event(s)", cmdutil.ErrConnectionLost, n)
	}
	return nil
}

func printEvent(opts *WatchOptions, ev client.SlicerFSWatchEvent) error {
	switch {
	case opts.Output.JQ != "":
		return output.RunJQ(opts.IO.Out, opts.Output.JQ, ev)
	case opts.Output.Template != "":
		return output.RunTemplate(opts.IO.Out, opts.Output.Template, ev)
	}
	if opts.Output.Format == output.JSON {
		b, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(opts.IO.Out, "%s\n", b)
		return err
	}
	line := ev.Type + " " + output.SafeText(opts.IO, ev.Path)
	if ev.IsDir {
		line += "/"
	}
	_, err := fmt.Fprintln(opts.IO.Out, line)
	return err
}
