package vm

import (
	"context"
	"testing"

	"github.com/slicer-cli/slicer/cmd/cmdutil/cmdtest"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/client/clienttest"
)

func TestLogsRun(t *testing.T) {
	for _, tt := range []struct {
		name, want string
		args       []string
		tty        bool
		wantLines  int
	}{
		{"default lines piped keeps bytes", "boot\n\x1b[2Jok\n", []string{"vm-1"}, false, 20},
		{"tty escapes control characters", "boot\n\\x1b[2Jok\n", []string{"vm-1"}, true, 20},
		{"all lines", "boot\n\x1b[2Jok\n", []string{"vm-1", "--lines", "0"}, false, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake := &clienttest.Fake{
				GetVMLogsFunc: func(ctx context.Context, vm string, lines int) (*client.SlicerLogsResponse, error) {
					if lines != tt.wantLines {
						t.Errorf("lines = %d, want %d", lines, tt.wantLines)
					}
					return &client.SlicerLogsResponse{Hostname: vm, Lines: 2, Content: "boot\n\x1b[2Jok\n"}, nil
				},
			}
			f, s := cmdtest.NewFactory(fake, tt.tty)
			if err := cmdtest.Run(NewCmdLogs(f, nil), tt.args...); err != nil {
				t.Fatal(err)
			}
			if s.Out.String() != tt.want {
				t.Errorf("stdout = %q, want %q", s.Out, tt.want)
			}
		})
	}
}

func TestNewSuffix(t *testing.T) {
	tests := []struct{ seen, cur, want string }{
		{"", "a\nb\n", "a\nb\n"},
		{"a\nb\n", "a\nb\n", ""},
		{"a\nb\n", "a\nb\nc\n", "c\n"},
		{"a\nb\nc\n", "b\nc\nd\n", "d\n"},
		{"x\ny\n", "p\nq\n", "p\nq\n"},
	}
	for _, tt := range tests {
		if got := newSuffix(tt.seen, tt.cur); got != tt.want {
			t.Errorf("newSuffix(%q, %q) = %q, want %q", tt.seen, tt.cur, got, tt.want)
		}
	}
}
