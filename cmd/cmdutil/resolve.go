package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/slicer-cli/slicer/pkg/client"
)

// IsNotFound reports whether err is an API 404.
func IsNotFound(err error) bool {
	return IsAPIStatus(err, http.StatusNotFound)
}

// IsAPIStatus reports whether err is an API error with the given status.
func IsAPIStatus(err error, status int) bool {
	var apiErr *client.APIError
	return errors.As(err, &apiErr) && apiErr.StatusCode == status
}

// NameTag is the tag that carries a VM's friendly name (VENDOR-CLI.md §5.8).
func NameTag(name string) string { return "name=" + name }

// ResolveVM maps a VM argument to the daemon's hostname, for streaming
// operations that cannot simply be retried (exec with stdin, shell,
// forward, cp); one-shot calls use WithVM. Like WithVM it sends the argument
// unchanged first (VENDOR-CLI.md §5.8): a HEAD of the VM's agent health,
// which costs one small request whatever the number of VMs. Only a 404
// looks for the single VM tagged name=<arg>. Any other answer (a paused or
// stopped VM's 409 or 503) means the hostname exists; the operation itself
// then reports the VM's state.
func ResolveVM(ctx context.Context, c client.Interface, arg string) (string, error) {
	if arg == "" {
		return "", FlagErrorf("a VM name is required")
	}
	_, err := c.GetAgentHealth(ctx, arg, false)
	var apiErr *client.APIError
	switch {
	case err == nil:
		return arg, nil
	case IsNotFound(err):
		return lookupName(ctx, c, arg)
	case errors.As(err, &apiErr):
		return arg, nil
	}
	return "", fmt.Errorf("look up VM %q: %w", arg, err)
}

// WithVM runs op with the VM argument exactly as given, and only when that
// fails with 404 looks for the single VM tagged name=<arg> and runs op again
// with its hostname. The error of the first attempt is returned when no VM
// has that name.
func WithVM(ctx context.Context, c client.Interface, arg string, op func(vm string) error) error {
	err := op(arg)
	if err == nil || !IsNotFound(err) || !couldBeName(arg) {
		return err
	}
	host, lerr := lookupName(ctx, c, arg)
	if lerr != nil {
		var nf *VMNotFoundError
		if errors.As(lerr, &nf) {
			return err
		}
		return lerr
	}
	return op(host)
}

// VMNotFoundError says no VM has the hostname or friendly name.
type VMNotFoundError struct{ Arg string }

func (e *VMNotFoundError) Error() string {
	return fmt.Sprintf("VM %q not found: no VM has that hostname or name (see `slicer vm list`)", e.Arg)
}

func lookupName(ctx context.Context, c client.Interface, arg string) (string, error) {
	if !couldBeName(arg) {
		return "", &VMNotFoundError{Arg: arg}
	}
	nodes, err := c.ListVMs(ctx, client.ListOptions{Tag: NameTag(arg)})
	if err != nil {
		return "", fmt.Errorf("look up VM named %q: %w", arg, err)
	}
	var hosts []string
	for _, n := range nodes {
		for _, t := range n.Tags {
			if t == NameTag(arg) {
				hosts = append(hosts, n.Hostname)
				break
			}
		}
	}
	switch len(hosts) {
	case 0:
		return "", &VMNotFoundError{Arg: arg}
	case 1:
		return hosts[0], nil
	default:
		return "", fmt.Errorf("the name %q matches several VMs (%s); use a hostname", arg, strings.Join(hosts, ", "))
	}
}

// couldBeName reports whether s is a valid friendly name: a lowercase DNS
// label of at most 63 characters.
func couldBeName(s string) bool {
	return ValidateName(s) == nil
}

// ValidateName checks a friendly VM name: a lowercase DNS label (a-z, 0-9,
// '-', not starting or ending with '-') of at most 63 characters.
func ValidateName(s string) error {
	if s == "" || len(s) > 63 {
		return fmt.Errorf("invalid VM name %q: must be 1 to 63 characters", s)
	}
	for i, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' && i != 0 && i != len(s)-1
		if !ok {
			return fmt.Errorf("invalid VM name %q: use lowercase letters, digits and '-' (not at either end)", s)
		}
	}
	return nil
}

// GuestError adds what to do to a guest operation's failure: a paused VM
// (409) needs `slicer vm resume`. vmArg is the VM as the user wrote it.
func GuestError(err error, vmArg string) error {
	if err == nil {
		return nil
	}
	if IsAPIStatus(err, 409) {
		return fmt.Errorf("%w\nThe VM is paused (or busy): resume it with `slicer vm resume %s` and try again", err, vmArg)
	}
	return err
}
