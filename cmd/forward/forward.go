// Package forward implements `slicer forward` (also `slicer vm forward`):
// local TCP ports and unix sockets forwarded to ports and sockets inside a
// VM.
package forward

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/coder/websocket"
	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	clientforward "github.com/slicer-cli/slicer/pkg/client/forward"
	"github.com/slicer-cli/slicer/pkg/iostreams"
)

// ForwardOptions are the inputs of `forward`.
type ForwardOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)

	VM    string
	Specs []clientforward.Spec
	Quiet bool

	// HealthInterval is how often an idle forward checks that the daemon
	// still answers (0: never).
	HealthInterval time.Duration
}

// DefaultHealthInterval is how often `forward` checks that the daemon is
// still there, so that a forward with no open connection also ends (exit
// non-zero, listeners closed) when the daemon goes away.
const DefaultHealthInterval = 5 * time.Second

// NewCmdForward builds `forward`; the same constructor serves `slicer
// forward` and `slicer vm forward`.
func NewCmdForward(f *cmdutil.Factory, runF func(context.Context, *ForwardOptions) error) *cobra.Command {
	opts := &ForwardOptions{HealthInterval: DefaultHealthInterval}
	var flagSpecs []string
	cmd := &cobra.Command{
		Use:   "forward <vm> -L <spec> [-L <spec>]... | forward <vm> <spec>...",
		Short: "Forward local ports and sockets to a VM",
		Long: `Forward local TCP ports or unix sockets to ports or unix sockets inside a VM.
Each -L (or bare) spec is one of:

  HOST:PORT                    listen on HOST:PORT, forward to HOST:PORT in the VM
  LPORT:HOST:RPORT             listen on 127.0.0.1:LPORT, forward to HOST:RPORT
  ADDR:LPORT:HOST:RPORT        listen on ADDR:LPORT (0.0.0.0 for every interface)
  [ADDR:]PORT:/guest.sock      a local TCP port to a unix socket in the VM
  /local.sock:/guest.sock      a local unix socket to one in the VM (./x.sock works)
  /local.sock:[HOST:]PORT      a local unix socket to a TCP port in the VM

Without an explicit bind address forwards listen on loopback (127.0.0.1) only.
Port 0 picks a free port. Every listener is bound before anything is
forwarded: a port already in use is reported at once and nothing is left
listening. slicer prints one "Forwarding LOCAL -> VM:TARGET" line per real
listener on stdout, then forwards until interrupted (Ctrl-C or a signal),
closing every connection and removing the socket files it created. A failed
connection does not stop the others; losing the daemon ends the command
with a non-zero exit status.`,
		Example: `  slicer forward vm-1 -L 8080:127.0.0.1:80
  slicer vm forward vm-1 127.0.0.1:3000
  slicer forward vm-1 -L 0:127.0.0.1:9000          # a free local port, printed
  slicer forward vm-1 -L 0.0.0.0:8080:127.0.0.1:80 # reachable from the LAN
  slicer forward vm-1 -L ./docker.sock:/var/run/docker.sock
  slicer forward vm-1 -L 3000:127.0.0.1:3000 & FWD=$!; ...; kill $FWD`,
		ValidArgsFunction: cmdutil.CompleteVMNames(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmdutil.FlagErrorf("missing VM\n\nUsage: %s", cmd.UseLine())
			}
			opts.VM = args[0]
			raw := append(append([]string(nil), flagSpecs...), args[1:]...)
			if len(raw) == 0 {
				return cmdutil.FlagErrorf("nothing to forward: give at least one spec, e.g. -L 8080:127.0.0.1:80")
			}
			opts.Specs = nil
			for _, s := range raw {
				sp, err := clientforward.ParseSpec(s)
				if err != nil {
					return cmdutil.FlagErrorWrap(err)
				}
				opts.Specs = append(opts.Specs, sp)
			}
			opts.IO = f.IOStreams
			opts.Client = f.Client
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return forwardRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringArrayVarP(&flagSpecs, "local", "L", nil, "Forward spec (repeatable; see above)")
	cmd.Flags().BoolVarP(&opts.Quiet, "quiet", "q", false, "Do not report failed connections on stderr")
	return cmd
}

func forwardRun(ctx context.Context, opts *ForwardOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	vm, err := cmdutil.ResolveVM(ctx, c, opts.VM)
	if err != nil {
		return err
	}
	errOut := opts.IO.ErrOut
	// Connection errors name the real listener (the chosen port for 0).
	var mu sync.Mutex
	real := map[clientforward.Spec]string{}
	fw, err := clientforward.Start(ctx, clientforward.Options{
		Client:         c,
		VM:             vm,
		Specs:          opts.Specs,
		HealthInterval: opts.HealthInterval,
		OnError: func(sp clientforward.Spec, err error) {
			if opts.Quiet {
				return
			}
			mu.Lock()
			local, ok := real[sp]
			mu.Unlock()
			if !ok {
				local = sp.ListenAddress
			}
			fmt.Fprintf(errOut, "forward %s -> %s:%s: connection failed: %s\n", local, vm, strings.TrimPrefix(sp.Upstream, "unix:"), connError(err))
		},
	})
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("%w\nThe local address is already in use: stop what listens there, or pick another port (0 picks a free one)", err)
		}
		return err
	}
	mu.Lock()
	for _, l := range fw.Listeners() {
		real[l.Spec] = l.Addr.String()
	}
	mu.Unlock()
	for _, l := range fw.Listeners() {
		target := strings.TrimPrefix(l.Spec.Upstream, "unix:")
		fmt.Fprintf(opts.IO.Out, "Forwarding %s -> %s:%s\n", l.Addr, vm, target)
	}
	fmt.Fprintln(errOut, "Press Ctrl-C to stop.")
	werr := fw.Wait()
	_ = fw.Close()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if werr != nil {
		return fmt.Errorf("forwarding to VM %q stopped: %w", vm, werr)
	}
	return nil
}

// connError is the reason a forwarded connection failed: the daemon's own
// words when it closed the tunnel with a reason, else the error.
func connError(err error) string {
	var ce websocket.CloseError
	if errors.As(err, &ce) && ce.Reason != "" {
		return ce.Reason
	}
	return err.Error()
}
