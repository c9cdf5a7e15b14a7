package cmd

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/slicer-cli/slicer/cmd/bg"
	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/cmd/completion"
	contextcmd "github.com/slicer-cli/slicer/cmd/context"
	"github.com/slicer-cli/slicer/cmd/cp"
	execcmd "github.com/slicer-cli/slicer/cmd/exec"
	"github.com/slicer-cli/slicer/cmd/forward"
	"github.com/slicer-cli/slicer/cmd/fs"
	"github.com/slicer-cli/slicer/cmd/info"
	"github.com/slicer-cli/slicer/cmd/local"
	"github.com/slicer-cli/slicer/cmd/proxy"
	"github.com/slicer-cli/slicer/cmd/secret"
	"github.com/slicer-cli/slicer/cmd/shell"
	"github.com/slicer-cli/slicer/cmd/vm"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/config"
	"github.com/slicer-cli/slicer/pkg/iostreams"
)

// NewFactory returns the production Factory and a function that reports the
// daemon address in use (for error hints; "" when none was resolved). The
// client functions are installed by NewCmdRoot, bound to its flags.
func NewFactory(ios *iostreams.IOStreams, version string) (*cmdutil.Factory, func() string) {
	f := &cmdutil.Factory{IOStreams: ios, AppVersion: version}
	target := func() string {
		if f.Connection == nil {
			return ""
		}
		conn, err := f.Connection()
		if err != nil || conn == nil {
			return ""
		}
		return conn.URL
	}
	return f, target
}

// globalFlags are the persistent connection flags.
type globalFlags struct {
	url, api, token, tokenFile, context string
	debug, insecure                     bool
}

// NewCmdRoot builds the whole command tree. When f has no Client (the
// production path), NewCmdRoot installs one built lazily from the
// persistent flags, the environment and the config file.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	ios := f.IOStreams
	g := &globalFlags{}
	v := viper.New()

	cmd := &cobra.Command{
		Use:   "slicer <command> <subcommand> [flags]",
		Short: "Operate Slicer microVM daemons",
		Long: `slicer drives a Slicer daemon's REST API: launch and manage VMs, run commands
in them, copy files, forward ports, and manage secrets and the egress proxy.

It talks to the daemon named by --url (or SLICER_URL, or the current context),
and otherwise to the 'slicer local' daemon when one is running.`,
		Example: `  # start the embedded daemon and launch a VM
  slicer local up &
  slicer vm add --wait
  slicer vm list

  # talk to a remote daemon with a token file
  slicer --url https://slicer.example.com --token-file ~/.slicer/token vm list`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       versionString(f.AppVersion),
	}
	cmd.SetOut(ios.Out)
	cmd.SetErr(ios.ErrOut)
	cmd.SetIn(ios.In)
	cmd.SetVersionTemplate("slicer version {{.Version}}\n")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cmdutil.FlagErrorWrap(err) })
	cmd.CompletionOptions.DisableDefaultCmd = true

	pf := cmd.PersistentFlags()
	pf.StringVar(&g.url, "url", "", "Daemon URL (http(s)://host:port) or unix socket path [$SLICER_URL]")
	pf.StringVar(&g.api, "api", "", "Old spelling of --url")
	_ = pf.MarkHidden("api")
	pf.StringVar(&g.token, "token", "", "Bearer token (prefer --token-file) [$SLICER_TOKEN]")
	pf.StringVar(&g.tokenFile, "token-file", "", "File holding the bearer token [$SLICER_TOKEN_FILE]")
	pf.StringVar(&g.context, "context", "", "Config context to use [$SLICER_CONTEXT]")
	pf.BoolVar(&g.debug, "debug", false, "Trace HTTP requests on stderr (tokens redacted)")
	pf.BoolVar(&g.insecure, "insecure", false, "Skip TLS certificate verification (unsafe)")
	_ = cmd.RegisterFlagCompletionFunc("context", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		file, err := config.Load(config.Path(getenvOf(ios)))
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return file.Names(), cobra.ShellCompDirectiveNoFileComp
	})

	// One Viper instance (never the global) merges flags and environment.
	for key, env := range map[string]string{
		"url": "SLICER_URL", "token": "SLICER_TOKEN", "token-file": "SLICER_TOKEN_FILE", "context": "SLICER_CONTEXT",
	} {
		_ = v.BindPFlag(key, pf.Lookup(key))
		_ = v.BindEnv(key, env)
	}

	if f.Config == nil {
		f.Config = func() (*config.File, error) { return config.Load(config.Path(getenvOf(ios))) }
	}
	if f.Client == nil {
		installClient(f, cmd, g, v)
	}

	if f.Run == nil {
		f.Run = func(ctx context.Context, args ...string) error {
			sub := NewCmdRoot(f)
			sub.SetArgs(args)
			return sub.ExecuteContext(ctx)
		}
	}

	addCommands(cmd, f)
	return cmd
}

