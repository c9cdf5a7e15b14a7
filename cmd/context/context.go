// Package contextcmd holds `slicer context`: named daemons in
// $XDG_CONFIG_HOME/slicer/config.yaml, kubectl-style.
package contextcmd

import (
	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
)

// NewCmdContext returns the `context` group.
func NewCmdContext(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "context <command>",
		Aliases: []string{"ctx"},
		Short:   "Manage named daemon connections",
		Long: `Manage contexts: named daemons with their URL and token file, stored in
$XDG_CONFIG_HOME/slicer/config.yaml (~/.config/slicer/config.yaml).

The current context is used when neither --url nor SLICER_URL is set;
--context NAME or SLICER_CONTEXT picks another one for one command.`,
		Example: `  slicer context add lab --url https://lab.example.com:8080 --token-file ~/.slicer/lab-token
  slicer context use lab
  slicer context list
  slicer --context lab vm list`,
		Args: cobra.ArbitraryArgs,
		RunE: cmdutil.GroupRunE,
	}
	cmd.AddCommand(
		NewCmdList(f, nil),
		NewCmdUse(f, nil),
		NewCmdShow(f, nil),
		NewCmdAdd(f, nil),
		NewCmdRemove(f, nil),
	)
	return cmd
}

func completeContexts(f *cmdutil.Factory) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 || f.Config == nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		file, err := f.Config()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return file.Names(), cobra.ShellCompDirectiveNoFileComp
	}
}
