package proxy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
)

// AllowOptions are the options of `proxy allow`.
type AllowOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)

	ClientName  string
	Hosts       []string
	Methods     []string
	Paths       []string
	Ports       []int
	TTL         time.Duration
	Secret      string
	Passthrough bool
}

// NewCmdAllow returns `proxy allow`.
func NewCmdAllow(f *cmdutil.Factory, runF func(context.Context, *AllowOptions) error) *cobra.Command {
	opts := &AllowOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "allow <client> --host <host>",
		Short: "Let a proxy client reach a host",
		Long: `Add an allow rule for a proxy client. --host is an exact host, *.suffix, or
* for any. --method and --path narrow the rule (a path is exact, or /prefix/*
for anything under it); --port defaults to 80 and 443. --secret makes the
proxy replace the client's Authorization with a proxy secret's credential.
--passthrough splices TLS without inspecting it (no --secret, --method or
--path). Rules match in the order they were added.`,
		Example: `  slicer proxy allow web-1 --host api.github.com
  slicer proxy allow web-1 --host api.openai.com --secret openai --method POST --path '/v1/*'
  slicer proxy allow web-1 --host '*.internal.example.com' --port 8443 --ttl 1h
  slicer proxy allow web-1 --host pinned.example.com --passthrough`,
		Args:              cmdutil.ExactArgs(1, "proxy client name"),
		ValidArgsFunction: cmdutil.CompleteProxyClients(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ClientName = args[0]
			if err := validateRuleFlags(opts.Hosts, opts.Methods, opts.Ports, opts.Secret, opts.Paths, opts.Passthrough); err != nil {
				return err
			}
			if opts.TTL < 0 {
				return cmdutil.FlagErrorf("--ttl must not be negative")
			}
			if opts.TTL > 0 && opts.TTL < time.Second {
				return cmdutil.FlagErrorf("--ttl must be at least 1s")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return allowRun(cmd.Context(), opts)
		},
	}
	addRuleFlags(cmd, f, &opts.Hosts, &opts.Methods, &opts.Paths, &opts.Ports, &opts.Secret, &opts.Passthrough)
	cmd.Flags().DurationVar(&opts.TTL, "ttl", 0, "Expire the rule after this long (e.g. 1h)")
	return cmd
}

func addRuleFlags(cmd *cobra.Command, f *cmdutil.Factory, hosts, methods, paths *[]string, ports *[]int, secret *string, passthrough *bool) {
	fl := cmd.Flags()
	fl.StringArrayVar(hosts, "host", nil, "Host: exact, *.suffix or * (repeatable: one rule each)")
	fl.StringArrayVar(methods, "method", nil, "HTTP method (repeatable)")
	fl.StringArrayVar(paths, "path", nil, "Path: exact or /prefix/* (repeatable)")
	fl.IntSliceVar(ports, "port", nil, "Upstream port (repeatable; default 80 and 443)")
	fl.StringVar(secret, "secret", "", "Inject this proxy secret's credential")
	fl.BoolVar(passthrough, "passthrough", false, "Splice TLS without inspection")
	_ = cmd.RegisterFlagCompletionFunc("secret", cmdutil.CompleteFlagProxySecrets(f))
	_ = cmd.RegisterFlagCompletionFunc("method", cmdutil.CompleteEnum("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))
}

func validateRuleFlags(hosts, methods []string, ports []int, secret string, paths []string, passthrough bool) error {
	if len(hosts) == 0 {
		return cmdutil.FlagErrorf("--host is required")
	}
	for _, h := range hosts {
		if strings.TrimSpace(h) == "" || strings.ContainsAny(h, "/ ") {
			return cmdutil.FlagErrorf("invalid --host %q: give a host name, *.suffix or *", h)
		}
	}
	for _, p := range ports {
		if p < 1 || p > 65535 {
			return cmdutil.FlagErrorf("invalid --port %d: must be 1-65535", p)
		}
	}
	for _, p := range paths {
		if !strings.HasPrefix(p, "/") && p != "*" {
			return cmdutil.FlagErrorf("invalid --path %q: must start with /", p)
		}
	}
	if passthrough && (secret != "" || len(methods) > 0 || len(paths) > 0) {
		return cmdutil.FlagErrorf("--passthrough cannot be combined with --secret, --method or --path")
	}
	return nil
}

func upper(v []string) []string {
	out := make([]string, 0, len(v))
	for _, m := range v {
		out = append(out, strings.ToUpper(strings.TrimSpace(m)))
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func allowRun(ctx context.Context, opts *AllowOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	for _, h := range opts.Hosts {
		req := client.AddProxyAllowRequest{
			Client:      opts.ClientName,
			Host:        h,
			Secret:      opts.Secret,
			Methods:     upper(opts.Methods),
			Paths:       opts.Paths,
			Ports:       opts.Ports,
			TTLSeconds:  int(opts.TTL / time.Second),
			Passthrough: opts.Passthrough,
		}
		if err := c.AddProxyAllow(ctx, req); err != nil {
			return fmt.Errorf("allow %s for proxy client %q: %w", h, opts.ClientName, err)
		}
		fmt.Fprintf(opts.IO.ErrOut, "Proxy client %s may reach %s\n", opts.ClientName, h)
	}
	return nil
}
