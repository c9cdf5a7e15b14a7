// Package cmdutil holds what every slicer command shares: the Factory that
// hands out streams and a lazily built client, the error types that the one
// error-to-exit-code function in cmd/execute.go understands, argument and
// completion helpers, and friendly-name resolution for VM arguments.
package cmdutil

import (
	"context"
	"time"

	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/config"
	"github.com/slicer-cli/slicer/pkg/iostreams"
)

// Factory is passed to every command constructor. Its functions are called
// only from run functions, after flags are parsed, so that persistent flags
// such as --url are honoured.
type Factory struct {
	IOStreams *iostreams.IOStreams

	// Client returns the API client for the resolved daemon, built once.
	Client func() (client.Interface, error)

	// Connection returns the resolved daemon address and credentials
	// (without building a client). Used by info, context show and errors.
	Connection func() (*config.Connection, error)

	// Config loads the config file ($XDG_CONFIG_HOME/slicer/config.yaml).
	Config func() (*config.File, error)

	// Run runs another slicer command line in-process with the same
	// connection (vm add --shell runs "vm shell <vm>"). Set by the root.
	Run func(ctx context.Context, args ...string) error

	// AppVersion is the slicer version string (set at build time).
	AppVersion string

	// Now returns the current time (tests pin it).
	Now func() time.Time
}

// NowFunc returns f.Now, or time.Now when unset.
func (f *Factory) NowFunc() func() time.Time {
	if f != nil && f.Now != nil {
		return f.Now
	}
	return time.Now
}
