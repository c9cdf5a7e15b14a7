package clienttest_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/client/clienttest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestFakeRecordsAndDelegates(t *testing.T) {
	f := &clienttest.Fake{
		ListVMsFunc: func(ctx context.Context, opts ...client.ListOptions) ([]client.SlicerNode, error) {
			return []client.SlicerNode{{Hostname: "vm-1"}}, nil
		},
	}
	var c client.Interface = f
	nodes, err := c.ListVMs(context.Background(), client.ListOptions{Tag: "a=b"})
	if err != nil || len(nodes) != 1 || nodes[0].Hostname != "vm-1" {
		t.Fatalf("ListVMs = %v, %v", nodes, err)
	}
	if err := c.PauseVM(context.Background(), "vm-2"); err == nil || !strings.Contains(err.Error(), "PauseVMFunc") {
		t.Fatalf("unset PauseVM: %v", err)
	}
	if got := f.Methods(); strings.Join(got, ",") != "ListVMs,PauseVM" {
		t.Fatalf("methods = %v", got)
	}
	calls := f.CallsTo("ListVMs")
	if len(calls) != 1 || calls[0].Args[0].([]client.ListOptions)[0].Tag != "a=b" {
		t.Fatalf("calls = %+v", calls)
	}
	if got := f.CallsTo("PauseVM")[0].Args[0]; got != "vm-2" {
		t.Fatalf("PauseVM arg = %v", got)
	}
	f.Reset()
	if len(f.Calls()) != 0 {
		t.Fatal("Reset kept calls")
	}
	if c.BaseURL() != "fake://slicer" {
		t.Fatalf("BaseURL = %q", c.BaseURL())
	}
}

func TestFakeCommandUsesExecWithReader(t *testing.T) {
	f := &clienttest.Fake{
		ExecWithReaderFunc: func(ctx context.Context, vm string, req client.SlicerExecRequest, stdin io.Reader) (chan client.SlicerExecWriteResult, error) {
			in, _ := io.ReadAll(stdin)
			ch := make(chan client.SlicerExecWriteResult, 3)
			ch <- client.SlicerExecWriteResult{Type: "started", Pid: 9}
			ch <- client.SlicerExecWriteResult{Type: "stdout", Data: req.Command + ":" + string(in)}
			ch <- client.SlicerExecWriteResult{Type: "exit", ExitCode: 2}
			close(ch)
			return ch, nil
		},
	}
	cmd := f.Command(context.Background(), "vm-1", "cat")
	cmd.Stdin = strings.NewReader("in")
	out, err := cmd.Output()
	if string(out) != "cat:in" {
		t.Fatalf("out = %q", out)
	}
	var ee *client.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("err = %v", err)
	}
	if m := f.Methods(); strings.Join(m, ",") != "Command,ExecWithReader" {
		t.Fatalf("methods = %v", m)
	}
}

func TestFakeWatchDefaults(t *testing.T) {
	f := &clienttest.Fake{
		WatchFSFunc: func(ctx context.Context, vm string, req client.SlicerFSWatchRequest) (<-chan client.SlicerFSWatchEvent, <-chan error) {
			ev := make(chan client.SlicerFSWatchEvent, 2)
			errc := make(chan error, 1)
			ev <- client.SlicerFSWatchEvent{ID: 1, Path: "/a"}
			ev <- client.SlicerFSWatchEvent{ID: 2, Path: "/b"}
			close(ev)
			close(errc)
			return ev, errc
		},
	}
	var ids []uint64
	for ev, err := range f.WatchFSIter(context.Background(), "vm-1", client.SlicerFSWatchRequest{Paths: []string{"/"}}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ev.ID)
	}
	if len(ids) != 2 {
		t.Fatalf("ids = %v", ids)
	}
	var unset clienttest.Fake
	for _, err := range unset.WatchFSIter(context.Background(), "vm-1", client.SlicerFSWatchRequest{}) {
		if err == nil {
			t.Fatal("unset WatchFS produced an event")
		}
	}
}
