// Package bg implements `slicer bg` (also `slicer vm bg`): background
// processes inside a VM, with their output kept in a ring buffer on the
// guest.
package bg

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
)

// NewCmdBg builds the `bg` group; the same constructor serves `slicer bg`
// and `slicer vm bg`.
func NewCmdBg(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bg <command>",
		Short: "Run and manage background processes in a VM",
		Long: `Background processes keep running when slicer exits. Their output is kept in
a ring buffer in the VM (1 MiB by default) that logs replays and follows.

A process stays listed after it exits until it is removed.`,
		Example: `  EX=$(slicer bg exec vm-1 -- npm run dev | awk -F'[= ]' '/exec_id=/ {print $2}')
  slicer bg logs vm-1 "$EX" --follow
  slicer bg kill vm-1 "$EX" --grace 10s
  slicer bg remove vm-1 "$EX"`,
	}
	cmd.AddCommand(
		NewCmdExec(f, nil),
		NewCmdList(f, nil),
		NewCmdInfo(f, nil),
		NewCmdLogs(f, nil),
		NewCmdWait(f, nil),
		NewCmdKill(f, nil),
		NewCmdRemove(f, nil),
	)
	return cmd
}

// completeExecIDs completes `<vm> <exec-id>`: VM names first, then the
// VM's background exec ids.
func completeExecIDs(f *cmdutil.Factory) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	vms := cmdutil.CompleteVMNames(f)
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) == 0 {
			return vms(cmd, args, toComplete)
		}
		if len(args) != 1 || f == nil || f.Client == nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := context.WithTimeout(context.Background(), cmdutil.CompletionTimeout)
		defer cancel()
		c, err := f.Client()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		_ = cmdutil.WithVM(ctx, c, args[0], func(vm string) error {
			list, err := c.ExecList(ctx, vm)
			for _, e := range list {
				if strings.HasPrefix(e.ExecID, toComplete) {
					out = append(out, e.ExecID+"\t"+strings.TrimSpace(e.Command+" "+strings.Join(e.Args, " ")))
				}
			}
			return err
		})
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// ParseSize reads a ring size: plain bytes or a number with K, M or G
// (binary units, an optional trailing "i" and "B" accepted: 1M, 4MiB, 512k).
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("empty size")
	}
	u := strings.ToUpper(t)
	u = strings.TrimSuffix(u, "B")
	u = strings.TrimSuffix(u, "I")
	mult := int64(1)
	switch {
	case strings.HasSuffix(u, "K"):
		mult, u = 1<<10, strings.TrimSuffix(u, "K")
	case strings.HasSuffix(u, "M"):
		mult, u = 1<<20, strings.TrimSuffix(u, "M")
	case strings.HasSuffix(u, "G"):
		mult, u = 1<<30, strings.TrimSuffix(u, "G")
	}
	n, err := strconv.ParseInt(strings.TrimSpace(u), 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("invalid size %q: use bytes or a number with K, M or G (for example 1M)", s)
	}
	return n * mult, nil
}

// writeFrame copies one log frame's output to stdout/stderr and reports
// gaps on stderr. It returns true for the exit frame.
func writeFrame(f client.SlicerExecWriteResult, stdout, stderr io.Writer) (bool, error) {
	switch f.Type {
	case "gap":
		fmt.Fprintf(stderr, "slicer: output lost: %d bytes in %d frames were evicted from the ring buffer", f.DroppedBytes, f.DroppedFrames)
		if f.Message != "" {
			fmt.Fprintf(stderr, " (%s)", f.Message)
		}
		fmt.Fprintln(stderr)
		return false, nil
	case "started":
		return false, nil
	}
	var so, se string
	switch f.Type {
	case "stdout":
		so = f.Stdout
		if so == "" {
			so = f.Data
		}
	case "stderr":
		se = f.Stderr
		if se == "" {
			se = f.Data
		}
	default:
		so, se = f.Stdout, f.Stderr
	}
	for _, p := range []struct {
		s string
		w io.Writer
	}{{so, stdout}, {se, stderr}} {
		if p.s == "" {
			continue
		}
		b := []byte(p.s)
		if f.Encoding == client.ExecStdioBase64 {
			var err error
			if b, err = base64.StdEncoding.DecodeString(p.s); err != nil {
				return false, fmt.Errorf("bad output frame %d: %v", f.ID, err)
			}
		}
		if _, err := p.w.Write(b); err != nil {
			return false, fmt.Errorf("write output: %w", err)
		}
	}
	return f.Type == "exit", nil
}

// exitStatus maps an exited process's code and signal to slicer's exit
// status: the code, or 128+N for a death by signal N.
func exitStatus(code *int, signal string) int {
	if signal != "" && (code == nil || *code <= 0) {
		if n := signalNumber(signal); n > 0 {
			return 128 + n
		}
		return 1
	}
	if code == nil {
		return 0
	}
	if *code < 0 || *code > 255 {
		return 1
	}
	return *code
}

var signalNumbers = map[string]int{
	"HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "BUS": 7, "FPE": 8,
	"KILL": 9, "USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15,
}

func signalNumber(name string) int {
	n := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(name)), "SIG")
	if v, ok := signalNumbers[n]; ok {
		return v
	}
	if v, err := strconv.Atoi(n); err == nil && v > 0 && v < 128 {
		return v
	}
	switch strings.ToLower(name) {
	case "killed":
		return 9
	case "terminated":
		return 15
	case "interrupt":
		return 2
	case "hangup":
		return 1
	}
	return 0
}

// execLine is the human line scripts parse: key=value pairs separated by
// spaces, exec_id first.
func execLine(pairs ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(pairs); i += 2 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(pairs[i])
		b.WriteByte('=')
		b.WriteString(pairs[i+1])
	}
	return b.String()
}