func getenvOf(ios *iostreams.IOStreams) config.Env {
	if ios.Getenv != nil {
		return ios.Getenv
	}
	return func(string) string { return "" }
}

func versionString(v string) string {
	if v == "" {
		v = "dev"
	}
	if Commit != "" {
		return v + " (" + Commit + ")"
	}
	return v
}

// installClient wires f.Connection and f.Client to the root's flags.
func installClient(f *cmdutil.Factory, root *cobra.Command, g *globalFlags, v *viper.Viper) {
	ios := f.IOStreams
	pf := root.PersistentFlags()
	source := func(flag, env string) string {
		if changed(pf, flag) {
			return "--" + flag
		}
		return env
	}

	var connOnce sync.Once
	var conn *config.Connection
	var connErr error
	f.Connection = func() (*config.Connection, error) {
		connOnce.Do(func() {
			in := config.Inputs{
				Context: v.GetString("context"), ContextSource: source("context", "SLICER_CONTEXT"),
				Insecure: g.insecure,
				Getenv:   getenvOf(ios),
			}
			switch {
			case changed(pf, "url"):
				in.URL, in.URLSource = g.url, "--url"
			case changed(pf, "api"):
				in.URL, in.URLSource = g.api, "--api"
			default:
				in.URL, in.URLSource = v.GetString("url"), "SLICER_URL"
			}
			if in.URL != "" {
				if err := config.ValidateURL(in.URL); err != nil {
					connErr = cmdutil.FlagErrorWrap(fmt.Errorf("%w (from %s)", err, in.URLSource))
					return
				}
			}
			// A flag beats any environment variable; between the two
			// token forms, the literal token wins at the same level.
			switch {
			case changed(pf, "token"):
				in.Token, in.TokenSource = g.token, "--token"
			case changed(pf, "token-file"):
				in.TokenFile, in.TokenFileSource = g.tokenFile, "--token-file"
			default:
				in.Token, in.TokenSource = v.GetString("token"), "SLICER_TOKEN"
				in.TokenFile, in.TokenFileSource = v.GetString("token-file"), "SLICER_TOKEN_FILE"
			}
			conn, connErr = config.Resolve(in)
			if connErr == nil {
				for _, w := range conn.Warnings {
					fmt.Fprintf(ios.ErrOut, "warning: %s\n", w)
				}
			}
		})
		return conn, connErr
	}

	var clientOnce sync.Once
	var c client.Interface
	var clientErr error
	f.Client = func() (client.Interface, error) {
		clientOnce.Do(func() {
			conn, err := f.Connection()
			if err != nil {
				clientErr = err
				return
			}
			c = buildClient(conn, g.debug, ios, f.AppVersion)
		})
		return c, clientErr
	}
}

func changed(fs *pflag.FlagSet, name string) bool {
	fl := fs.Lookup(name)
	return fl != nil && fl.Changed
}

