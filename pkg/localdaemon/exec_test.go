package localdaemon_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slicer-cli/slicer/pkg/client"
)

func TestExecStreaming(t *testing.T) {
	_, c := setup(t)
	ctx := ctxT(t)
	vm := newVM(t, c, client.SlicerCreateNodeRequest{})
	ch, err := c.ExecWithReader(ctx, vm, client.SlicerExecRequest{
		Command: "sh", Args: []string{"-c", "echo out; echo err >&2; exit 7"},
		UID: client.NonRootUser, GID: client.NonRootUser, Stdio: "base64",
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut strings.Builder
	var types []string
	code := -1
	for f := range ch {
		types = append(types, f.Type)
		switch f.Type {
		case "stdout":
			out.WriteString(f.Data + f.Stdout)
		case "stderr":
			errOut.WriteString(f.Data + f.Stderr)
		case "exit":
			code = f.ExitCode
		}
	}
	if out.String() != "out\n" || errOut.String() != "err\n" || code != 7 {
		t.Fatalf("out=%q err=%q code=%d types=%v", out.String(), errOut.String(), code, types)
	}
	if types[0] != "started" || types[len(types)-1] != "exit" {
		t.Fatalf("frame types %v", types)
	}
}

func TestExecStdinAndUsers(t *testing.T) {
	_, c := setup(t)
	ctx := ctxT(t)
	vm := newVM(t, c, client.SlicerCreateNodeRequest{})
	// stdin streams through; uid 1000 is the default user.
	ch, err := c.ExecWithReader(ctx, vm, client.SlicerExecRequest{Command: "tr", Args: []string{"a-z", "A-Z"}, UID: 1000, GID: 1000, Stdin: true, Stdio: "text"},
		strings.NewReader("hello stdin\n"))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for f := range ch {
		out.WriteString(f.Data + f.Stdout)
	}
	if out.String() != "HELLO STDIN\n" {
		t.Fatalf("stdin round trip = %q", out.String())
	}
	// Omitted uid (NonRootUser) runs as ubuntu, 0 as root; cwd and env apply.
	res, err := c.ExecBuffered(ctx, vm, client.SlicerExecRequest{Command: "sh", Args: []string{"-c", "id -un; id -g; pwd; echo $FOO"}, UID: client.NonRootUser, GID: client.NonRootUser, Env: []string{"FOO=bar baz"}, Stdio: "base64"})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := res.StdoutBytes(); string(b) != "ubuntu\n1000\n/home/ubuntu\nbar baz\n" {
		t.Fatalf("default user: %q", b)
	}
	res, err = c.ExecBuffered(ctx, vm, client.SlicerExecRequest{Command: "sh", Args: []string{"-c", "id -u; pwd"}, UID: 0, GID: 0, Cwd: "/tmp", Stdio: "text"})
	if err != nil || res.Stdout != "0\n/tmp\n" || res.Encoding != "" {
		t.Fatalf("root: %+v %v", res, err)
	}
	// Without a shell, argv is not interpreted; with one, cmd is the script.
	out2, _, _ := run(t, c, vm, 1000, "", "echo", "$HOME", "a;b")
	if out2 != "$HOME a;b\n" {
		t.Fatalf("direct argv = %q", out2)
	}
	out2, _, _ = run(t, c, vm, 1000, "/bin/bash", "echo $HOME; echo")
	if out2 != "/home/ubuntu\n\n" {
		t.Fatalf("shell script = %q", out2)
	}
	// Exit codes: not found 127, signal 128+n.
	_, errOut, code := run(t, c, vm, 1000, "", "no-such-command")
	if code != 127 || !strings.Contains(errOut, "no-such-command") {
		t.Fatalf("not found: %d %q", code, errOut)
	}
	_, _, code = run(t, c, vm, 1000, "/bin/sh", "kill -9 $$")
	if code != 137 {
		t.Fatalf("killed: %d", code)
	}
	res, _ = c.ExecBuffered(ctx, vm, client.SlicerExecRequest{Command: "sh", Args: []string{"-c", "kill -TERM $$"}, UID: 1000, Stdio: "text"})
	if res.ExitCode != 143 || res.Signal != "TERM" {
		t.Fatalf("signal: %+v", res)
	}
}

func TestExecWireRules(t *testing.T) {
	d, c := setup(t)
	vm := newVM(t, c, client.SlicerCreateNodeRequest{})
	for _, q := range []string{"cmd=cat&stdin=true&buffered=true", "cmd=true&background=true&stdin=true", "cmd=true&background=true&buffered=true", "", "cmd=true&stdio=hex", "cmd=true&uid=abc", "cmd=env&env=NOEQUALS"} {
		req, _ := http.NewRequest("POST", "http://unix/vm/"+vm+"/exec?"+q, nil)
		resp := doRaw(t, d, req)
		if resp.StatusCode != 400 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%q: %d %s", q, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		var e map[string]string
		if json.NewDecoder(resp.Body).Decode(&e) != nil || e["error"] == "" {
			t.Errorf("%q: error body %v", q, e)
		}
	}
	req, _ := http.NewRequest("POST", "http://unix/vm/vm-99/exec?cmd=true", nil)
	if resp := doRaw(t, d, req); resp.StatusCode != 404 {
		t.Errorf("unknown VM: %d", resp.StatusCode)
	}

	// Server default stdio is text; every frame has exit_code; one JSON per line.
	req, _ = http.NewRequest("POST", "http://unix/vm/"+vm+"/exec?cmd=printf&args=a%C3%A9", nil)
	resp := doRaw(t, d, req)
	if resp.StatusCode != 200 {
		t.Fatalf("exec: %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	var frames []map[string]any
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if _, ok := m["exit_code"]; !ok {
			t.Fatalf("frame without exit_code: %v", m)
		}
		frames = append(frames, m)
	}
	if len(frames) != 3 || frames[1]["type"] != "stdout" || frames[1]["data"] != "aé" || frames[1]["encoding"] != nil || frames[2]["type"] != "exit" {
		t.Fatalf("frames = %v", frames)
	}
}

// A client that goes away kills the foreground process.
func TestExecDisconnectKills(t *testing.T) {
	d, c := setup(t)
	vm := newVM(t, c, client.SlicerCreateNodeRequest{})
	req, _ := http.NewRequest("POST", "http://unix/vm/"+vm+"/exec?cmd=sleep&args=300", nil)
	hc := unixHTTP(d)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(resp.Body)
	if _, err := br.ReadString('\n'); err != nil { // started frame
		t.Fatal(err)
	}
	resp.Body.Close()
	hc.CloseIdleConnections()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, _, _ := run(t, c, vm, 1000, "/bin/sh", "pgrep -x sleep || true")
		if strings.TrimSpace(out) == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sleep still running after disconnect: %s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = io.Discard
}

// The process may end while the client still has stdin open.
func TestExecStdinOutlivesProcess(t *testing.T) {
	_, c := setup(t)
	ctx := ctxT(t)
	vm := newVM(t, c, client.SlicerCreateNodeRequest{})
	pr, pw := io.Pipe()
	defer pw.Close()
	go func() { _, _ = pw.Write([]byte("abcdefgh")) }()
	ch, err := c.ExecWithReader(ctx, vm, client.SlicerExecRequest{Command: "head", Args: []string{"-c", "3"}, UID: 1000, GID: 1000, Stdin: true, Stdio: "base64"}, pr)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	code := -1
	for f := range ch {
		out.WriteString(f.Data + f.Stdout)
		if f.Type == "exit" {
			code = f.ExitCode
		}
	}
	if out.String() != "abc" || code != 0 {
		t.Fatalf("out %q code %d", out.String(), code)
	}
	// The daemon still serves requests afterwards.
	if got := sh(t, c, vm, "echo ok"); got != "ok" {
		t.Fatal(got)
	}
}

func TestRemoteCmd(t *testing.T) {
	_, c := setup(t)
	ctx := ctxT(t)
	vm := newVM(t, c, client.SlicerCreateNodeRequest{})
	out, err := c.Command(ctx, vm, "sh", "-c", "echo hi; echo oops >&2").Output()
	if err != nil || string(out) != "hi\n" {
		t.Fatalf("Output = %q %v", out, err)
	}
	cmd := c.Command(ctx, vm, "sh", "-c", "exit 4")
	err = cmd.Run()
	var ee *client.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 4 {
		t.Fatalf("Run = %v", err)
	}
	cmd = c.Command(ctx, vm, "cat")
	cmd.Stdin = strings.NewReader("piped")
	out, err = cmd.Output()
	if err != nil || string(out) != "piped" {
		t.Fatalf("stdin: %q %v", out, err)
	}
}

// A client whose request body (stdin) ends a little after the process
// exited (an empty stdin on a loaded machine) must still be able to finish
// its request: the daemon may not close the connection under it, which the
// client sees as "broken pipe" instead of the response.
func TestExecStdinEndsAfterExit(t *testing.T) {
	d, c := setup(t)
	vm := newVM(t, c, client.SlicerCreateNodeRequest{})
	conn, err := net.Dial("unix", d.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Minute))
	if _, err := io.WriteString(conn, "POST /vm/"+vm+"/exec?cmd=true&stdin=true&stdio=base64&uid=0&gid=0 HTTP/1.1\r\nHost: unix\r\nTransfer-Encoding: chunked\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %s", resp.Status)
	}
	frames := bufio.NewReader(resp.Body)
	for {
		line, err := frames.ReadBytes('\n')
		if err != nil {
			t.Fatalf("no exit frame: %v", err)
		}
		var f client.SlicerExecWriteResult
		if json.Unmarshal(line, &f) == nil && f.Type == "exit" {
			break
		}
	}
	// A slow client ends its (empty) stdin only now.
	time.Sleep(300 * time.Millisecond)
	if _, err := io.WriteString(conn, "0\r\n\r\n"); err != nil {
		t.Fatalf("end of the request body: %v (the daemon closed the connection under the client)", err)
	}
	if _, err := io.ReadAll(frames); err != nil {
		t.Fatalf("rest of the response: %v", err)
	}
}

// Output waiting in the process's pipe goes out with the frames before it,
// several NDJSON lines in one HTTP chunk; output that is all there is goes
// out at once, not held for more.
func TestExecOutputBatches(t *testing.T) {
	d, c := setup(t)
	vm := newVM(t, c, client.SlicerCreateNodeRequest{})

	// Latency: the first line arrives while the command still sleeps.
	req, _ := http.NewRequest("POST", "http://unix/vm/"+vm+"/exec?cmd=/bin/sh&args=-c&args=echo+first%3B+sleep+5%3B+echo+second&stdio=base64", nil)
	start := time.Now()
	br := bufio.NewReader(doRaw(t, d, req).Body)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(line, `"type":"stdout"`) {
			if el := time.Since(start); el > 4*time.Second {
				t.Fatalf("the first output line took %v: held back for more", el)
			}
			break
		}
	}

	// Batching: read the raw chunked response of a large output.
	conn, err := net.Dial("unix", d.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST /vm/"+vm+"/exec?cmd=head&args=-c&args=16777216&args=/dev/zero&stdio=base64 HTTP/1.1\r\nHost: unix\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	raw := bufio.NewReader(conn)
	for { // headers
		line, err := raw.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line == "\r\n" {
			break
		}
	}
	chunks, multi, frames := 0, 0, 0
	for {
		var size int
		line, err := raw.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fmt.Sscanf(strings.TrimSpace(line), "%x", &size); err != nil {
			t.Fatalf("chunk header %q: %v", line, err)
		}
		if size == 0 {
			break
		}
		body := make([]byte, size+2)
		if _, err := io.ReadFull(raw, body); err != nil {
			t.Fatal(err)
		}
		n := strings.Count(string(body[:size]), "\n")
		chunks++
		frames += n
		if n > 1 {
			multi++
		}
	}
	if frames < 16<<20/(32<<10) || multi == 0 {
		t.Fatalf("%d frames in %d chunks, %d of them with several frames: want batched frames", frames, chunks, multi)
	}
	t.Logf("%d frames in %d chunks", frames, chunks)
}
