// Package info holds `slicer info` (client and daemon versions) and
// `slicer version` (client only, offline).
package info

import (
	"context"
	"fmt"
	"io"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
	"github.com/slicer-cli/slicer/pkg/output"
)

// ClientInfo describes this slicer binary.
type ClientInfo struct {
	Version  string `json:"version"`
	Platform string `json:"platform"`
	Arch     string `json:"arch"`
	Go       string `json:"go"`
}

// Client returns the ClientInfo of this binary.
func Client(version string) ClientInfo {
	if version == "" {
		version = "dev"
	}
	return ClientInfo{Version: version, Platform: runtime.GOOS, Arch: runtime.GOARCH, Go: runtime.Version()}
}

// Info is the output of `slicer info`.
type Info struct {
	Client ClientInfo         `json:"client"`
	Server *client.SlicerInfo `json:"server"`
	URL    string             `json:"url"`
}

// InfoOptions are the options of `info`.
type InfoOptions struct {
	IO      *iostreams.IOStreams
	Client  func() (client.Interface, error)
	Version string
	Output  output.Options
}

// NewCmdInfo returns `info`.
func NewCmdInfo(f *cmdutil.Factory, runF func(context.Context, *InfoOptions) error) *cobra.Command {
	opts := &InfoOptions{IO: f.IOStreams, Client: f.Client, Version: f.AppVersion}
	cmd := &cobra.Command{
		Use:   "info",
		Short: "Show the client and daemon versions",
		Long:  "Show this slicer's version and the daemon's (GET /info), and which daemon was asked.",
		Example: `  slicer info
  slicer --url ./slicer.sock info --json`,
		Args:              cmdutil.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return infoRun(cmd.Context(), opts)
		},
	}
	output.AddFlags(cmd, &opts.Output, output.Table, output.JSON, output.YAML)
	return cmd
}

func infoRun(ctx context.Context, opts *InfoOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	srv, err := c.GetInfo(ctx)
	if err != nil {
		return fmt.Errorf("daemon info from %s: %w", c.BaseURL(), err)
	}
	in := Info{Client: Client(opts.Version), Server: srv, URL: c.BaseURL()}
	return opts.Output.Print(opts.IO, output.Data{
		Value: in,
		Human: func(w io.Writer) error {
			_, err := fmt.Fprintf(w, "Client:\n  Version:  %s\n  Platform: %s/%s\n\nServer:\n  URL:      %s\n  Version:  %s\n  Commit:   %s\n  Platform: %s/%s\n",
				in.Client.Version, in.Client.Platform, in.Client.Arch,
				output.SanitizeCell(in.URL), dash(srv.Version), dash(srv.GitCommit), dash(srv.Platform), dash(srv.Arch))
			return err
		},
	})
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return output.SanitizeCell(s)
}

// VersionOptions are the options of `version`.
type VersionOptions struct {
	IO      *iostreams.IOStreams
	Version string
	Output  output.Options
}

// NewCmdVersion returns `version`.
func NewCmdVersion(f *cmdutil.Factory) *cobra.Command {
	opts := &VersionOptions{IO: f.IOStreams, Version: f.AppVersion}
	cmd := &cobra.Command{
		Use:               "version",
		Short:             "Show the slicer client version",
		Example:           "  slicer version\n  slicer version --json",
		Args:              cmdutil.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			ci := Client(opts.Version)
			return opts.Output.Print(opts.IO, output.Data{
				Value: ci,
				Human: func(w io.Writer) error {
					_, err := fmt.Fprintf(w, "slicer version %s %s/%s\n", ci.Version, ci.Platform, ci.Arch)
					return err
				},
			})
		},
	}
	output.AddFlags(cmd, &opts.Output, output.Table, output.JSON, output.YAML)
	return cmd
}
