// Package clienttest provides Fake, an in-memory client.Interface for
// command tests: set the XxxFunc fields a test needs, run the command, then
// assert on the recorded calls.
//
//	f := &clienttest.Fake{
//		ListVMsFunc: func(ctx context.Context, opts ...client.ListOptions) ([]client.SlicerNode, error) {
//			return []client.SlicerNode{{Hostname: "vm-1"}}, nil
//		},
//	}
//	... run the command with f ...
//	calls := f.CallsTo("ListVMs")
//
// Command and CommandContext return a client.RemoteCmd driven by the fake's
// ExecWithReaderFunc unless CommandFunc/CommandContextFunc are set; WatchFSIter
// wraps WatchFSFunc; BaseURL returns URL (or "fake://slicer").
package clienttest

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"iter"
	"strings"
	"sync"

	"github.com/slicer-cli/slicer/pkg/client"
)

var _ client.Interface = (*Fake)(nil)

// Call is one recorded method call. Args holds the arguments after the
// context, in order (a variadic parameter is recorded as one slice).
type Call struct {
	Method string
	Args   []any
}

type callState struct {
	mu    sync.Mutex
	calls []Call

	// URL is what BaseURL returns when BaseURLFunc is nil.
	URL string
}

func (s *callState) record(method string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, Call{Method: method, Args: args})
}

// Calls returns a copy of every call made so far, in order.
func (s *callState) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallsTo returns the calls made to one method, in order.
func (s *callState) CallsTo(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Methods returns the names of the methods called so far, in order.
func (s *callState) Methods() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.calls))
	for i, c := range s.calls {
		out[i] = c.Method
	}
	return out
}

// Reset forgets the recorded calls.
func (s *callState) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

func (s *callState) notSet(method string) error {
	return fmt.Errorf("clienttest.Fake: %s called but %sFunc is not set", method, method)
}

func (f *Fake) defaultBaseURL() string {
	if f.URL != "" {
		return f.URL
	}
	return "fake://slicer"
}

func (f *Fake) defaultCommand(ctx context.Context, vmName, name string, arg ...string) *client.RemoteCmd {
	return client.NewRemoteCmd(ctx, f, vmName, name, arg...)
}

func (f *Fake) defaultCommandContext(ctx context.Context, vmName, name string, arg ...string) *client.RemoteCmd {
	return client.NewRemoteCmd(ctx, f, vmName, name, arg...)
}

func (f *Fake) defaultWatchFS(_ context.Context, _ string, _ client.SlicerFSWatchRequest) (<-chan client.SlicerFSWatchEvent, <-chan error) {
	events := make(chan client.SlicerFSWatchEvent)
	errc := make(chan error, 1)
	errc <- f.notSet("WatchFS")
	close(events)
	close(errc)
	return events, errc
}

func (f *Fake) defaultWatchFSIter(ctx context.Context, vmName string, req client.SlicerFSWatchRequest) iter.Seq2[client.SlicerFSWatchEvent, error] {
	return func(yield func(client.SlicerFSWatchEvent, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		events, errc := f.WatchFS(ctx, vmName, req)
		for ev := range events {
			if !yield(ev, nil) {
				cancel()
				for range events {
				}
				return
			}
		}
		if err := <-errc; err != nil {
			yield(client.SlicerFSWatchEvent{}, err)
		}
	}
}

// defaultExecTo serves ExecTo from ExecWithReaderFunc, the way the real
// client's ExecTo relates to its ExecWithReader: base64 output decoded into
// out, a synthetic "exec stream:" frame (ExitCode -1) turned into an error
// wrapping client.ErrExecStream, and a stop after the first frame carrying
// an error or a non-zero exit code.
func (f *Fake) defaultExecTo(ctx context.Context, nodeName string, execReq client.SlicerExecRequest, stdin io.Reader, fn func(f *client.SlicerExecWriteResult, out client.ExecOutput) bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	frames, err := f.ExecWithReader(ctx, nodeName, execReq, stdin)
	if err != nil {
		return err
	}
	defer func() {
		cancel()
		for range frames {
		}
	}()
	for {
		var fr client.SlicerExecWriteResult
		var ok bool
		select {
		case fr, ok = <-frames:
		case <-ctx.Done():
			return ctx.Err()
		}
		if !ok {
			return nil
		}
		if fr.Type == "" && fr.ExitCode == -1 && strings.HasPrefix(fr.Error, "exec stream:") {
			return fmt.Errorf("%w: %s", client.ErrExecStream, strings.TrimPrefix(fr.Error, "exec stream: "))
		}
		var out client.ExecOutput
		for _, p := range [...]struct {
			s   string
			dst *[]byte
		}{{fr.Data, &out.Data}, {fr.Stdout, &out.Stdout}, {fr.Stderr, &out.Stderr}} {
			b := []byte(p.s)
			if fr.Encoding == client.ExecStdioBase64 {
				if b, err = base64.StdEncoding.DecodeString(p.s); err != nil {
					return fmt.Errorf("%w: decode base64 exec output: %w", client.ErrExecStream, err)
				}
			}
			*p.dst = b
		}
		fr.Data, fr.Stdout, fr.Stderr = "", "", ""
		if fr.Encoding == client.ExecStdioBase64 {
			fr.Encoding = ""
		}
		if !fn(&fr, out) || fr.Error != "" || fr.ExitCode != 0 {
			return nil
		}
	}
}

// defaultGetAgentHealth answers GetAgentHealth from ListVMsFunc when no
// GetAgentHealthFunc is set, the way a daemon does: a healthy agent for a
// listed hostname, 404 for any other. That keeps command tests that only
// describe their VMs with ListVMsFunc coherent with cmdutil.ResolveVM's
// probe.
func (f *Fake) defaultGetAgentHealth(ctx context.Context, hostname string) (*client.SlicerAgentHealthResponse, error) {
	if f.ListVMsFunc == nil {
		return nil, f.notSet("GetAgentHealth")
	}
	nodes, err := f.ListVMsFunc(ctx)
	if err != nil {
		return nil, err
	}
	for _, n := range nodes {
		if n.Hostname == hostname {
			return &client.SlicerAgentHealthResponse{Hostname: hostname}, nil
		}
	}
	return nil, &client.APIError{Method: "HEAD", Path: "/vm/" + hostname + "/health", StatusCode: 404, Message: "VM not found"}
}
