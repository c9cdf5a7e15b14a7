package fs

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/client/clienttest"
	"github.com/slicer-cli/slicer/pkg/iostreams"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newFactory(fake *clienttest.Fake) (*cmdutil.Factory, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	ios, in, out, errOut := iostreams.Test()
	return &cmdutil.Factory{IOStreams: ios, Client: func() (client.Interface, error) { return fake, nil }}, in, out, errOut
}

func oneVM(context.Context, ...client.ListOptions) ([]client.SlicerNode, error) {
	return []client.SlicerNode{{Hostname: "vm-1"}}, nil
}

type runner interface {
	SetArgs([]string)
	SetOut(io.Writer)
	SetErr(io.Writer)
	Execute() error
}

func exec(c runner, args ...string) error {
	c.SetArgs(args)
	c.SetOut(io.Discard)
	c.SetErr(io.Discard)
	return c.Execute()
}

func TestFlagParsing(t *testing.T) {
	f, _, _, _ := newFactory(&clienttest.Fake{})
	var mk *MkdirOptions
	if err := exec(NewCmdMkdir(f, func(_ context.Context, o *MkdirOptions) error { mk = o; return nil }), "-p", "vm-1", "/a/b", "--mode", "0700"); err != nil {
		t.Fatal(err)
	}
	if !mk.Parents || mk.Mode != "0700" || mk.VM != "vm-1" || mk.Path != "/a/b" {
		t.Errorf("%+v", mk)
	}
	var rm *RmOptions
	if err := exec(NewCmdRm(f, func(_ context.Context, o *RmOptions) error { rm = o; return nil }), "-rf", "vm-1", "/x"); err != nil {
		t.Fatal(err)
	}
	if !rm.Recursive || !rm.Force {
		t.Errorf("%+v", rm)
	}
	var w *WatchOptions
	if err := exec(NewCmdWatch(f, func(_ context.Context, o *WatchOptions) error { w = o; return nil }),
		"vm-1", "/a", "/b", "--pattern", "*.go", "--event", "create", "--one-shot", "--timeout", "5s", "-r", "-o", "json"); err != nil {
		t.Fatal(err)
	}
	if len(w.Paths) != 2 || !w.OneShot || w.Timeout != 5*time.Second || !w.Recursive || w.Output.Format != "json" {
		t.Errorf("%+v", w)
	}
	var ls *PathOptions
	if err := exec(NewCmdLs(f, func(_ context.Context, o *PathOptions) error { ls = o; return nil }), "vm-1"); err != nil {
		t.Fatal(err)
	}
	if ls.Path != "~" {
		t.Errorf("default path %q", ls.Path)
	}
	for _, bad := range []struct {
		c    runner
		args []string
	}{
		{NewCmdMkdir(f, nil), []string{"vm-1", "/x", "--mode", "abc"}},
		{NewCmdWatch(f, nil), []string{"vm-1", "/x", "--event", "explode"}},
		{NewCmdWatch(f, nil), []string{"vm-1"}},
		{NewCmdStat(f, nil), []string{"vm-1"}},
		{NewCmdWrite(f, nil), []string{"vm-1", "/x", "--permissions", "rw"}},
	} {
		err := exec(bad.c, bad.args...)
		var fe *cmdutil.FlagError
		if !errors.As(err, &fe) {
			t.Errorf("%v: err = %v, want usage error", bad.args, err)
		}
	}
}

