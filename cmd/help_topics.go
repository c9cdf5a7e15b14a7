package cmd

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
)

// helpTopics are `slicer help <topic>` pages without a command.
var helpTopics = []struct {
	name, short, long string
}{
	{
		name:  "exit-codes",
		short: "Exit codes of slicer commands",
		long: `slicer exits with:

  0        success
  N        the remote process's own non-zero exit code, unchanged
           (vm exec, bg exec --follow, bg wait)
  0        shell ended by the remote shell (the protocol carries no exit status)
  1        an API or other error
  2        a usage error: unknown command or flag, bad or missing argument
  124      timed out waiting (--timeout on vm ready, vm add --wait, bg wait ...)
  128+N    interrupted by signal N (130 for Ctrl-C, 143 for SIGTERM)
  255      the connection to the daemon was lost during exec or shell
           (no exit status arrived)

Errors go to stderr with a line saying what to do; stdout carries only data.`,
	},
	{
		name:  "environment",
		short: "Environment variables and connection settings",
		long: `Which daemon slicer talks to, first match wins:

  1. --url (or the old spelling --api)
  2. SLICER_URL
  3. the context chosen by --context, SLICER_CONTEXT or current-context in
     $XDG_CONFIG_HOME/slicer/config.yaml (see 'slicer context --help')
  4. the 'slicer local' daemon's socket, when it answers:
     $XDG_STATE_HOME/slicer/local/slicer.sock (~/.local/state/slicer/local/slicer.sock)
  5. ~/slicer-mac/slicer.sock when it exists, else http://127.0.0.1:8080

A URL is a unix socket when it starts with /, ./, ../, ~/ or unix://, or
ends in .sock; otherwise it is http(s)://host:port.

The bearer token, first match wins:

  1. --token (warned about: it shows in the process list and shell history)
  2. --token-file FILE
  3. SLICER_TOKEN
  4. SLICER_TOKEN_FILE
  5. the context's token or token-file, only when the URL in use is the
     context's own (a --url or SLICER_URL naming another daemon never
     receives it, nor the context's insecure setting)
  6. /var/lib/slicer/auth/token when readable, for a daemon on this machine

Token files are trimmed of surrounding whitespace; ~/ is expanded; a file
readable by other users is warned about. Tokens are never printed, not even
with --debug (Authorization: Bearer <redacted>).

Other variables:

  SLICER_USER_AGENT   User-Agent sent to the daemon (default slicer/<version>)
  SLICER_CONTEXT      config context to use
  XDG_CONFIG_HOME     where config.yaml lives (default ~/.config)
  XDG_STATE_HOME      where 'slicer local' keeps its state (default ~/.local/state)
  NO_COLOR            disable colour; CLICOLOR_FORCE=1 forces it; TERM=dumb disables it`,
	},
	{
		name:  "formatting",
		short: "Output formats: table, wide, json, yaml, name, --jq, --template",
		long: `Listing and show commands take -o/--output:

  table   the default: an ALL-CAPS header line, a line of dashes, then one
          row per item with the VM hostname in column 1. Scripts may rely on
          'awk 'NR>2 {print $1}''.
  wide    the table with extra columns
  json    the daemon's objects with their wire field names; an empty list
          is []. --json is the same as -o json.
  yaml    the same data as YAML
  name    one bare name per line (hostnames for VMs)

JSON can be filtered:

  --jq EXPR         a jq expression (strings print raw, one result per line)
                    slicer vm list --jq '.[] | select(.status=="Running") | .hostname'
  --template TMPL   a Go template over the JSON data
                    slicer vm list --template '{{range .}}{{.hostname}} {{.ip}}{{"\n"}}{{end}}'

--no-headers drops the two header lines of a table.

stdout carries only data; progress, warnings and confirmations go to stderr.
On a terminal tables may use colour (never with NO_COLOR), show times as
ages ("5 minutes ago"), cut long free text such as tags or a command line
to the terminal's width (ending in "…"), and show control characters sent
by the daemon escaped. Columns never change; piped output is plain, whole,
and has timestamps.`,
	},
}

func newCmdHelpTopics() []*cobra.Command {
	var out []*cobra.Command
	for _, t := range helpTopics {
		out = append(out, &cobra.Command{
			Use:   t.name,
			Short: t.short,
			Long:  t.long,
			Args:  cobra.NoArgs,
			// A help topic is not runnable: cobra lists it under
			// "Additional help topics" and `slicer help <topic>` shows it.
			Hidden: false,
		})
	}
	return out
}

// newCmdHelp replaces cobra's help command, which answers an unknown topic
// with the root usage and exit code 0: `slicer help nosuch` (or `slicer help
// vm nosuch`) is a usage error, like `slicer nosuch`.
func newCmdHelp() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command or topic",
		Long: `Help shows the help of any command or topic: slicer help vm add,
slicer help exit-codes. Without an argument it shows slicer's own help.`,
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			parent, rest, err := c.Root().Find(args)
			if err != nil || len(rest) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []cobra.Completion
			for _, sub := range parent.Commands() {
				if (sub.IsAvailableCommand() || sub.IsAdditionalHelpTopicCommand()) && strings.HasPrefix(sub.Name(), toComplete) {
					out = append(out, cobra.CompletionWithDesc(sub.Name(), sub.Short))
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			target, rest, err := c.Root().Find(args)
			if err != nil || target == nil || len(rest) > 0 {
				return cmdutil.FlagErrorf("unknown help topic %q: 'slicer help' lists the commands and topics", strings.Join(args, " "))
			}
			target.InitDefaultHelpFlag()
			target.InitDefaultVersionFlag()
			return target.Help()
		},
	}
}
