package localdaemon

import (
	"context"
	"os"
	"testing"

	"github.com/slicer-cli/slicer/pkg/client"
)

// GET /info reports the version of the binary serving it (passed in by
// `slicer local up`), and "dev" when none was given.
func TestInfoReportsBinaryVersion(t *testing.T) {
	for _, tc := range []struct{ given, want string }{{"1.2.3", "1.2.3"}, {"", "dev"}} {
		dir, err := os.MkdirTemp("", "sl-ver-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		d, err := Start(Options{StateDir: dir, Version: tc.given})
		if err != nil {
			t.Fatal(err)
		}
		info, err := client.NewSlicerClient(d.SocketPath(), "", "", nil).GetInfo(context.Background())
		d.Close()
		if err != nil {
			t.Fatal(err)
		}
		if info.Version != tc.want {
			t.Errorf("Version %q: /info says %q, want %q", tc.given, info.Version, tc.want)
		}
	}
}
