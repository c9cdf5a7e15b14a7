package vm

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/slicer-cli/slicer/cmd/cmdutil/cmdtest"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/client/clienttest"
)

func TestHealthRun(t *testing.T) {
	for _, tt := range []struct {
		name, golden string
		args         []string
		tty          bool
	}{
		{"table", "health_table", []string{"vm-1"}, false},
		{"table tty", "health_table", []string{"vm-1"}, true},
		{"json", "health_json", []string{"vm-1", "--json"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake := &clienttest.Fake{
				GetAgentHealthFunc: func(ctx context.Context, vm string, stats bool) (*client.SlicerAgentHealthResponse, error) {
					return &client.SlicerAgentHealthResponse{Hostname: vm, AgentUptime: 53 * time.Second, SystemUptime: 7*time.Minute + 45*time.Second,
						AgentVersion: "0.1.55", UserdataRan: true, IP: "192.168.137.2"}, nil
				},
			}
			f, s := cmdtest.NewFactory(fake, tt.tty)
			if err := cmdtest.Run(NewCmdHealth(f, nil), tt.args...); err != nil {
				t.Fatal(err)
			}
			cmdtest.Golden(t, tt.golden, s.Out.Bytes())
		})
	}
}

func TestHealthRunAPIError(t *testing.T) {
	fake := &clienttest.Fake{
		GetAgentHealthFunc: func(ctx context.Context, vm string, stats bool) (*client.SlicerAgentHealthResponse, error) {
			return nil, &client.APIError{Method: "GET", Path: "/vm/x/health", StatusCode: 409, Message: "VM x is paused"}
		},
	}
	f, _ := cmdtest.NewFactory(fake, false)
	err := cmdtest.Run(NewCmdHealth(f, nil), "x")
	if err == nil || !strings.Contains(err.Error(), "paused") {
		t.Fatalf("error = %v", err)
	}
}
