package cmdutil

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// ExactArgs is cobra.ExactArgs returning a usage error (exit 2) that names
// what is missing.
func ExactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return FlagErrorf("missing %s\n\nUsage: %s", what, cmd.UseLine())
		}
		if len(args) > n {
			return FlagErrorf("too many arguments: %q (expected %s)\n\nUsage: %s", args[n:], what, cmd.UseLine())
		}
		return nil
	}
}

// RangeArgs accepts between min and max arguments (a usage error otherwise).
func RangeArgs(min, max int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < min {
			return FlagErrorf("missing %s\n\nUsage: %s", what, cmd.UseLine())
		}
		if len(args) > max {
			return FlagErrorf("too many arguments: %q\n\nUsage: %s", args[max:], cmd.UseLine())
		}
		return nil
	}
}

// MinimumArgs requires at least n arguments.
func MinimumArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return FlagErrorf("missing %s\n\nUsage: %s", what, cmd.UseLine())
		}
		return nil
	}
}

// NoArgs rejects any positional argument.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return FlagErrorf("unexpected argument %q\n\nUsage: %s", args[0], cmd.UseLine())
	}
	return nil
}

// MutuallyExclusive returns a usage error when more than one condition is true.
func MutuallyExclusive(message string, conditions ...bool) error {
	n := 0
	for _, c := range conditions {
		if c {
			n++
		}
	}
	if n > 1 {
		return FlagErrorf("%s", message)
	}
	return nil
}

// GroupRunE is the RunE of a command group (vm, secret, proxy ...): with no
// argument it shows the help; an unknown subcommand is a usage error with
// suggestions, instead of Cobra's silent help.
func GroupRunE(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return cmd.Help()
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t")
	}
	return FlagErrorf("%s", msg)
}

// CheckCwd validates a --cwd value as the vendor CLI does: "~" and "~/path"
// are fine (the VM resolves them against the user's home), a ".." element is
// refused so a working directory cannot climb out of where it names.
func CheckCwd(cwd string) error {
	for _, el := range strings.Split(cwd, "/") {
		if el == ".." {
			return FlagErrorf("invalid --cwd %q: \"..\" is not allowed; give an absolute path or one under ~", cwd)
		}
	}
	return nil
}
