package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// ExecBackground launches a long-running process inside the named VM and
// returns the server-chosen exec_id plus process metadata. The child
// survives client disconnect.
func (c *SlicerClient) ExecBackground(ctx context.Context, vmName string, req ExecBackgroundRequest) (*ExecBackgroundResponse, error) {
	if req.Command == "" {
		return nil, errors.New("exec background: command is required")
	}
	q := url.Values{}
	q.Set("background", "true")
	q.Set("cmd", req.Command)
	for _, a := range req.Args {
		q.Add("args", a)
	}
	for _, e := range req.Env {
		q.Add("env", e)
	}
	if req.UID != NonRootUser {
		q.Set("uid", fmtID(req.UID))
	}
	if req.GID != NonRootUser {
		q.Set("gid", fmtID(req.GID))
	}
	if req.Shell != "" {
		q.Set("shell", req.Shell)
	}
	if req.Cwd != "" {
		q.Set("cwd", req.Cwd)
	}
	if req.RingBytes > 0 { // zero or negative: the daemon's default, as the SDK sends it
		q.Set("ring_bytes", strconv.FormatInt(req.RingBytes, 10))
	}
	q.Set("stdio", ExecStdioBase64)
	var out ExecBackgroundResponse
	if err := c.doJSON(ctx, http.MethodPost, vmEndpoint(vmName, "/exec"), q, nil, &out, http.StatusCreated, http.StatusOK); err != nil {
		return nil, err
	}
	return &out, nil
}

func execIDPath(vmName, execID, suffix string) string {
	return vmEndpoint(vmName, "/exec/"+esc(execID)+suffix)
}

// ExecList returns all background execs tracked by the VM's agent.
func (c *SlicerClient) ExecList(ctx context.Context, vmName string) ([]ExecBackgroundInfo, error) {
	out := []ExecBackgroundInfo{}
	if err := c.doJSON(ctx, http.MethodGet, vmEndpoint(vmName, "/exec"), nil, nil, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return out, nil
}

// ExecInfo fetches the latest status for a single background exec.
func (c *SlicerClient) ExecInfo(ctx context.Context, vmName, execID string) (*ExecBackgroundInfo, error) {
	var out ExecBackgroundInfo
	if err := c.doJSON(ctx, http.MethodGet, execIDPath(vmName, execID, ""), nil, nil, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return &out, nil
}

// ExecLogs opens the NDJSON log stream for a background exec. Output is
// base64-decoded. The channel is closed when the stream ends (follow=false:
// after the ring has been replayed; follow=true: after the exit frame) or
// the context is cancelled. Lines that are not valid frames are skipped.
func (c *SlicerClient) ExecLogs(ctx context.Context, vmName, execID string, opts LogOptions) (<-chan SlicerExecWriteResult, error) {
	q := url.Values{}
	if opts.Follow {
		q.Set("follow", "true")
	}
	if opts.FromID > 0 {
		q.Set("from_id", strconv.FormatUint(opts.FromID, 10))
	}
	req, err := c.newRequest(ctx, http.MethodGet, execIDPath(vmName, execID, "/logs"), q, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.send(req, http.StatusOK)
	if err != nil {
		return nil, err
	}
	ch := make(chan SlicerExecWriteResult, 32)
	go func() {
		defer close(ch)
		defer resp.Body.Close()
		sc := newLineScanner(resp.Body)
		for sc.Scan() {
			line := bytes.TrimSpace(sc.Bytes())
			if len(line) == 0 {
				continue
			}
			var f SlicerExecWriteResult
			if json.Unmarshal(line, &f) != nil {
				continue
			}
			if decodeFrame(&f) != nil {
				continue
			}
			if !send(ctx, ch, f) {
				return
			}
		}
	}()
	return ch, nil
}

// ExecKill signals a running background exec. The server default is TERM
// with a 5 s grace period before KILL. With empty options no body is sent.
func (c *SlicerClient) ExecKill(ctx context.Context, vmName, execID string, opts KillOptions) (*ExecBackgroundKillResponse, error) {
	var body *bytes.Reader
	if opts != (KillOptions{}) {
		b, err := json.Marshal(opts)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	var req *http.Request
	var err error
	if body != nil {
		req, err = c.newRequest(ctx, http.MethodPost, execIDPath(vmName, execID, "/kill"), nil, body)
	} else {
		req, err = c.newRequest(ctx, http.MethodPost, execIDPath(vmName, execID, "/kill"), nil, nil)
	}
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.send(req, http.StatusOK)
	if err != nil {
		return nil, err
	}
	defer drainClose(resp.Body)
	var out ExecBackgroundKillResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, errors.New("decode kill response: " + err.Error())
	}
	return &out, nil
}

// ExecWaitExit long-polls until the child exits or the timeout elapses. The
// timeout travels as whole seconds; a positive timeout under one second is
// rounded up to 1 (PROTOCOL.md §9.6, §17 item 15). Zero uses the server
// default (30 s). A timeout is not an error: check TimedOut and Running.
func (c *SlicerClient) ExecWaitExit(ctx context.Context, vmName, execID string, timeout time.Duration) (*ExecBackgroundWaitExitResponse, error) {
	var q url.Values
	if timeout > 0 {
		secs := int64(timeout / time.Second)
		if secs == 0 {
			secs = 1
		}
		q = url.Values{"timeout": {strconv.FormatInt(secs, 10)}}
	}
	var out ExecBackgroundWaitExitResponse
	if err := c.doJSON(ctx, http.MethodGet, execIDPath(vmName, execID, "/wait-exit"), q, nil, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return &out, nil
}

// ExecDelete reaps an exec's ring buffer and registry entry. It does not
// kill a running process; newer agents refuse with 409 while it runs.
func (c *SlicerClient) ExecDelete(ctx context.Context, vmName, execID string) (*ExecBackgroundDeleteResponse, error) {
	var out ExecBackgroundDeleteResponse
	if err := c.doJSON(ctx, http.MethodDelete, execIDPath(vmName, execID, ""), nil, nil, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return &out, nil
}
