// Package completion holds `slicer completion`: shell completion scripts.
package completion

import (
	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
)

// NewCmdCompletion returns `completion bash|zsh|fish|powershell`.
func NewCmdCompletion(f *cmdutil.Factory) *cobra.Command {
	var noDesc bool
	cmd := &cobra.Command{
		Use:   "completion <bash|zsh|fish|powershell>",
		Short: "Print a shell completion script",
		Long: `Print the completion script for a shell. Completions include VM names,
host groups, secret and proxy client names from the daemon (asked with a
short timeout; nothing is printed when it cannot be reached).

  bash:        source <(slicer completion bash)
               or: slicer completion bash > /etc/bash_completion.d/slicer
  zsh:         slicer completion zsh > "${fpath[1]}/_slicer"
  fish:        slicer completion fish > ~/.config/fish/completions/slicer.fish
  powershell:  slicer completion powershell | Out-String | Invoke-Expression`,
		Example: `  source <(slicer completion bash)
  slicer completion zsh > ~/.zsh/completions/_slicer`,
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		Args:      cmdutil.ExactArgs(1, "shell (bash, zsh, fish or powershell)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := f.IOStreams.Out
			root := cmd.Root()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, !noDesc)
			case "zsh":
				if noDesc {
					return root.GenZshCompletionNoDesc(out)
				}
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, !noDesc)
			case "powershell":
				if noDesc {
					return root.GenPowerShellCompletion(out)
				}
				return root.GenPowerShellCompletionWithDesc(out)
			}
			return cmdutil.FlagErrorf("unsupported shell %q: use bash, zsh, fish or powershell", args[0])
		},
	}
	cmd.Flags().BoolVar(&noDesc, "no-descriptions", false, "Leave descriptions out of completions")
	return cmd
}
