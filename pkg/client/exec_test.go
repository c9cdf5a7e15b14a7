package client_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/slicer-cli/slicer/pkg/client"
)

// ndjson writes frames line by line, flushing after each.
func ndjson(frames ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.WriteHeader(200)
		for _, f := range frames {
			_, _ = io.WriteString(w, f+"\n")
			w.(http.Flusher).Flush()
		}
	}
}

var typedFrames = []string{
	`{"type":"started","pid":812,"started_at":"2026-04-11T08:48:47.101Z","exit_code":0}`,
	`{"type":"stdout","encoding":"base64","data":"aGVsbG8K","exit_code":0}`,
	`{"type":"stderr","encoding":"base64","data":"b29wcwo=","exit_code":0}`,
	`{"type":"exit","pid":812,"exit_code":3,"ended_at":"2026-04-11T08:48:47.110Z"}`,
}

func TestExecStreamQueryAndFrames(t *testing.T) {
	c, rec := newTestClient(t, ndjson(typedFrames...))
	ch, err := c.Exec(ctx(), "vm-1", client.SlicerExecRequest{
		Command: "ls", Args: []string{"-l", "a b"}, Env: []string{"A=1"}, Cwd: "/tmp", Shell: "/bin/bash",
	})
	if err != nil {
		t.Fatal(err)
	}
	var frames []client.SlicerExecWriteResult
	for f := range ch {
		frames = append(frames, f)
	}
	got := rec.last(t)
	checkRequest(t, contractCase{method: "POST", path: "/vm/vm-1/exec",
		query: "args=-l&args=a+b&cmd=ls&cwd=%2Ftmp&env=A%3D1&gid=0&shell=%2Fbin%2Fbash&stdio=base64&uid=0"}, got)
	if len(frames) != 4 {
		t.Fatalf("got %d frames: %+v", len(frames), frames)
	}
	expect(t, "stdout data", frames[1].Data, "hello\n")
	expect(t, "encoding cleared", frames[1].Encoding, "")
	expect(t, "stderr data", frames[2].Data, "oops\n")
	// Exec ends with the failing frame, keeping the code.
	expect(t, "exit code", frames[3].ExitCode, 3)
	expect(t, "error", frames[3].Error, "failed to execute command: 3")
}

func TestExecWithReaderStdinAndQuery(t *testing.T) {
	c, rec := newTestClient(t, ndjson(`{"type":"exit","exit_code":0}`))
	ch, err := c.ExecWithReader(ctx(), "vm-1", client.SlicerExecRequest{Command: "cat", UID: client.NonRootUser, Stdin: true}, strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	for range ch {
	}
	got := rec.last(t)
	checkRequest(t, contractCase{method: "POST", path: "/vm/vm-1/exec", body: "hello",
		query: "cmd=cat&gid=0&stdin=true&stdio=base64&uid=4294967295"}, got)

	// As with the SDK, a reader without execReq.Stdin sends no stdin.
	ch, err = c.ExecWithReader(ctx(), "vm-1", client.SlicerExecRequest{Command: "cat"}, strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	for range ch {
	}
	checkRequest(t, contractCase{method: "POST", path: "/vm/vm-1/exec",
		query: "cmd=cat&gid=0&stdio=base64&uid=0"}, rec.last(t))

	// RemoteCmd asks for stdin exactly when it has one.
	cmd := c.Command(ctx(), "vm-1", "cat")
	cmd.Stdin = strings.NewReader("piped")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	checkRequest(t, contractCase{method: "POST", path: "/vm/vm-1/exec", body: "piped",
		query: "cmd=cat&gid=0&stdin=true&stdio=base64&uid=0"}, rec.last(t))
}

// TestExecFullDuplex pipes stdin line by line and needs each echo back before
// sending the next line: the request body and the response stream overlap.
func TestExecFullDuplex(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).EnableFullDuplex()
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		sc := bufio.NewScanner(r.Body)
		for sc.Scan() {
			fmt.Fprintf(w, `{"type":"stdout","data":%q,"exit_code":0}`+"\n", "echo:"+sc.Text()+"\n")
			w.(http.Flusher).Flush()
		}
		fmt.Fprintln(w, `{"type":"exit","exit_code":0}`)
	}))
	defer srv.Close()
	c := client.NewSlicerClient(srv.URL, "", "", srv.Client())
	cmd := c.Command(ctx(), "vm-1", "cat")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(out)
	for _, line := range []string{"one", "two", "three"} {
		if _, err := io.WriteString(in, line+"\n"); err != nil {
			t.Fatal(err)
		}
		got, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		expect(t, "echo", got, "echo:"+line+"\n")
	}
	in.Close()
	if rest, _ := io.ReadAll(br); len(rest) != 0 {
		t.Errorf("unexpected trailing output %q", rest)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if !cmd.ProcessState.Success() {
		t.Errorf("state = %v", cmd.ProcessState)
	}
}

