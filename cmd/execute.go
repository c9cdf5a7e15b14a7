// Package cmd is the slicer command tree: NewCmdRoot builds it and Main runs
// it, turning the result into the process exit code.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
	"github.com/slicer-cli/slicer/pkg/output"
)

// Version is set at build time with -ldflags "-X github.com/slicer-cli/slicer/cmd.Version=...".
var Version = "dev"

// Commit is the git commit, set at build time.
var Commit = ""

// Exit codes (see `slicer help exit-codes`).
const (
	ExitOK             = 0
	ExitError          = 1
	ExitUsage          = 2
	ExitTimeout        = 124
	ExitSignalBase     = 128
	ExitConnectionLost = 255
)

// Main runs slicer with the process's arguments and streams and returns the
// exit code.
func Main() int {
	ios := iostreams.System()
	ctx, sigs, stop := signalContext()
	defer stop()

	f, conn := NewFactory(ios, Version)
	root := NewCmdRoot(f)
	cmd, err := root.ExecuteContextC(ctx)
	if s := sigs(); s != 0 {
		if err == nil || errors.Is(err, context.Canceled) {
			err = &cmdutil.SignalError{Signal: int(s), Name: signalName(s)}
		}
	}
	return HandleError(ios.ErrOut, cmd, err, conn())
}

// signalContext cancels its context on SIGINT, SIGTERM or SIGHUP and
// remembers the first signal; a second signal exits at once with 128+n.
func signalContext() (context.Context, func() syscall.Signal, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	var mu sync.Mutex
	var got syscall.Signal
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-ch:
				sig, _ := s.(syscall.Signal)
				mu.Lock()
				first := got == 0
				if first {
					got = sig
				}
				mu.Unlock()
				if !first {
					os.Exit(ExitSignalBase + int(sig))
				}
				cancel()
			case <-done:
				return
			}
		}
	}()
	get := func() syscall.Signal {
		mu.Lock()
		defer mu.Unlock()
		return got
	}
	stop := func() {
		signal.Stop(ch)
		close(done)
		cancel()
	}
	return ctx, get, stop
}

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return s.String()
}

// ExitCode is the one mapping from a command's error to the exit code
// (documented in `slicer help exit-codes`).
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var exitErr cmdutil.ExitCodeError
	if errors.As(err, &exitErr) {
		return exitErr.Code
	}
	var pExitErr *cmdutil.ExitCodeError
	if errors.As(err, &pExitErr) {
		return pExitErr.Code
	}
	var sigErr *cmdutil.SignalError
	if errors.As(err, &sigErr) {
		return ExitSignalBase + sigErr.Signal
	}
	if isUsageError(err) {
		return ExitUsage
	}
	if errors.Is(err, cmdutil.ErrTimeout) {
		return ExitTimeout
	}
	if errors.Is(err, cmdutil.ErrConnectionLost) {
		return ExitConnectionLost
	}
	return ExitError
}

func isUsageError(err error) bool {
	var fe *cmdutil.FlagError
	if errors.As(err, &fe) {
		return true
	}
	// Cobra's own parse errors for unknown commands.
	msg := err.Error()
	return strings.HasPrefix(msg, "unknown command ") || strings.HasPrefix(msg, "unknown flag") ||
		strings.HasPrefix(msg, "unknown shorthand flag")
}

// HandleError prints err (with a hint saying what to do) to w and returns the
// exit code. target is the daemon address in use, for connection hints.
func HandleError(w io.Writer, cmd *cobra.Command, err error, target string) int {
	code := ExitCode(err)
	if err == nil {
		return code
	}
	var exitErr cmdutil.ExitCodeError
	var pExitErr *cmdutil.ExitCodeError
	if errors.As(err, &exitErr) || errors.As(err, &pExitErr) {
		return code
	}
	var sigErr *cmdutil.SignalError
	if errors.As(err, &sigErr) {
		return code
	}
	// The message can carry the daemon's own text: never let it drive
	// the terminal (ESC sequences, bidi overrides).
	fmt.Fprintf(w, "Error: %s\n", output.EscapeControl(err.Error()))
	if hint := Hint(err, target); hint != "" {
		fmt.Fprintln(w, hint)
	}
	if code == ExitUsage && cmd != nil {
		fmt.Fprintf(w, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return code
}

// Hint says what to do about common failures.
func Hint(err error, target string) string {
	where := "the daemon"
	if target != "" {
		where = target
	}
	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.StatusCode {
		case 401:
			return fmt.Sprintf("The daemon at %s rejected the credentials: pass a token with --token-file FILE, SLICER_TOKEN_FILE or SLICER_TOKEN (or --token).", where)
		case 403:
			return "The daemon refused the operation (403): the VM may be protected, or the token lacks access."
		}
		return ""
	}
	var opErr *net.OpError
	isDial := errors.As(err, &opErr) && opErr.Op == "dial"
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("Nothing is listening at %s. Start a local daemon with `slicer local up`, or point --url / SLICER_URL at a running one.", where)
	case isDial && errors.Is(err, syscall.ENOENT):
		return fmt.Sprintf("No daemon socket at %s. Start a local daemon with `slicer local up`, or point --url / SLICER_URL at a running one.", where)
	case isDial && (errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM)):
		return fmt.Sprintf("Permission denied opening the socket %s: run as a user that can write to it (for example with sudo).", where)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return fmt.Sprintf("Cannot resolve the daemon host of %s: check --url / SLICER_URL.", where)
	}
	return ""
}
