package proxy

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
)

// SecretTypes are the proxy secret types the daemon knows.
var SecretTypes = []string{
	client.SecretTypeBearer, client.SecretTypeBasic, client.SecretTypeOAuthClaude, client.SecretTypeOAuthCodex,
	client.SecretTypeOAuthGitHubCopilot, client.SecretTypeOAuthXAI, client.SecretTypeGitHubAppUser, client.SecretTypeGitHubApp,
}

// SecretCreateOptions are the options of `proxy secret create`.
type SecretCreateOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)

	Name      string
	Host      string
	Type      string
	Value     string
	ValueSet  bool
	ValueFile string
	Force     bool
}

// NewCmdSecretCreate returns `proxy secret create`.
func NewCmdSecretCreate(f *cmdutil.Factory, runF func(context.Context, *SecretCreateOptions) error) *cobra.Command {
	opts := &SecretCreateOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "create <name> --host <host>",
		Short: "Store an upstream credential for the proxy to inject",
		Long: `Store a credential the proxy injects for allow rules that name it. The value
comes from --value-file (trailing whitespace stripped), piped stdin, or
--value (which lands in your shell history). Values are never returned.`,
		Example: `  slicer proxy secret create gh --host api.github.com --value-file ~/.config/gh-pat
  slicer proxy secret create claude --host api.anthropic.com --type oauth-claude --value-file ~/.claude/.credentials.json
  printf '%s' "$KEY" | slicer proxy secret create openai --host api.openai.com --force`,
		Args:              cmdutil.ExactArgs(1, "secret name"),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			opts.ValueSet = cmd.Flags().Changed("value")
			if strings.TrimSpace(opts.Host) == "" {
				return cmdutil.FlagErrorf("--host is required")
			}
			if opts.Type != "" && !slices.Contains(SecretTypes, opts.Type) {
				return cmdutil.FlagErrorf("invalid --type %q: use one of %s", opts.Type, strings.Join(SecretTypes, ", "))
			}
			if opts.ValueSet && opts.ValueFile != "" {
				return cmdutil.FlagErrorf("--value and --value-file cannot be combined")
			}
			if !opts.ValueSet && opts.ValueFile == "" && opts.IO.IsStdinTTY() {
				return cmdutil.FlagErrorf("give the value with --value-file FILE or on stdin")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return secretCreateRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Host, "host", "", "Upstream host the credential is for")
	cmd.Flags().StringVar(&opts.Type, "type", "", "Credential type: "+strings.Join(SecretTypes, "|")+" (default bearer)")
	cmd.Flags().StringVar(&opts.Value, "value", "", "The value itself (prefer --value-file or stdin)")
	cmd.Flags().StringVar(&opts.ValueFile, "value-file", "", "Read the value from `file` ('-' for stdin)")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "Overwrite an existing secret")
	_ = cmd.RegisterFlagCompletionFunc("type", cmdutil.CompleteEnum(SecretTypes...))
	_ = cmd.MarkFlagFilename("value-file")
	return cmd
}

func secretCreateRun(ctx context.Context, opts *SecretCreateOptions) error {
	value := opts.Value
	if opts.ValueSet {
		fmt.Fprintln(opts.IO.ErrOut, "warning: --value puts the secret in your shell history and the process list; prefer --value-file")
	} else {
		var r io.Reader = opts.IO.In
		name := "stdin"
		if opts.ValueFile != "" && opts.ValueFile != "-" {
			fh, err := os.Open(opts.ValueFile)
			if err != nil {
				return fmt.Errorf("--value-file: %w", err)
			}
			defer fh.Close()
			r, name = fh, opts.ValueFile
		}
		data, err := io.ReadAll(io.LimitReader(r, 1<<20+1))
		if err != nil {
			return fmt.Errorf("read value from %s: %w", name, err)
		}
		if len(data) > 1<<20 {
			return fmt.Errorf("value from %s is larger than 1 MiB", name)
		}
		value = strings.TrimRight(string(data), " \t\r\n")
	}
	if value == "" {
		return cmdutil.FlagErrorf("the secret value is empty")
	}
	c, err := opts.Client()
	if err != nil {
		return err
	}
	if err := c.CreateProxySecret(ctx, client.CreateProxySecretRequest{
		Name: opts.Name, Host: opts.Host, Type: opts.Type, Value: value, Force: opts.Force,
	}); err != nil {
		if cmdutil.IsAPIStatus(err, 409) {
			return fmt.Errorf("create proxy secret %q: it already exists; add --force to overwrite it: %w", opts.Name, err)
		}
		return fmt.Errorf("create proxy secret %q: %w", opts.Name, err)
	}
	fmt.Fprintf(opts.IO.ErrOut, "Proxy secret %s stored for %s\n", opts.Name, opts.Host)
	return nil
}
