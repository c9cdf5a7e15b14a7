package contextcmd

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/config"
	"github.com/slicer-cli/slicer/pkg/iostreams"
)

// AddOptions are the options of `context add`.
type AddOptions struct {
	IO     *iostreams.IOStreams
	Config func() (*config.File, error)

	Name      string
	URL       string
	TokenFile string
	Insecure  bool
	Use       bool
	Force     bool
}

// NewCmdAdd returns `context add`.
func NewCmdAdd(f *cmdutil.Factory, runF func(context.Context, *AddOptions) error) *cobra.Command {
	opts := &AddOptions{IO: f.IOStreams, Config: f.Config}
	cmd := &cobra.Command{
		Use:   "add <name> --url <url>",
		Short: "Add a context",
		Long: `Add a named daemon. The token is referenced by --token-file and read when
used; tokens themselves are not written to the config file.`,
		Example: `  slicer context add lab --url https://lab.example.com:8080 --token-file ~/.slicer/lab-token --use
  slicer context add mac --url ~/slicer-mac/slicer.sock`,
		Args:              cmdutil.ExactArgs(1, "context name"),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			// --token here is the root's flag: it would only apply to
			// this command and the context would be saved without it.
			if fl := cmd.Flags().Lookup("token"); fl != nil && fl.Changed {
				return cmdutil.FlagErrorf("contexts do not store tokens: put the token in a file only you can read (chmod 600) and pass --token-file FILE")
			}
			if opts.URL == "" {
				return cmdutil.FlagErrorf("--url is required")
			}
			if err := config.ValidateURL(opts.URL); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return addRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.URL, "url", "", "Daemon URL or unix socket path")
	cmd.Flags().StringVar(&opts.TokenFile, "token-file", "", "File holding the bearer token")
	cmd.Flags().BoolVar(&opts.Insecure, "insecure", false, "Skip TLS verification for this daemon (unsafe)")
	cmd.Flags().BoolVar(&opts.Use, "use", false, "Make it the current context")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "Replace an existing context of that name")
	_ = cmd.MarkFlagFilename("token-file")
	return cmd
}

func addRun(opts *AddOptions) error {
	file, err := opts.Config()
	if err != nil {
		return err
	}
	if _, ok := file.Find(opts.Name); ok && !opts.Force {
		return fmt.Errorf("context %q exists; add --force to replace it", opts.Name)
	}
	tokenFile := opts.TokenFile
	if tokenFile != "" {
		if _, warn, err := config.ReadTokenFile(tokenFile, opts.IO.Getenv); err != nil {
			return err
		} else if warn != "" {
			fmt.Fprintf(opts.IO.ErrOut, "warning: %s\n", warn)
		}
		if !filepath.IsAbs(tokenFile) && tokenFile[0] != '~' {
			if abs, err := filepath.Abs(tokenFile); err == nil {
				tokenFile = abs
			}
		}
	}
	file.Upsert(config.Context{Name: opts.Name, URL: opts.URL, TokenFile: tokenFile, Insecure: opts.Insecure})
	if opts.Use {
		file.CurrentContext = opts.Name
	}
	if err := file.Save(); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "Context %s saved in %s\n", opts.Name, file.Path())
	return nil
}
