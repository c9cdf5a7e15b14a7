// Package proxy holds `slicer proxy`: administration of the daemon's
// egress proxy (clients and their tokens, allow rules, injected secrets).
package proxy

import (
	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
)

// NewCmdProxy returns the `proxy` group.
func NewCmdProxy(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "proxy <command>",
		Short: "Administer the egress proxy",
		Long: `Administer the daemon's egress proxy: clients (each holds a token VMs use
as HTTPS_PROXY credentials), the hosts each client may reach, and upstream
secrets the proxy injects.`,
		Example: `  PROXY_TOKEN=$(slicer proxy client create web-1)
  slicer proxy allow web-1 --host api.github.com
  slicer proxy rules web-1
  slicer proxy revoke web-1 --host api.github.com`,
		Args: cobra.ArbitraryArgs,
		RunE: cmdutil.GroupRunE,
	}
	clientCmd := &cobra.Command{
		Use:               "client <command>",
		Aliases:           []string{"clients"},
		Short:             "Manage proxy clients and their tokens",
		Example:           "  slicer proxy client create web-1\n  slicer proxy client list",
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE:              cmdutil.GroupRunE,
	}
	clientCmd.AddCommand(NewCmdClientCreate(f, nil), NewCmdClientList(f, nil), NewCmdClientDelete(f, nil))
	secretCmd := &cobra.Command{
		Use:               "secret <command>",
		Aliases:           []string{"secrets"},
		Short:             "Manage upstream credentials the proxy injects",
		Example:           "  slicer proxy secret create gh --host api.github.com --value-file ./pat\n  slicer proxy secret list",
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE:              cmdutil.GroupRunE,
	}
	secretCmd.AddCommand(NewCmdSecretCreate(f, nil), NewCmdSecretList(f, nil), NewCmdSecretDelete(f, nil))
	cmd.AddCommand(clientCmd, secretCmd, NewCmdAllow(f, nil), NewCmdRules(f, nil), NewCmdRevoke(f, nil))
	return cmd
}