// buildClient makes the API client for conn. TCP clients never follow
// redirects. With --debug every request is traced on stderr; over a unix
// socket that needs our own socket transport.
func buildClient(conn *config.Connection, debug bool, ios *iostreams.IOStreams, version string) client.Interface {
	ua := conn.UserAgent
	if ua == "" {
		ua = "slicer/" + versionString(version)
	}
	base := conn.URL
	socket := config.IsSocket(base)
	if socket && !debug {
		return client.NewSlicerClient(base, conn.Token, ua, nil)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if conn.Insecure && !socket {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} // #nosec G402 -- the user asked for --insecure
	}
	if socket {
		path := config.SocketPath(base, getenvOf(ios))
		var d net.Dialer
		tr.Proxy = nil
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", path)
		}
		base = "http://localhost"
	}
	var rt http.RoundTripper = tr
	if debug {
		fmt.Fprintf(ios.ErrOut, "* daemon %s (url from %s, token from %s)\n", conn.URL, conn.URLSource, tokenSourceText(conn))
		rt = &cmdutil.DebugTransport{Base: tr, W: ios.ErrOut}
	}
	// Redirects are never followed: Go would resend the Authorization
	// header to the same host over plain http (THREATS.md D6). A 3xx
	// answer becomes an API error instead.
	hc := &http.Client{
		Transport:     rt,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return client.NewSlicerClient(base, conn.Token, ua, hc)
}

func tokenSourceText(conn *config.Connection) string {
	if conn.TokenSource == "" {
		return "nowhere: no token"
	}
	return conn.TokenSource
}

// addCommands wires every command group into root.
func addCommands(root *cobra.Command, f *cmdutil.Factory) {
	root.AddGroup(
		&cobra.Group{ID: "vm", Title: "VM commands:"},
		&cobra.Group{ID: "admin", Title: "Daemon administration:"},
		&cobra.Group{ID: "config", Title: "Configuration:"},
	)
	add := func(group string, cmds ...*cobra.Command) {
		for _, c := range cmds {
			c.GroupID = group
			root.AddCommand(c)
		}
	}

	add("vm", vm.NewCmdVM(f, guestCommands(f)...))

	// Top-level shortcuts of the vendor CLI: ls (= vm list), and hidden
	// old spellings kept for copy-pasted commands.
	ls := vm.NewCmdList(f, nil)
	ls.Use = "ls [hostgroup]"
	ls.Aliases = []string{"list"}
	ls.Short = "List VMs (same as vm list)"
	add("vm", ls)
	for _, c := range []*cobra.Command{vm.NewCmdLogs(f, nil), vm.NewCmdRelaunch(f, nil)} {
		c.Hidden = true
		root.AddCommand(c)
	}
	add("vm", topLevelGuestCommands(f)...)

	add("admin", secret.NewCmdSecret(f), proxy.NewCmdProxy(f), info.NewCmdInfo(f, nil))
	add("admin", local.NewCmdLocal(f))
	add("config", contextcmd.NewCmdContext(f), completion.NewCmdCompletion(f), info.NewCmdVersion(f))

	root.AddCommand(newCmdHelpTopics()...)
	root.SetHelpCommand(newCmdHelp())
}

// guestCommands are the guest verbs that live under `slicer vm`.
func guestCommands(f *cmdutil.Factory) []*cobra.Command {
	return []*cobra.Command{
		execcmd.NewCmdExec(f, nil),
		bg.NewCmdBg(f),
		cp.NewCmdCp(f, nil),
		shell.NewCmdShell(f, nil),
		forward.NewCmdForward(f, nil),
	}
}

// topLevelGuestCommands are the guest verbs also offered at the top level
// (slicer exec, bg, cp, fs, shell, forward).
func topLevelGuestCommands(f *cmdutil.Factory) []*cobra.Command {
	return []*cobra.Command{
		execcmd.NewCmdExec(f, nil),
		bg.NewCmdBg(f),
		cp.NewCmdCp(f, nil),
		fs.NewCmdFS(f),
		shell.NewCmdShell(f, nil),
		forward.NewCmdForward(f, nil),
	}
}
