// Package vm holds `slicer vm` (alias `v`): listing, launching, lifecycle
// and observability of VMs. The guest verbs (exec, shell, cp, forward, bg)
// come from their own packages and are added by the root command.
package vm

import (
	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
)

// NewCmdVM returns the `vm` group with its own verbs. extra are added too
// (the guest verbs wired by the root).
func NewCmdVM(f *cmdutil.Factory, extra ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "vm <command>",
		Aliases: []string{"v"},
		Short:   "Launch, list and manage VMs",
		Long: `Launch, list and manage VMs on the daemon.

Every command that takes a VM accepts its hostname or its friendly name
(the name= tag set with 'vm add --name').`,
		Example: `  slicer vm add --name web --wait
  slicer vm list
  slicer vm exec web -- uname -a
  slicer vm delete web`,
		Args: cobra.ArbitraryArgs,
		RunE: cmdutil.GroupRunE,
	}
	cmd.AddCommand(
		NewCmdList(f, nil),
		NewCmdGroup(f, nil),
		NewCmdAdd(f, nil),
		NewCmdDelete(f, nil),
		NewCmdPause(f, nil),
		NewCmdResume(f, nil),
		NewCmdSuspend(f, nil),
		NewCmdRestore(f, nil),
		NewCmdShutdown(f, nil),
		NewCmdRelaunch(f, nil),
		NewCmdReady(f, nil),
		NewCmdHealth(f, nil),
		NewCmdLogs(f, nil),
		NewCmdTop(f, nil),
	)
	cmd.AddCommand(extra...)
	return cmd
}