func TestRemoteCmdOutputAndExitError(t *testing.T) {
	c, rec := newTestClient(t, ndjson(typedFrames...))
	cmd := c.Command(ctx(), "vm-1", "sh", "-c", "exit 3")
	cmd.Env = []string{"X=1"}
	cmd.Dir = "/work"
	out, err := cmd.Output()
	expect(t, "stdout", string(out), "hello\n")
	var ee *client.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("err = %v, want *ExitError", err)
	}
	expect(t, "exit code", ee.ExitCode(), 3)
	expect(t, "stderr", string(ee.Stderr), "oops\n")
	expect(t, "pid", ee.Pid(), 812)
	expect(t, "Error()", ee.Error(), "exit status 3")
	checkRequest(t, contractCase{method: "POST", path: "/vm/vm-1/exec",
		query: "args=-c&args=exit+3&cmd=sh&cwd=%2Fwork&env=X%3D1&gid=0&stdio=base64&uid=0"}, rec.last(t))
	expect(t, "String()", cmd.String(), "sh -c exit 3")
	expect(t, "Environ", strings.Join(cmd.Environ(), ","), "X=1")
	if err := cmd.Run(); err == nil {
		t.Error("second Run succeeded")
	}
}

func TestRemoteCmdCombinedOutputLegacy(t *testing.T) {
	// Legacy agents: untyped frames with stdout/stderr, last frame carries the status.
	c, _ := newTestClient(t, ndjson(
		`{"timestamp":"2025-01-01T00:00:00Z","stdout":"out\n","stderr":"err\n","exit_code":0}`,
		`{"timestamp":"2025-01-01T00:00:01Z","stdout":"more\n","exit_code":0}`,
	))
	out, err := c.Command(ctx(), "vm-1", "x").CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "combined", string(out), "out\nerr\nmore\n")
}

func TestRemoteCmdStartFailure(t *testing.T) {
	c, _ := newTestClient(t, ndjson(`{"error":"exec: \"nope\": executable file not found","exit_code":127}`))
	err := c.Command(ctx(), "vm-1", "nope").Run()
	var ee *client.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 127 || !strings.Contains(ee.Error(), "not found") {
		t.Fatalf("err = %v", err)
	}
	c, _ = newTestClient(t, ndjson(`{"type":"exit","error":"could not start","exit_code":0}`))
	err = c.Command(ctx(), "vm-1", "x").Run()
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("error with code 0: err = %v, want exit status 1", err)
	}
}

func TestRemoteCmdSignal(t *testing.T) {
	c, _ := newTestClient(t, ndjson(`{"type":"exit","exit_code":137,"signal":"KILL"}`))
	cmd := c.Command(ctx(), "vm-1", "sleep", "100")
	err := cmd.Run()
	var ee *client.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("err = %v", err)
	}
	expect(t, "exited", ee.Exited(), false)
	expect(t, "exit code", ee.ExitCode(), -1)
	expect(t, "Error()", ee.Error(), "signal: KILL")
}

func TestRemoteCmdConnectionLost(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		fmt.Fprintln(w, `{"type":"started","pid":1,"exit_code":0}`)
		fmt.Fprint(w, `{"type":"stdout","data":"partial`) // cut off mid-frame
		w.(http.Flusher).Flush()
		conn, _, _ := http.NewResponseController(w).Hijack()
		conn.Close()
	}))
	defer srv.Close()
	c := client.NewSlicerClient(srv.URL, "", "", srv.Client())
	err := c.Command(ctx(), "vm-1", "x").Run()
	if !errors.Is(err, client.ErrNoExitStatus) {
		t.Fatalf("err = %v, want ErrNoExitStatus", err)
	}

	// A typed stream that ends cleanly but without an exit frame.
	c2, _ := newTestClient(t, ndjson(`{"type":"started","pid":1,"exit_code":0}`))
	if err := c2.Command(ctx(), "vm-1", "x").Run(); !errors.Is(err, client.ErrNoExitStatus) {
		t.Fatalf("err = %v, want ErrNoExitStatus", err)
	}
}

