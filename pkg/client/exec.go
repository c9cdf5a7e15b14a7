package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
)

// ErrNoExitStatus reports an exec stream that ended (connection lost, daemon
// gone) before the remote process's exit status arrived.
var ErrNoExitStatus = errors.New("exec stream ended without an exit status")

// execQuery encodes a foreground exec request into the query string
// (PROTOCOL.md §8.1). alwaysIDs sends uid/gid even when they are NonRootUser
// (ExecWithReader and RemoteCmd); otherwise NonRootUser omits them.
func execQuery(req SlicerExecRequest, alwaysIDs bool) (url.Values, error) {
	stdio := req.Stdio
	switch stdio {
	case "":
		stdio = ExecStdioBase64
	case ExecStdioText, ExecStdioBase64:
	default:
		return nil, fmt.Errorf("invalid stdio %q: use %q or %q", req.Stdio, ExecStdioText, ExecStdioBase64)
	}
	q := url.Values{}
	q.Set("cmd", req.Command)
	for _, a := range req.Args {
		q.Add("args", a)
	}
	for _, e := range req.Env {
		q.Add("env", e)
	}
	if alwaysIDs || req.UID != NonRootUser {
		q.Set("uid", strconv.FormatUint(uint64(req.UID), 10))
	}
	if alwaysIDs || req.GID != NonRootUser {
		q.Set("gid", strconv.FormatUint(uint64(req.GID), 10))
	}
	if req.Cwd != "" {
		q.Set("cwd", req.Cwd)
	}
	if req.Shell != "" {
		q.Set("shell", req.Shell)
	}
	if req.Permissions != "" {
		q.Set("permissions", req.Permissions)
	}
	q.Set("stdio", stdio)
	return q, nil
}

