package vm

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/cmd/cmdutil/cmdtest"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/client/clienttest"
)

func TestReadyRun(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		readyAt   int // health answers OK from this call on (0: never)
		ranAt     int // userdata_ran from this call on
		wantErr   error
		wantStats bool
		exitCode  int
		wantMsg   string
	}{
		{name: "userdata failed", args: []string{"vm-1", "--userdata"}, readyAt: 1, ranAt: 1, exitCode: 3, wantStats: true, wantMsg: "userdata finished with exit code 3"},
		{name: "agent ready at once", args: []string{"vm-1"}, readyAt: 1},
		{name: "agent ready later", args: []string{"vm-1", "--interval", "1ms"}, readyAt: 3},
		{name: "userdata", args: []string{"vm-1", "--userdata", "--interval", "1ms"}, readyAt: 1, ranAt: 3, wantStats: true},
		{name: "timeout", args: []string{"vm-1", "--timeout", "30ms", "--interval", "5ms"}, readyAt: 0, wantErr: cmdutil.ErrTimeout},
		{name: "userdata timeout", args: []string{"vm-1", "--userdata", "--timeout", "30ms", "--interval", "5ms"}, readyAt: 1, wantErr: cmdutil.ErrTimeout, wantStats: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			fake := &clienttest.Fake{
				GetAgentHealthFunc: func(ctx context.Context, vm string, stats bool) (*client.SlicerAgentHealthResponse, error) {
					n++
					if stats != tt.wantStats {
						t.Errorf("includeStats = %v", stats)
					}
					if tt.readyAt == 0 || n < tt.readyAt {
						return nil, errors.New("agent not reachable")
					}
					h := &client.SlicerAgentHealthResponse{Hostname: vm, UserdataRan: tt.ranAt > 0 && n >= tt.ranAt}
					if h.UserdataRan {
						code := tt.exitCode
						h.UserdataExitCode = &code
					}
					return h, nil
				},
			}
			f, s := cmdtest.NewFactory(fake, false)
			start := time.Now()
			err := cmdtest.Run(NewCmdReady(f, nil), tt.args...)
			if tt.wantMsg != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("error = %v, want %q", err, tt.wantMsg)
				}
				return
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
				if time.Since(start) > 10*time.Second {
					t.Errorf("timeout not honoured")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(s.ErrOut.String(), "ready") {
				t.Errorf("stderr = %q", s.ErrOut)
			}
		})
	}
}