func TestRemoteCmdContextCancel(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		fmt.Fprintln(w, `{"type":"started","pid":1,"exit_code":0}`)
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	c := client.NewSlicerClient(srv.URL, "", "", srv.Client())
	cctx, cancel := context.WithCancel(ctx())
	cmd := c.Command(cctx, "vm-1", "sleep", "1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(20*time.Millisecond, cancel)
	if err := cmd.Wait(); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestExecLogsStream(t *testing.T) {
	c, rec := newTestClient(t, ndjson(
		`{"id":1,"type":"started","pid":42,"exit_code":0}`,
		`{"id":2,"type":"stdout","encoding":"base64","data":"cmVhZHkK","exit_code":0}`,
		`not json`,
		`{"id":7,"type":"gap","dropped_frames":3,"dropped_bytes":4096,"message":"evicted","exit_code":0}`,
		`{"id":9,"type":"exit","pid":42,"exit_code":0}`,
	))
	ch, err := c.ExecLogs(ctx(), "vm-1", "ex_1", client.LogOptions{Follow: true, FromID: 5})
	if err != nil {
		t.Fatal(err)
	}
	var frames []client.SlicerExecWriteResult
	for f := range ch {
		frames = append(frames, f)
	}
	checkRequest(t, contractCase{method: "GET", path: "/vm/vm-1/exec/ex_1/logs", query: "follow=true&from_id=5"}, rec.last(t))
	if len(frames) != 4 {
		t.Fatalf("frames = %+v", frames)
	}
	expect(t, "data", frames[1].Data, "ready\n")
	expect(t, "gap", frames[2].DroppedFrames, 3)
	expect(t, "last id", frames[3].ID, uint64(9))

	// No options: no query.
	ch, err = c.ExecLogs(ctx(), "vm-1", "ex_1", client.LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for range ch {
	}
	checkRequest(t, contractCase{method: "GET", path: "/vm/vm-1/exec/ex_1/logs"}, rec.last(t))
}

func TestExecLogsCancel(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		for i := 1; ; i++ {
			if _, err := fmt.Fprintf(w, `{"id":%d,"type":"stdout","data":"x","exit_code":0}`+"\n", i); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(time.Millisecond):
			}
		}
	}))
	defer srv.Close()
	c := client.NewSlicerClient(srv.URL, "", "", srv.Client())
	cctx, cancel := context.WithCancel(ctx())
	ch, err := c.ExecLogs(cctx, "vm-1", "ex_1", client.LogOptions{Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	<-ch
	cancel()
	for range ch {
	}
}

// TestStreamingErrors checks the error mapping of the streaming calls.
func TestStreamingErrors(t *testing.T) {
	c, _ := newTestClient(t, replyJSON(http.StatusGone, `{"error":"exec reaped"}`))
	check := func(name string, err error, path string) {
		t.Helper()
		var ae *client.APIError
		if !errors.As(err, &ae) || ae.StatusCode != 410 || ae.Message != "exec reaped" || ae.Path != prefix+path {
			t.Errorf("%s: err = %#v", name, err)
		}
	}
	_, err := c.Exec(ctx(), "vm-1", client.SlicerExecRequest{Command: "x"})
	check("Exec", err, "/vm/vm-1/exec")
	_, err = c.ExecWithReader(ctx(), "vm-1", client.SlicerExecRequest{Command: "x"}, strings.NewReader("in"))
	check("ExecWithReader", err, "/vm/vm-1/exec")
	_, err = c.ExecLogs(ctx(), "vm-1", "ex_1", client.LogOptions{})
	check("ExecLogs", err, "/vm/vm-1/exec/ex_1/logs")
	check("Command", c.Command(ctx(), "vm-1", "x").Run(), "/vm/vm-1/exec")
	_, errc := c.WatchFS(ctx(), "vm-1", client.SlicerFSWatchRequest{Paths: []string{"/"}})
	check("WatchFS", <-errc, "/vm/vm-1/fs/watch")
	dir := t.TempDir()
	check("CpFromVM", c.CpFromVM(ctx(), "vm-1", "/x", dir+"/out", "", "tar"), "/vm/vm-1/cp")
	check("CpToVM", c.CpToVM(ctx(), "vm-1", dir, "/x", 0, 0, "", "tar"), "/vm/vm-1/cp")
	if _, err := os.Stat(dir + "/out"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed download created the destination")
	}
	if err := c.CpFromVM(ctx(), "vm-1", "/x", dir+"/missing/out", "", "binary"); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing parent: %v", err)
	}
}

func TestRemoteCmdStderrPipe(t *testing.T) {
	big := strings.Repeat("e", 100<<10)
	c, _ := newTestClient(t, ndjson(
		`{"type":"stderr","data":"`+big+`","exit_code":0}`,
		`{"type":"exit","exit_code":1}`,
	))
	cmd := c.CommandContext(ctx(), "vm-1", "x")
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cmd.StderrPipe(); err == nil {
		t.Error("second StderrPipe accepted")
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(errPipe)
	expect(t, "stderr length", len(b), len(big))
	var ee *client.ExitError
	if err := cmd.Wait(); !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("err = %v", err)
	}

	// Output keeps at most 64 KiB of stderr in the ExitError.
	_, err = c.Command(ctx(), "vm-1", "x").Output()
	if !errors.As(err, &ee) || len(ee.Stderr) != 64<<10 {
		t.Fatalf("Output err = %v (stderr %d bytes)", err, len(ee.Stderr))
	}
}

