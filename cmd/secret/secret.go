// Package secret holds `slicer secret`: secrets the daemon syncs into VMs
// at /run/slicer/secrets. Values are read from stdin, a file or a prompt
// and are never printed.
package secret

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/iostreams"
)

// NewCmdSecret returns the `secret` group.
func NewCmdSecret(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "secret <command>",
		Aliases: []string{"secrets"},
		Short:   "Manage secrets synced into VMs",
		Long: `Manage secrets stored by the daemon. VMs receive them as files under
/run/slicer/secrets (all secrets, or those named with 'vm add --secrets').

Secret values are never printed and never read back from the daemon.`,
		Example: `  printf '%s' "$API_KEY" | slicer secret create api-key
  slicer secret create tls-key --from-file ./key.pem --permissions 0400
  slicer secret list -v
  slicer secret remove api-key`,
		Args: cobra.ArbitraryArgs,
		RunE: cmdutil.GroupRunE,
	}
	cmd.AddCommand(
		NewCmdCreate(f, nil),
		NewCmdList(f, nil),
		NewCmdUpdate(f, nil),
		NewCmdRemove(f, nil),
	)
	return cmd
}

// valueFlags are the ways to give a secret's value.
type valueFlags struct {
	Literal    string
	File       string
	literalSet bool
	// literalFlag is the spelling used (--from-literal or --value), for
	// the warning.
	literalFlag string
}

// given reports whether a value flag (--from-literal/--value or
// --from-file) was used.
func (v *valueFlags) given() bool { return v.literalSet || v.File != "" }

func addValueFlags(cmd *cobra.Command, v *valueFlags) {
	cmd.Flags().StringVar(&v.File, "from-file", "", "Read the value from `file` ('-' for stdin)")
	cmd.Flags().StringVar(&v.Literal, "from-literal", "", "The value itself (lands in shell history; prefer stdin or --from-file)")
	cmd.Flags().StringVar(&v.Literal, "value", "", "Same as --from-literal")
	_ = cmd.Flags().MarkHidden("value")
	_ = cmd.MarkFlagFilename("from-file")
}

func (v *valueFlags) validate(cmd *cobra.Command) error {
	v.literalSet = cmd.Flags().Changed("from-literal") || cmd.Flags().Changed("value")
	v.literalFlag = "--from-literal"
	if cmd.Flags().Changed("value") {
		v.literalFlag = "--value"
	}
	if v.literalSet && v.File != "" {
		return cmdutil.FlagErrorf("--from-literal and --from-file cannot be combined")
	}
	return nil
}

// maxSecretSize bounds a secret value read from a file or stdin.
const maxSecretSize = 32 << 20

// readValue returns the secret value: --from-literal, --from-file, piped
// stdin, or a prompt without echo on a terminal. ok is false when nothing
// was given (required reports whether that is an error).
func readValue(ios *iostreams.IOStreams, v *valueFlags, name string, required bool) (data []byte, ok bool, err error) {
	switch {
	case v.literalSet:
		flag := v.literalFlag
		if flag == "" {
			flag = "--from-literal"
		}
		fmt.Fprintf(ios.ErrOut, "warning: %s puts the secret in your shell history and the process list; prefer stdin or --from-file\n", flag)
		if v.Literal == "" {
			return nil, false, cmdutil.FlagErrorf("the secret value is empty")
		}
		return []byte(v.Literal), true, nil
	case v.File == "-":
		data, err = readLimited(ios.In, "stdin")
	case v.File != "":
		f, ferr := os.Open(v.File)
		if ferr != nil {
			return nil, false, fmt.Errorf("--from-file: %w", ferr)
		}
		defer f.Close()
		if st, serr := f.Stat(); serr == nil && st.IsDir() {
			return nil, false, cmdutil.FlagErrorf("--from-file %s is a directory", v.File)
		}
		data, err = readLimited(f, v.File)
	case ios.IsStdinTTY():
		if !required {
			return nil, false, nil
		}
		data, err = prompt(ios, name)
	default:
		if !required && ios.In == nil {
			return nil, false, nil
		}
		data, err = readLimited(ios.In, "stdin")
		if err == nil && len(data) == 0 && !required {
			return nil, false, nil
		}
	}
	if err != nil {
		return nil, false, err
	}
	if len(data) == 0 {
		return nil, false, cmdutil.FlagErrorf("the secret value is empty: pipe it on stdin, or use --from-file")
	}
	return data, true, nil
}

func readLimited(r io.Reader, what string) ([]byte, error) {
	if r == nil {
		return nil, nil
	}
	data, err := io.ReadAll(io.LimitReader(r, maxSecretSize+1))
	if err != nil {
		return nil, fmt.Errorf("read secret from %s: %w", what, err)
	}
	if len(data) > maxSecretSize {
		return nil, fmt.Errorf("secret from %s is larger than %d MiB", what, maxSecretSize>>20)
	}
	return data, nil
}

func prompt(ios *iostreams.IOStreams, name string) ([]byte, error) {
	f, ok := ios.In.(*os.File)
	if !ok {
		return nil, errors.New("cannot prompt for the secret value: stdin is not a terminal")
	}
	fmt.Fprintf(ios.ErrOut, "Value for secret %s (input hidden): ", name)
	data, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(ios.ErrOut)
	if err != nil {
		return nil, fmt.Errorf("read secret value: %w", err)
	}
	return data, nil
}

// encode turns a value into the wire's base64 data field.
func encode(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// validatePermissions checks an octal mode string such as 0600.
func validatePermissions(p string) error {
	if p == "" {
		return nil
	}
	v, err := strconv.ParseUint(p, 8, 32)
	if err != nil || v > 0o7777 {
		return cmdutil.FlagErrorf("invalid --permissions %q: use an octal mode such as 0600", p)
	}
	return nil
}

// validateName checks a secret name: it becomes a file name in the guest.
func validateName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") || len(name) > 253 {
		return cmdutil.FlagErrorf("invalid secret name %q: use letters, digits, '-', '_' or '.' (no '/')", name)
	}
	return nil
}
