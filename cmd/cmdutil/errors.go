package cmdutil

import (
	"errors"
	"fmt"
)

// FlagError is a usage mistake: a bad flag, a missing or extra argument, a
// malformed value. It maps to exit code 2 and is printed with the usage hint.
type FlagError struct {
	err error
}

func (e *FlagError) Error() string { return e.err.Error() }
func (e *FlagError) Unwrap() error { return e.err }

// FlagErrorf returns a usage error (exit code 2).
func FlagErrorf(format string, args ...any) error {
	return &FlagError{err: fmt.Errorf(format, args...)}
}

// FlagErrorWrap marks err as a usage error (exit code 2). A nil err stays nil.
func FlagErrorWrap(err error) error {
	if err == nil {
		return nil
	}
	var fe *FlagError
	if errors.As(err, &fe) {
		return err
	}
	return &FlagError{err: err}
}

// ExitCodeError ends the program with Code and prints nothing: the command
// has already said what it had to say (for example a remote process's own
// exit status, passed through unchanged).
type ExitCodeError struct {
	Code int
}

func (e ExitCodeError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// ErrTimeout is wrapped by errors that mean "timed out waiting" (exit 124).
var ErrTimeout = errors.New("timed out")

// ErrConnectionLost is wrapped by errors that mean the connection to the
// daemon dropped before the remote side reported an exit status (exit 255).
var ErrConnectionLost = errors.New("connection to the daemon lost")

// ErrCancel reports that the user declined a confirmation prompt. It exits 1
// and prints only the message.
var ErrCancel = errors.New("cancelled")

// SignalError reports that the command stopped because the process received
// a signal; it maps to 128 + Signal.
type SignalError struct {
	Signal int
	Name   string
}

func (e *SignalError) Error() string { return "interrupted by " + e.Name }