func TestLsTableAndJSON(t *testing.T) {
	fake := &clienttest.Fake{
		ReadDirFunc: func(_ context.Context, vm, p string) ([]client.SlicerFSInfo, error) {
			return []client.SlicerFSInfo{{Name: "b.txt", Type: "file", Size: 3, Mode: "0644", Mtime: time.Unix(0, 0)}, {Name: "a", Type: "directory", Mode: "0755"}}, nil
		},
	}
	f, _, out, _ := newFactory(fake)
	if err := exec(NewCmdLs(f, nil), "vm-1", "/d"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "NAME") || !strings.HasPrefix(lines[2], "a ") || !strings.Contains(lines[3], "1970-01-01T00:00:00Z") {
		t.Fatalf("table %q", out.String())
	}
	f, _, out, _ = newFactory(fake)
	if err := exec(NewCmdLs(f, nil), "vm-1", "/d", "-o", "json"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"name": "a"`) || !strings.HasPrefix(out.String(), "[") {
		t.Fatalf("json %q", out.String())
	}
}

func TestCatAndWrite(t *testing.T) {
	var written []byte
	var gotUID, gotGID uint32
	fake := &clienttest.Fake{
		ListVMsFunc: oneVM,
		ReadFileToFunc: func(_ context.Context, _, _ string, w io.Writer) error {
			_, err := w.Write([]byte{0, 1, 2, 0xff})
			return err
		},
		WriteFileFromFunc: func(_ context.Context, _, _ string, r io.Reader, uid, gid uint32, perms string) error {
			gotUID, gotGID = uid, gid
			var err error
			written, err = io.ReadAll(r)
			return err
		},
	}
	f, in, out, _ := newFactory(fake)
	if err := exec(NewCmdCat(f, nil), "vm-1", "/bin/x"); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), []byte{0, 1, 2, 0xff}) {
		t.Fatalf("cat %q", out.Bytes())
	}
	in.WriteString("data\x00")
	if err := exec(NewCmdWrite(f, nil), "vm-1", "/tmp/x"); err != nil {
		t.Fatal(err)
	}
	if string(written) != "data\x00" || gotUID != client.NonRootUser || gotGID != client.NonRootUser {
		t.Fatalf("%q %d %d", written, gotUID, gotGID)
	}
	f, _, _, _ = newFactory(fake)
	if err := exec(NewCmdWrite(f, nil), "vm-1", "/tmp/x", "--uid", "1000"); err != nil {
		t.Fatal(err)
	}
	if gotUID != 1000 || gotGID != 1000 {
		t.Fatalf("%d %d", gotUID, gotGID)
	}
	f.IOStreams.SetStdinTTY(true)
	if err := exec(NewCmdWrite(f, nil), "vm-1", "/tmp/x"); err == nil {
		t.Fatal("write from a terminal accepted")
	}
}

func TestStatNotFound(t *testing.T) {
	fake := &clienttest.Fake{
		ListVMsFunc: oneVM,
		StatFunc: func(context.Context, string, string) (*client.SlicerFSInfo, error) {
			return nil, &client.APIError{StatusCode: 404, Message: "no such file"}
		},
	}
	f, _, _, _ := newFactory(fake)
	err := exec(NewCmdStat(f, nil), "vm-1", "/nope")
	if err == nil || !strings.Contains(err.Error(), "no such file or directory") {
		t.Fatalf("err = %v", err)
	}
}

func watchFake(events []client.SlicerFSWatchEvent, got *client.SlicerFSWatchRequest) *clienttest.Fake {
	return &clienttest.Fake{
		ListVMsFunc: oneVM,
		WatchFSFunc: func(ctx context.Context, _ string, req client.SlicerFSWatchRequest) (<-chan client.SlicerFSWatchEvent, <-chan error) {
			*got = req
			ch := make(chan client.SlicerFSWatchEvent)
			errc := make(chan error, 1)
			go func() {
				defer close(errc)
				defer close(ch)
				for _, e := range events {
					select {
					case ch <- e:
					case <-ctx.Done():
						return
					}
				}
			}()
			return ch, errc
		},
	}
}

func TestWatch(t *testing.T) {
	var req client.SlicerFSWatchRequest
	ev := []client.SlicerFSWatchEvent{{ID: 1, Type: "create", Path: "/tmp/a"}, {ID: 2, Type: "write", Path: "/tmp/a"}}
	f, _, out, _ := newFactory(watchFake(ev, &req))
	if err := exec(NewCmdWatch(f, nil), "vm-1", "/tmp", "--one-shot", "--timeout", "3s", "--event", "CREATE", "--debounce", "100ms"); err != nil {
		t.Fatal(err)
	}
	if out.String() != "create /tmp/a\n" {
		t.Fatalf("out %q", out.String())
	}
	if !req.OneShot || req.Timeout != "3s" || req.Debounce != "100ms" || req.Events[0] != "create" || req.Paths[0] != "/tmp" {
		t.Fatalf("request %+v", req)
	}
	// Timeout with no event: exit 124.
	f, _, _, _ = newFactory(watchFake(nil, &req))
	err := exec(NewCmdWatch(f, nil), "vm-1", "/tmp", "--one-shot", "--timeout", "1s")
	if !errors.Is(err, cmdutil.ErrTimeout) {
		t.Fatalf("err = %v, want timeout", err)
	}
	// JSON lines.
	f, _, out, _ = newFactory(watchFake(ev, &req))
	if err := exec(NewCmdWatch(f, nil), "vm-1", "/tmp", "--max-events", "2", "-o", "json"); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "\n"); n != 2 || !strings.Contains(out.String(), `"type":"write"`) {
		t.Fatalf("json %q", out.String())
	}
}

func TestRmNotEmptyNamesFlag(t *testing.T) {
	fake := &clienttest.Fake{
		ListVMsFunc: oneVM,
		RemoveFunc: func(_ context.Context, vm, p string, recursive bool) error {
			return &client.APIError{Method: "DELETE", Path: "/vm/vm-1/fs/remove", StatusCode: 400, Message: "remove /tmp/a: directory not empty (use recursive=true)"}
		},
	}
	f, _, _, _ := newFactory(fake)
	err := exec(NewCmdRm(f, nil), "vm-1", "/tmp/a")
	if err == nil || !strings.Contains(err.Error(), "slicer fs rm -r vm-1 /tmp/a") {
		t.Fatalf("err = %v", err)
	}
	if !cmdutil.IsAPIStatus(err, 400) {
		t.Fatalf("the API error is no longer wrapped: %v", err)
	}
}
