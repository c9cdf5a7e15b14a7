package contextcmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/config"
	"github.com/slicer-cli/slicer/pkg/iostreams"
	"github.com/slicer-cli/slicer/pkg/output"
)

// ListOptions are the options of `context list`.
type ListOptions struct {
	IO     *iostreams.IOStreams
	Config func() (*config.File, error)
	Output output.Options
}

// ContextItem is one context in JSON output (never with a token).
type ContextItem struct {
	Name      string `json:"name"`
	URL       string `json:"url"`
	TokenFile string `json:"token_file,omitempty"`
	HasToken  bool   `json:"has_token"`
	Insecure  bool   `json:"insecure,omitempty"`
	Current   bool   `json:"current"`
}

// NewCmdList returns `context list`.
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Config: f.Config}
	cmd := &cobra.Command{
		Use:               "list",
		Aliases:           []string{"ls"},
		Short:             "List contexts",
		Example:           "  slicer context list",
		Args:              cmdutil.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return listRun(opts)
		},
	}
	output.AddFlags(cmd, &opts.Output)
	return cmd
}

func listRun(opts *ListOptions) error {
	file, err := opts.Config()
	if err != nil {
		return err
	}
	items := []ContextItem{}
	for _, c := range file.Contexts {
		items = append(items, ContextItem{
			Name: c.Name, URL: c.URL, TokenFile: c.TokenFile, HasToken: c.Token != "",
			Insecure: c.Insecure, Current: c.Name == file.CurrentContext,
		})
	}
	return opts.Output.Print(opts.IO, output.List(items,
		func(it ContextItem) string { return it.Name },
		[]output.Column{{Header: "NAME"}, {Header: "CURRENT"}, {Header: "URL"}, {Header: "TOKEN"}},
		func(it ContextItem) []string {
			cur := ""
			if it.Current {
				cur = "*"
			}
			tok := "-"
			switch {
			case it.TokenFile != "":
				tok = it.TokenFile
			case it.HasToken:
				tok = "(in config)"
			}
			return []string{it.Name, cur, it.URL, tok}
		},
	))
}