// decodeFrame base64-decodes data, stdout and stderr in place when the frame
// says encoding=base64, then clears the encoding.
func decodeFrame(f *SlicerExecWriteResult) error {
	if f.Encoding != ExecStdioBase64 {
		return nil
	}
	for _, s := range []*string{&f.Data, &f.Stdout, &f.Stderr} {
		if *s == "" {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(*s)
		if err != nil {
			return fmt.Errorf("decode base64 exec output: %w", err)
		}
		*s = string(b)
	}
	f.Encoding = ""
	return nil
}

// frameOutput returns the stdout and stderr bytes a (decoded) frame carries,
// following PROTOCOL.md §8.2: typed frames use stdout/stderr, falling back to
// data; untyped (legacy) frames may carry both.
func frameOutput(f *SlicerExecWriteResult) (stdout, stderr string) {
	switch f.Type {
	case "stdout":
		if f.Stdout != "" {
			return f.Stdout, f.Stderr
		}
		return f.Data, f.Stderr
	case "stderr":
		if f.Stderr != "" {
			return f.Stdout, f.Stderr
		}
		return f.Stdout, f.Data
	case "":
		if f.Stdout == "" && f.Stderr == "" {
			return f.Data, ""
		}
		return f.Stdout, f.Stderr
	default:
		return f.Stdout, f.Stderr
	}
}

// startExec sends POST /vm/{vm}/exec with the given query and optional stdin
// body, and checks for 200. The returned stop function releases the stdin
// pump; call it when the response has been consumed.
func (c *SlicerClient) startExec(ctx context.Context, nodeName string, q url.Values, stdin io.Reader) (*http.Response, func(), error) {
	var body io.Reader
	stop := func() {}
	if stdin != nil {
		q.Set("stdin", "true")
		// The request body is a pipe fed from stdin, so finishing the exec
		// can always unblock the transport's body writer even when stdin
		// itself never ends.
		pr, pw := io.Pipe()
		go func() {
			_, err := io.Copy(pw, stdin)
			pw.CloseWithError(err)
		}()
		body = pr
		stop = func() { pr.CloseWithError(io.EOF) }
	}
	req, err := c.newRequest(ctx, http.MethodPost, vmEndpoint(nodeName, "/exec"), q, body)
	if err != nil {
		stop()
		return nil, nil, err
	}
	resp, err := c.send(req, http.StatusOK)
	if err != nil {
		stop()
		return nil, nil, err
	}
	return resp, stop, nil
}

// Exec executes a command on the specified node and streams the output. When
// execReq.Stdin is set, the process's own standard input is sent. The channel
// is unbuffered so the caller should read from it promptly. A frame with an
// error or a non-zero exit code is delivered with Error set to
// "failed to execute command: ..." and ends the stream.
func (c *SlicerClient) Exec(ctx context.Context, nodeName string, execReq SlicerExecRequest) (chan SlicerExecWriteResult, error) {
	q, err := execQuery(execReq, false)
	if err != nil {
		return nil, err
	}
	var stdin io.Reader
	if execReq.Stdin {
		stdin = os.Stdin
	}
	resp, stop, err := c.startExec(ctx, nodeName, q, stdin)
	if err != nil {
		return nil, err
	}
	return deliverFrames(ctx, resp, stop, func(f *SlicerExecWriteResult) {
		switch {
		case f.Error != "":
			f.Error = "failed to execute command: " + f.Error
		case f.ExitCode != 0:
			f.Error = fmt.Sprintf("failed to execute command: %d", f.ExitCode)
		}
	}), nil
}

// ExecWithReader is like Exec but reads stdin from the given reader. As with
// the SDK, stdin is sent (stdin=true, the reader as the request body) only
// when execReq.Stdin is set and stdin is not nil; otherwise the body is
// empty. Frames are delivered as received, base64 output decoded; the
// stream stops after the first frame carrying an error or a non-zero exit
// code. A stream that breaks off is reported as a final frame whose Error
// starts with "exec stream:" and whose ExitCode is -1.
func (c *SlicerClient) ExecWithReader(ctx context.Context, nodeName string, execReq SlicerExecRequest, stdin io.Reader) (chan SlicerExecWriteResult, error) {
	q, err := execQuery(execReq, true)
	if err != nil {
		return nil, err
	}
	if !execReq.Stdin {
		stdin = nil
	}
	resp, stop, err := c.startExec(ctx, nodeName, q, stdin)
	if err != nil {
		return nil, err
	}
	return deliverFrames(ctx, resp, stop, nil), nil
}

// deliverFrames streams the frames of an exec response on the returned
// channel, each passed through annotate (when set) first. The stream ends
// after the first frame carrying an error or a non-zero exit code; a broken
// stream ends it with a final frame whose Error is the decode error and
// whose ExitCode is -1. stop ends the request (and its stdin) and is called
// as soon as the exit frame arrives.
func deliverFrames(ctx context.Context, resp *http.Response, stop func(), annotate func(*SlicerExecWriteResult)) chan SlicerExecWriteResult {
	ch := make(chan SlicerExecWriteResult)
	go func() {
		defer close(ch)
		defer stop()
		defer resp.Body.Close()
		streamFrames(ctx, resp.Body, func(f SlicerExecWriteResult, decodeErr error) bool {
			if decodeErr != nil {
				send(ctx, ch, SlicerExecWriteResult{Error: decodeErr.Error(), ExitCode: -1})
				return false
			}
			if f.Type == "exit" {
				// The command is gone: end the request body (stdin) so the
				// daemon can finish the response at once.
				stop()
			}
			if annotate != nil {
				annotate(&f)
			}
			return send(ctx, ch, f) && f.Error == "" && f.ExitCode == 0
		})
	}()
	return ch
}

func send(ctx context.Context, ch chan<- SlicerExecWriteResult, f SlicerExecWriteResult) bool {
	select {
	case ch <- f:
		return true
	case <-ctx.Done():
		return false
	}
}

// streamFrames decodes NDJSON frames from r and hands each to fn until fn
// returns false or the stream ends. A malformed frame or a broken stream is
// handed over as decodeErr (prefixed "exec stream:") and ends the loop; a
// cancelled context ends it silently.
func streamFrames(ctx context.Context, r io.Reader, fn func(f SlicerExecWriteResult, decodeErr error) bool) {
	br := bufio.NewReaderSize(r, 256<<10)
	var buf, scratch []byte
	for {
		line, err := readFrameLine(br, &buf)
		if err == io.EOF {
			return
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			fn(SlicerExecWriteResult{}, fmt.Errorf("exec stream: %w", err))
			return
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var f SlicerExecWriteResult
		if err := decodeFrameLine(line, &f, &scratch); err != nil {
			fn(SlicerExecWriteResult{}, fmt.Errorf("exec stream: %w", err))
			return
		}
		if !fn(f, nil) {
			return
		}
	}
}

// ExecBuffered executes a command and returns a single buffered result, with
// base64 output already decoded. A non-zero exit code is not an error:
// inspect ExitCode.
func (c *SlicerClient) ExecBuffered(ctx context.Context, nodeName string, execReq SlicerExecRequest) (ExecResult, error) {
	if execReq.Stdin {
		return ExecResult{}, errors.New("stdin is not supported by ExecBuffered")
	}
	q, err := execQuery(execReq, false)
	if err != nil {
		return ExecResult{}, err
	}
	q.Set("buffered", "true")
	var out ExecResult
	if err := c.doJSON(ctx, http.MethodPost, vmEndpoint(nodeName, "/exec"), q, nil, &out, http.StatusOK); err != nil {
		return ExecResult{}, err
	}
	if out.Encoding == ExecStdioBase64 {
		so, err := out.StdoutBytes()
		if err != nil {
			return out, err
		}
		se, err := out.StderrBytes()
		if err != nil {
			return out, err
		}
		out.Stdout, out.Stderr, out.Encoding = string(so), string(se), ""
	}
	return out, nil
}