func TestFrameByteHelpers(t *testing.T) {
	f := client.SlicerExecWriteResult{Encoding: "base64", Data: "aGk=", Stdout: "b3V0", Stderr: "ZXJy"}
	for name, fn := range map[string]func() ([]byte, error){"data": f.DataBytes, "stdout": f.StdoutBytes, "stderr": f.StderrBytes} {
		b, err := fn()
		if err != nil || len(b) == 0 {
			t.Errorf("%s = %q, %v", name, b, err)
		}
	}
	if _, err := (client.SlicerExecWriteResult{Encoding: "base64", Data: "!"}).DataBytes(); err == nil {
		t.Error("bad base64 accepted")
	}
	if b, _ := (client.SlicerExecWriteResult{Stdout: "plain"}).StdoutBytes(); string(b) != "plain" {
		t.Errorf("text = %q", b)
	}
	expect(t, "MiB", client.MiB(2), int64(2<<20))
	expect(t, "GiB", client.GiB(1), int64(1<<30))
}

// Once the exit frame is in, the client ends its stdin (the request body)
// even when the reader it was given never ends, so the daemon can finish
// the response at once.
func TestExecWithReaderEndsStdinAtExit(t *testing.T) {
	bodyEnded := make(chan bool, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).EnableFullDuplex()
		w.WriteHeader(200)
		fmt.Fprintln(w, `{"type":"exit","exit_code":0}`)
		w.(http.Flusher).Flush()
		done := make(chan struct{})
		go func() { _, _ = io.Copy(io.Discard, r.Body); close(done) }()
		select {
		case <-done:
			bodyEnded <- true
		case <-time.After(10 * time.Second):
			bodyEnded <- false
			_ = http.NewResponseController(w).SetReadDeadline(time.Now())
			<-done
		}
	}))
	defer srv.Close()
	c := client.NewSlicerClient(srv.URL, "", "", srv.Client())
	stdin, stdinW := io.Pipe() // never ends
	defer stdinW.Close()
	ch, err := c.ExecWithReader(ctx(), "vm-1", client.SlicerExecRequest{Command: "true", Stdin: true}, stdin)
	if err != nil {
		t.Fatal(err)
	}
	for range ch {
	}
	if !<-bodyEnded {
		t.Fatal("the request body (stdin) was still open after the exit frame")
	}
}

// Exec and ExecWithReader stop at the first frame carrying an error (Exec
// prefixing it) and end a broken stream with a frame of ExitCode -1.
func TestExecStreamsStopAtError(t *testing.T) {
	frames := []string{
		`{"type":"stdout","data":"a","exit_code":0}`,
		`{"type":"exit","error":"no such file","exit_code":0}`,
		`{"type":"stdout","data":"never","exit_code":0}`,
	}
	collect := func(ch chan client.SlicerExecWriteResult, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for f := range ch {
			got = append(got, fmt.Sprintf("%s|%s|%d", f.Data, f.Error, f.ExitCode))
		}
		return got
	}
	c, _ := newTestClient(t, ndjson(frames...))
	got := collect(c.Exec(ctx(), "vm-1", client.SlicerExecRequest{Command: "x"}))
	expect(t, "Exec frames", strings.Join(got, ","), "a||0,|failed to execute command: no such file|0")
	got = collect(c.ExecWithReader(ctx(), "vm-1", client.SlicerExecRequest{Command: "x"}, nil))
	expect(t, "ExecWithReader frames", strings.Join(got, ","), "a||0,|no such file|0")

	c, _ = newTestClient(t, ndjson(`{"type":"stdout","data":"a","exit_code":0}`, `{"type":`))
	for name, got := range map[string][]string{
		"Exec":           collect(c.Exec(ctx(), "vm-1", client.SlicerExecRequest{Command: "x"})),
		"ExecWithReader": collect(c.ExecWithReader(ctx(), "vm-1", client.SlicerExecRequest{Command: "x"}, nil)),
	} {
		if len(got) != 2 || got[0] != "a||0" || !strings.HasPrefix(got[1], "|exec stream:") || !strings.HasSuffix(got[1], "|-1") {
			t.Errorf("%s of a broken stream: %q", name, got)
		}
	}
}
